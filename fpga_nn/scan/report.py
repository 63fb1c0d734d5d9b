"""The scan's tables: every point with each figure and its source, the Pareto front, plots, an HTML page.

The front is taken over (signal efficiency up, alkaid cost down, pipeline latency down), the three
figures every point has; Verilator/Yosys figures of the points on or near it are shown beside them.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ..reports.plots import _plt, save_figure
from ..yamlconfig import plain
from .config import background_efficiency, family

EMULATOR = "bit-exact emulator (== C-simulation), whole test set"
INTERPRETER = "alkaid interpreter of the traced logic (== RTL; == model.predict), whole test set"
TREE_EMULATOR = "bit-exact tree emulator (== conifer C-simulation; == alkaid interpreter), whole test set"
SCORES = {"qkeras": EMULATOR, "hgq2": INTERPRETER, "trees": TREE_EMULATOR}  # each family's firmware scores
ALKAID = "alkaid estimate (not synthesized)"
VERILATOR = "RTL simulation (Verilator, alkaid Verilog)"
YOSYS = "Yosys synth_xilinx (alkaid Verilog)"


def _valid(p: dict) -> bool:
    """Every bit-exactness check of the point found no mismatch (the checks differ per family)."""
    return bool(p["checks"]) and all(n == 0 for n in p["checks"].values())


def describe(settings: dict) -> str:
    """One short line of a point's settings: the QKeras bit widths, or HGQ2's EBOPs strength."""
    if family(settings) == "hgq2":
        return f"HGQ2 {settings['hidden']} beta={settings['beta']:g}"
    if family(settings) == "trees":
        return (
            f"XGBoost {settings['n_estimators']}x{settings['max_depth']} lr{settings['learning_rate']:g} "
            f"in{settings['input_bits']} s{settings['score_fraction']}"
        )
    return (
        f"QKeras {settings['hidden']} w{settings['weight_bits']}.{settings['weight_integer']} "
        f"a{settings['activation_bits']}.{settings['activation_integer']}"
    )


def _objectives(p: dict, slack: float = 0.0) -> tuple[float, float, float]:
    return (p["efficiency"] + slack, -p["alkaid"]["cost"], -p["alkaid"]["stages"])


def _dominates(a, b) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(x > y for x, y in zip(a, b, strict=True))


def front(points: list[dict], slack: float = 0.0) -> list[str]:
    """Ids of the valid points no other valid point dominates (with ``slack`` added to their efficiency)."""
    valid = [p for p in points if _valid(p)]
    return [
        p["id"]
        for p in valid
        if not any(_dominates(_objectives(q), _objectives(p, slack)) for q in valid if q["id"] != p["id"])
    ]


def rtl_candidates(points: list[dict], hardware) -> list[str]:
    """The front, then the points within ``rtl_near_front`` of it; at most ``rtl_max_points``, best first."""
    on = front(points)
    near = [i for i in front(points, float(hardware.rtl_near_front)) if i not in on]
    by_id = {p["id"]: p for p in points}

    def order(ids):
        return sorted(ids, key=lambda i: (-by_id[i]["efficiency"], by_id[i]["alkaid"]["cost"]))

    return (order(on) + order(near))[: int(hardware.rtl_max_points)]


def _figure(value, source: str) -> dict:
    return {"value": value, "source": source}


def assemble(cfg, ctx: dict, points: list[dict], synthesized: list[str], baseline: dict | None = None) -> dict:
    clock = float(cfg.hardware.clock_period)
    bkg_eff = background_efficiency(cfg)
    on = set(front(points))
    rows = []
    for p in points:
        r = p.get("rtl") if p["id"] in synthesized else None
        failed = (r or {}).get("error")
        if failed:
            r = None
        cycles = r["latency_cycles"] if r else p["alkaid"]["stages"]
        lat_src = VERILATOR if r else "alkaid pipeline stages (estimate)"
        res_src = YOSYS if r else (f"not synthesized: {failed}" if failed else "not synthesized (off the front)")
        scores = SCORES[family(p["settings"])]
        rows.append(
            {
                "id": p["id"],
                "family": family(p["settings"]),
                "settings": p["settings"],
                "on_front": p["id"] in on,
                "valid": _valid(p),
                "parameters": p["parameters"],
                **({"ebops": _figure(p["ebops"], "HGQ2 EBOPs after trace_minmax")} if "ebops" in p else {}),
                "auc": _figure(p["auc"], scores),
                "efficiency": _figure(p["efficiency"], f"{scores}, at background efficiency <= {bkg_eff:.4g}"),
                "cost": _figure(p["alkaid"]["cost"], ALKAID),
                "lut": _figure(r["lut"] if r else None, res_src),
                "inv": _figure(r["inv"] if r else None, res_src),
                "ff": _figure(r["ff"] if r else None, res_src),
                "dsp": _figure(r["dsp"] if r else None, res_src),
                "latency_cycles": _figure(cycles, lat_src),
                "latency_cycles_estimate": _figure(p["alkaid"]["stages"], "alkaid pipeline stages (estimate)"),
                "latency_ns": _figure(cycles * clock, f"{lat_src} x {clock} ns clock"),
                "ii": _figure(r["ii"] if r else 1, VERILATOR if r else "alkaid: fully pipelined (estimate)"),
                "checks": {**p["checks"], **({"rtl_mismatches": r["rtl_mismatches"]} if r else {})},
                "best_epoch": p["best_epoch"],
                "seconds": p["seconds"],
            }
        )
    return {
        "scan": _title(cfg),
        "working_point": {**plain(cfg.working_point), "background_efficiency": bkg_eff},
        "test_events": points[0]["test_events"] if points else 0,
        "part": cfg.hardware.part,
        "clock_period_ns": clock,
        "context": ctx,
        "points": rows,
        "front": [r["id"] for r in rows if r["on_front"]],
        "synthesized": list(synthesized),
        "baseline": baseline,
    }


def _title(cfg) -> str:
    parts = []
    if cfg.grid is not None:
        parts.append("the QKeras trigger network" if cfg.model == "trigger" else f"QKeras model {cfg.model}")
    if cfg.hgq2 is not None:
        model = cfg.hgq2.model
        parts.append("the HGQ2 trigger network" if model == "trigger" else f"HGQ2 model {model}")
    if cfg.trees is not None:
        parts.append("XGBoost trees on the same inputs")
    return "design space of " + " and ".join(parts)


def pareto_record(record: dict) -> dict:
    keep = (
        "id",
        "family",
        "settings",
        "auc",
        "efficiency",
        "cost",
        "lut",
        "ff",
        "dsp",
        "latency_cycles",
        "latency_ns",
        "ii",
    )
    pts = [{k: r[k] for k in keep} for r in record["points"] if r["on_front"]]
    pts.sort(key=lambda r: -r["efficiency"]["value"])
    return {
        "objectives": "signal efficiency (max), alkaid cost (min), latency in cycles (min)",
        "working_point": record["working_point"],
        "baseline": record.get("baseline"),
        "front": pts,
    }


def baseline_line(record: dict) -> str | None:
    """One line on the cut baseline: the efficiency every network should beat."""
    b = record.get("baseline")
    if not b:
        return None
    lo = "" if b["low"] is None else f"{b['low']:g} <= "
    hi = "" if b["high"] is None else f" <= {b['high']:g}"
    return (
        f"baseline (one window cut {lo}{b['input']}{hi}, chosen on the training split): signal efficiency "
        f"{b['test']['signal_efficiency']:.4f} at background efficiency {b['test']['background_efficiency']:.4f} "
        "on the test split (two 8-bit comparators in firmware)"
    )


def plots(record: dict, out: Path) -> dict[str, Path]:
    """Efficiency vs cost (front marked, latency as colour; Yosys LUTs where synthesized) and vs latency."""
    plt = _plt()
    rows = [r for r in record["points"] if r["valid"]]
    paths = {}
    if not rows:
        return paths
    eff = [r["efficiency"]["value"] for r in rows]
    cost = [r["cost"]["value"] for r in rows]
    lat = [r["latency_cycles"]["value"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    marker = {"qkeras": "o", "hgq2": "^", "trees": "D"}
    names = {"qkeras": "QKeras", "hgq2": "HGQ2", "trees": "XGBoost trees"}
    sc = None
    for fam in marker:
        idx = [i for i, r in enumerate(rows) if r["family"] == fam]
        if idx:
            sc = ax.scatter(
                [cost[i] for i in idx], [eff[i] for i in idx], c=[lat[i] for i in idx], cmap="viridis",
                vmin=min(lat), vmax=max(lat), marker=marker[fam], s=28,
                label=f"{names[fam]}: alkaid cost estimate",
            )  # fmt: skip
    fr = sorted((r for r in rows if r["on_front"]), key=lambda r: r["cost"]["value"])
    ax.plot([r["cost"]["value"] for r in fr], [r["efficiency"]["value"] for r in fr], "r-", lw=1, label="Pareto front")
    syn = [r for r in rows if r["lut"]["value"] is not None]
    if syn:
        ax.scatter(
            [r["lut"]["value"] + r["inv"]["value"] for r in syn],
            [r["efficiency"]["value"] for r in syn],
            marker="s",
            facecolors="none",
            edgecolors="k",
            label="Yosys LUT + INV (synthesized)",
        )
    base = record.get("baseline")
    if base:
        ax.axhline(base["test"]["signal_efficiency"], color="grey", ls="--", lw=1, label=f"one cut on {base['input']}")
    fig.colorbar(sc, label="latency (cycles)")
    ax.set_xlabel("LUT (alkaid estimate; squares: Yosys)")
    ax.set_ylabel(f"signal efficiency at {record['working_point']['trigger_rate_khz']} kHz")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    paths["Efficiency vs LUTs"] = out / "efficiency_vs_lut.png"
    fig.tight_layout()
    save_figure(fig, paths["Efficiency vs LUTs"], 110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for fam, m in marker.items():
        sel = [r for r in rows if r["family"] == fam]
        ax.scatter(
            [r["latency_ns"]["value"] for r in sel], [r["efficiency"]["value"] for r in sel],
            c=["r" if r["on_front"] else "tab:blue" for r in sel], marker=m, s=28,
        )  # fmt: skip
    ax.set_xlabel(f"latency (ns at {record['clock_period_ns']} ns clock)")
    ax.set_ylabel("signal efficiency")
    ax.set_title("red: on the Pareto front; circles QKeras, triangles HGQ2, diamonds trees")
    ax.grid(alpha=0.3)
    paths["Efficiency vs latency"] = out / "efficiency_vs_latency.png"
    fig.tight_layout()
    save_figure(fig, paths["Efficiency vs latency"], 110)
    plt.close(fig)
    return paths


def _v(fig: dict, digits: int = 4) -> str:
    v = fig["value"]
    return "-" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def page(record: dict, out: Path) -> str:
    esc = html.escape
    wp = record["working_point"]
    head = ["id", "front", "network", "cutoff", "EBOPs", "AUC", "efficiency", "cost", "LUT", "FF"]
    head += ["DSP", "cycles", "ns", "II"]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>fpga-nn scan</title><style>"
        "body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        "tr.front{background:#fee}img{max-width:48%}</style></head><body>",
        f"<h1>fpga-nn scan: {esc(record['scan'])}</h1>",
        f"<p>{len(record['points'])} points; working point: trigger rate {wp['trigger_rate_khz']} kHz of "
        f"{wp['input_rate_khz']} kHz (background efficiency {wp['background_efficiency']:.4g}); "
        f"{record['test_events']} test events; part <code>{esc(record['part'])}</code>, "
        f"clock {record['clock_period_ns']} ns.</p>",
        "<p>Sources: AUC and efficiency: QKeras points: "
        + esc(EMULATOR)
        + "; HGQ2 points: "
        + esc(INTERPRETER)
        + "; cost: "
        + esc(ALKAID)
        + "; LUT/FF/DSP: "
        + esc(YOSYS)
        + " (front points only); cycles/II: "
        + esc(VERILATOR)
        + " where synthesized, else the "
        "alkaid pipeline estimate.</p>",
    ]
    if baseline_line(record):
        parts.append(f"<p><b>{esc(baseline_line(record))}</b></p>")
    for title, path in plots(record, out).items():
        data = base64.b64encode(Path(path).read_bytes()).decode()
        parts.append(f"<img alt='{esc(title)}' title='{esc(title)}' src='data:image/png;base64,{data}'>")
    parts.append("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>")
    for r in sorted(record["points"], key=lambda r: -r["efficiency"]["value"]):
        s = r["settings"]
        ebops = _v(r["ebops"]) if "ebops" in r else "-"
        cells = [r["id"], "yes" if r["on_front"] else "", describe(s), s["latency_cutoff"], ebops]
        cells += [_v(r["auc"]), _v(r["efficiency"]), _v(r["cost"], 1), _v(r["lut"])]
        cells += [_v(r["ff"]), _v(r["dsp"]), _v(r["latency_cycles"]), _v(r["latency_ns"], 1), _v(r["ii"])]
        cls = " class='front'" if r["on_front"] else ""
        parts.append(f"<tr{cls}>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    parts.append(
        "<p>Build a point: <code>fpga-nn build --from-scan DIR --point ID --part PART</code>.</p></body></html>\n"
    )
    return "\n".join(parts)
