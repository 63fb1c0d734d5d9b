"""Render an assembled report as Markdown and as one self-contained HTML page (plots inlined)."""

from __future__ import annotations

import base64
import html
from pathlib import Path


def _fmt(v, digits=3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) < 1e5 else f"{v:.3g}"
    return str(v)


def _sections(r: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) tables shared by both renderings."""
    out = []
    lat = r.get("latency")
    if lat:
        out.append(
            (
                "Latency and initiation interval",
                ["latency (cycles)", "latency (ns)", "II (cycles)", "clock (ns)", "source"],
                [
                    [
                        f"{lat['cycles_min']}-{lat['cycles_max']}"
                        if lat["cycles_min"] != lat["cycles_max"]
                        else str(lat["cycles_max"]),
                        _fmt(lat["ns_max"], 1),
                        str(lat["ii"]),
                        _fmt(lat["clock_period_ns"], 2),
                        lat["source"],
                    ]
                ],
            )
        )
    if r.get("resources"):
        rows = []
        for row in r["resources"]:
            util = row.get("utilization_pct", {})
            lut = f"{row['lut']} (+{row['inv']} INV)" if row.get("inv") else str(row["lut"])
            rows.append(
                [
                    lut,
                    str(row["ff"]),
                    str(row["dsp"]),
                    str(row["bram_18k"]),
                    str(row.get("carry", "-")),
                    ", ".join(f"{k.upper()} {_fmt(v, 3)}%" for k, v in util.items()) or "-",
                    row["source"],
                ]
            )
        out.append(
            (f"Resources on {r['part']}", ["LUT", "FF", "DSP", "BRAM18", "CARRY", "utilization", "source"], rows)
        )
    csim = r.get("csim") or {}
    if csim.get("events") is not None:
        out.append(
            (
                "Bit accuracy",
                ["events", "mismatches", "source"],
                [[str(csim["events"]), str(csim["mismatches"]), csim["source"]]]
                + (
                    [
                        [
                            str(lat["rtl_events"]),
                            f"{lat['rtl_mismatches_offline']} (vs offline), {lat['rtl_mismatches_csim']} (vs csim)",
                            "RTL simulation (Verilator)",
                        ]
                    ]
                    if lat and "rtl_events" in lat
                    else []
                ),
            )
        )
    wp = r.get("working_point")
    if wp:
        rows = [
            [
                "this network",
                f"{wp['rate_khz']:.2f} ± {wp['rate_err_khz']:.2f}",
                f"{wp['efficiency']:.3f} ± {wp['efficiency_err']:.3f}",
                "-",
                wp["source"],
            ]
        ]
        for name, g in wp.get("gains", {}).items():
            base = wp["baselines"][name]
            rows.append(
                [
                    name,
                    f"{base['rate_khz']:.2f} ± {base['rate_err_khz']:.2f}",
                    f"{base['efficiency']:.3f} ± {base['efficiency_err']:.3f}",
                    f"{g['gain']:+.3f} ± {g['error']:.3f}",
                    wp["source"],
                ]
            )
        out.append(
            (
                f"Working point at {wp['budget_khz']:g} kHz ({wp['stream']})",
                ["selection", "rate (kHz)", "signal efficiency", "network's gain", "source"],
                rows,
            )
        )
    phys = r.get("physics")
    if phys:
        out.append(
            (
                "Area under the ROC curve",
                ["model", "AUC", "source"],
                [[k, _fmt(v, 4), phys["source"]] for k, v in phys["auc"].items()],
            )
        )
        out.append(
            (
                f"Working points (trigger rate for {_fmt(phys['input_rate_khz'], 0)} kHz of input candidates)",
                ["model", "target bkg eff", "bkg eff", "signal eff", "threshold", "trigger rate (kHz)"],
                [
                    [
                        w["model"],
                        _fmt(w["target_background_efficiency"], 2),
                        _fmt(w["background_efficiency"], 4),
                        _fmt(w["signal_efficiency"], 4),
                        _fmt(w["threshold"], 4),
                        _fmt(w["trigger_rate_khz"], 2),
                    ]
                    for w in phys["working_points"]
                ],
            )
        )
    return out


def render_markdown(r: dict) -> str:
    lines = [
        f"# fpga-nn report: {r['project']}",
        "",
        f"Part `{r['part']}`, backend {r['backend']}, {r['io_type']}, target clock {r['clock_period_ns']} ns.",
        "",
    ]
    for title, header, rows in _sections(r):
        lines += [f"## {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    for row in r.get("resources", []):
        if row.get("note"):
            lines += [f"Note on {row['source']}: {row['note']}", ""]
    if r.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in r["notes"]] + [""]
    return "\n".join(lines)


_CSS = (
    "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:4px 8px;"
    "text-align:left}th{background:#f3f3f3}.src{color:#666;font-size:90%}img{max-width:48%;margin:1%}"
)


def render_html(r: dict, plots: dict[str, Path]) -> str:
    esc = html.escape
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>fpga-nn report: {esc(r['project'])}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>fpga-nn report: {esc(r['project'])}</h1>",
        f"<p>Part <code>{esc(r['part'])}</code>, backend {esc(r['backend'])}, {esc(r['io_type'])}, "
        f"target clock {r['clock_period_ns']} ns.</p>",
    ]
    for title, header, rows in _sections(r):
        parts.append(f"<h2>{esc(title)}</h2><table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    for row in r.get("resources", []):
        if row.get("note"):
            parts.append(f"<p class='src'>{esc(row['source'])}: {esc(row['note'])}</p>")
    if plots:
        parts.append("<h2>Plots</h2>")
        for title, path in plots.items():
            data = base64.b64encode(Path(path).read_bytes()).decode()
            parts.append(f"<img alt='{esc(title)}' title='{esc(title)}' src='data:image/png;base64,{data}'>")
    if r.get("notes"):
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in r["notes"]) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
