"""The suite's table (results.json, results.md) and plots (ROC overlay, background m(llg) per score bin,
loss and validation-significance curves)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...atomic import write_text
from ...jsonio import write_json
from ...reports.paired import words
from . import plots as suite_plots
from .background import report_lines as background_report
from .compare import baseline, indexed, ordering, paired_difference
from .config import epoch_budget
from .data import disco_base


def _strip(obj):
    """Results without the bootstrap replicas (kept in rows/*.json) so the summary stays readable."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("replicas", "history")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _pm(value, err, fmt="{:.3f}"):
    return fmt.format(value) + ("" if err is None else " ± " + fmt.format(err))


def _headline(r: dict, metric: str) -> tuple[float, float | None, float | None]:
    """(value, seed spread, bootstrap error): the mean over seeds for neural rows, else the one value."""
    t = r["test"]
    boot = t.get(f"{metric}_err")
    if r.get("seed_summary"):
        s = r["seed_summary"][metric]
        return s["mean"], s["std"], boot
    return t[metric], None, boot


def _cell(r: dict, metric: str, scale: float = 1.0, fmt: str = "{:.3f}") -> str:
    v, spread, boot = _headline(r, metric)
    text = fmt.format(scale * v)
    if spread is not None:
        text += " ± " + fmt.format(scale * spread) + " (seeds)"
    if boot is not None:
        text += " ± " + fmt.format(scale * boot) + (" (boot.)" if spread is not None else "")
    return text


def _tree_firmware_lines(r: dict) -> list[str]:
    """A tree row's conifer firmware: its C-simulated figures, and what it was checked against."""
    f, c = r["firmware_test"], r["firmware_check"]
    lat, res = c.get("latency"), c.get("resources")
    hw = (f"{lat['cycles_max']} cycles, " if lat else "") + (f"{res['lut']:,} LUT, {res['ff']:,} FF" if res else "")
    return [
        f"| {r['method']} firmware (conifer, C-sim) | N.A. | | {_pm(f['significance'], f.get('significance_err'))} "
        f"| {100 * f['auc']:.1f} | {1e3 * f['bkg_corr']:.1f} | | - | - | - | - | C-simulation | - | - |",
        f"|  ↳ csim vs tree emulator | {c['mismatches']} mismatches / {c['events']:,} events "
        f"| input {c['input_type']} | score {c['output_type']} | {hw or 'no RTL figures'} | | | | | | | | |",
    ]


def _made_on(row: dict) -> str:
    """The framework and device that trained a row (rows of before the field: not recorded)."""
    made = row.get("made_on")
    if not made:
        return "-"
    framework = made.get("keras_backend") or {"XGBoost": "XGBoost", "BDT": "scikit-learn"}.get(row["method"], "NumPy")
    return f"{framework}, {made.get('device', 'CPU')}"


def markdown(results: dict) -> str:
    info, dev, cfg = results["dataset"], results["device"], results["config"]
    xs = info.get("cross_sections", {})
    sigma = xs.get("sigma_fb", {})
    per_mc = info.get("background_weight_per_mc_event_in_window", {})
    lines = [
        "# Reference classifier suite: H -> Z gamma vs Z gamma",
        "",
        f"Test set: {info['n_events']['test']:,} events ({info['n_signal']['test']:,} signal); significance and "
        f"AUC in {info['window_gev'][0]} < m(llg) < {info['window_gev'][1]} GeV, bins of equal signal "
        f"({cfg['significance']['n_bins']}), Asimov per bin, combined in quadrature. Yields: cross sections "
        f"x {info['effective_lumi_fb']:.3g} fb^-1"
        + (
            f" (signal {sigma['signal']:.3g} fb, background {sigma['background']:.4g} fb: "
            f"{xs['sigma_source']['background']})"
            if sigma
            else ""
        )
        + f"; expected in the window: {info['expected_in_window_test']['signal']:.1f} signal, "
        f"{info['expected_in_window_test']['background']:.0f} background events from "
        f"{info.get('background_mc_in_window_test', 0):,} background MC events "
        + (f"(mean {per_mc['mean']:.3g}, max {per_mc['max']:.3g} expected events each)" if per_mc.get("mean") else "")
        + ". Bkg. corr.: dCor^2(score, m(llg)) on the test background, yield-weighted. Neural rows: mean ± "
        "standard deviation over the training seeds, then ± the Poisson bootstrap of the test set (first seed).",
        "",
        f"Device: {', '.join(dev['gpu']) or 'CPU'} ({dev['cpu_count']} cores); float networks: Keras "
        f"{dev.get('keras', '?')} on {dev.get('keras_backend', 'tensorflow')}"
        + (f"; QKeras rows: TensorFlow {dev['tensorflow']}" if dev.get("tensorflow") else "")
        + "; "
        f"events generated or loaded from the cache in {results['data_seconds']} s in this run.",
        "",
        "| method | loss | inputs | signif. | AUC (%) | bkg. dCor^2 U-centred (1e-3) | signif. floor x0.5 / x2 "
        "(first seed) | best epoch | params | train s | peak MB | made on | AUC (variation, %) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        t = r["test"]
        var = r.get("test_variation")
        loss = (
            "N.A."
            if r["loss"] is None
            else {"bce": "BCE", "extreme": "Ext"}[r["loss"]] + ("+DisCo" if r["disco"] else "")
        )
        mem = r["memory"].get("gpu_peak_mb", r["memory"]["host_peak_mb"])
        params = f"{r['parameters']:,}" + {"trees": " trees", "cuts": " cuts"}.get(r["parameters_kind"], "")
        name = r["label"] if r["method"] == "Cut" else r["method"] + (" (QKeras 8-bit)" if r["firmware"] else "")
        var_cols = f"{100 * var['auc']:.1f}" if var else "-"  # its significances: MC-limited, not quoted
        by_floor = t.get("significance_by_floor", {})
        floor_col = " / ".join(f"{by_floor[k]:.3f}" for k in ("0.5", "2") if k in by_floor) or "-"
        lines.append(
            f"| {name} | {loss} | {len(r.get('features') or info['features'])} | {_cell(r, 'significance')} "
            f"| {_cell(r, 'auc', 100, '{:.1f}')} | {_cell(r, 'bkg_corr', 1e3, '{:.1f}')} | {floor_col} "
            f"| {r['best_epoch'] or 'N.A.'} | {params} | {r['train_seconds']:.0f} | {mem:.0f} | {_made_on(r)} "
            f"| {var_cols} |"
        )
        if r.get("tree_firmware"):
            lines += _tree_firmware_lines(r)
        if r["firmware"]:
            f, c = r["firmware_test"], r["firmware_check"]
            lines.append(
                f"| {r['method']} firmware (C-sim, seed {r['seeds'][0]['seed'] if r.get('seeds') else '-'}) | {loss} "
                f"| | {_pm(f['significance'], f.get('significance_err'))} | {100 * f['auc']:.1f} "
                f"| {1e3 * f['bkg_corr']:.1f} | | - | - | - | - | C-simulation | - | - |"
            )
            lines.append(
                f"|  ↳ csim vs QKeras | {c['mismatches']} mismatches / {c['events']:,} events "
                f"| input {c['input_type']} | output {c['output_type']} | | | | | | | | | | |"
            )
    lines += background_report(results)
    lines += ["", "## Findings", ""] + findings(results) + mc_statistics(results)
    lines += ["", "## Comparisons (paired bootstrap)", ""]
    for c in results.get("comparisons", []):
        scale, unit = (1e3, " x1e-3") if c["metric"] == "bkg_corr" else (1.0, "")
        lines.append(
            f"- {c['metric']}: {c['a']} - {c['b']} = {scale * c['difference']:+.3f} ± {scale * c['error']:.3f}{unit}"
        )
    lines += ["", "Plots: `roc.png`, `mass_by_score.png`, `training.png`.", ""]
    return "\n".join(lines)


SEED_004 = {  # significance of seed 004's table (15 inputs where both exist)
    "Random": 0.50,
    "BDT": 1.17,
    "XGBoost": 1.49,
    "FNN-bce": 1.43,
    "FNN-extreme": 1.45,
    "DFNN-bce": 1.50,
    "DFNN-extreme": 1.46,
    "ETN-bce": 1.51,
    "ETN-extreme": 1.48,
    "FNN-bce+disco": 1.35,
    "FNN-extreme+disco": 1.46,
    "DFNN-bce+disco": 1.46,
    "ETN-bce+disco": 1.52,
    "ETN-extreme+disco": 1.50,
}


def findings(results: dict) -> list[str]:
    """Plain statements: the ranking against the seed's, DisCo's effect, the power-shower shift."""
    rows = [r for r in results["rows"] if not r["firmware"]]
    by = {r["key"]: r for r in results["rows"]}
    out = []
    ranked = sorted(rows, key=lambda r: -_headline(r, "significance")[0])
    out.append(
        "- Ranking by test significance (seed means for neural rows): "
        + " > ".join(f"{r['label']} {_headline(r, 'significance')[0]:.3f}" for r in ranked)
    )
    out += baseline(results)
    out += ordering(results)
    out += floor_dependence(results)
    out += budget_limited(results)
    seed_rank = sorted((k for k in SEED_004 if k in by), key=lambda k: -SEED_004[k])
    out.append("- Seed 004's ranking of the same rows: " + " > ".join(f"{k} {SEED_004[k]:.2f}" for k in seed_rank))
    best = ranked[0]
    close = [r["label"] for r in ranked[1:] if r["key"] != "Random" and _within(best, r)]
    if close:
        out.append(
            f"- Within 2 errors (paired test bootstrap and seed spreads combined) of the best ({best['label']}): "
            f"{', '.join(close)}: the ordering among these is not resolved by this test set and these seeds."
        )
    comp = indexed(results)
    for r in rows:
        if r["disco"]:
            base = by.get(disco_base(r["key"], by) or "")
            c = comp.get((r["key"], base["key"], "bkg_corr")) if base else None
            if c:
                change, err = c["difference"], c["error"]
                verdict = (
                    "lowers"
                    if change < -2 * err
                    else "raises"
                    if change > 2 * err
                    else "does not change (within 2 errors)"
                )
                also = (
                    "" if base["key"].endswith("-15in") else " (11 inputs against 15: inputs and DisCo change together)"
                )
                z = comp.get((r["key"], base["key"], "significance"))
                out.append(
                    f"- DisCo {verdict} the background correlation of {base['label']}{also}: "
                    f"{1e3 * _headline(base, 'bkg_corr')[0]:.2f} -> {1e3 * _headline(r, 'bkg_corr')[0]:.2f} (1e-3, "
                    f"seed means; {1e3 * change:+.2f} ± {1e3 * err:.2f}), significance "
                    f"{_headline(base, 'significance')[0]:.3f} -> {_headline(r, 'significance')[0]:.3f}"
                    + (f" ({z['difference']:+.4f} ± {z['error']:.4f}, {words(z)})" if z else "")
                )
    shifts = [
        (r["label"], r["test"]["auc"], r["test_variation"]["auc"])
        for r in rows
        if r.get("test_variation") and r["key"] != "Random"
    ]
    if shifts:
        lo = max(shifts, key=lambda v: abs(v[2] - v[1]))
        auc_n, auc_p = [v[1] for v in shifts], [v[2] for v in shifts]
        out.append(
            f"- Background variation ({results.get('variation', 'other shower matching')}): "
            f"AUC from {min(auc_n):.3f}-{max(auc_n):.3f} to {min(auc_p):.3f}-{max(auc_p):.3f} "
            f"(largest change: {lo[0]}). Its significances are not quoted: its background sample is too small "
            "for the significance's tail bins (one simulated event in a bin decides them)."
        )
    for r in results["rows"]:
        if r.get("tree_firmware"):
            c, f = r["firmware_check"], r["firmware_test"]
            a = c.get("float_agreement") or {}
            txt = (
                f"- {r['method']} firmware (conifer): C-simulation == fpga-nn's tree emulator on "
                f"{c['events'] - c['mismatches']} of {c['events']} test events; significance {f['significance']:.3f} "
                f"vs float {r['test']['significance']:.3f}, AUC {100 * f['auc']:.2f} vs {100 * r['test']['auc']:.2f} %"
            )
            if a:
                txt += f"; at most {a['worst_percent']:.2f} % of decisions flipped at the float model's working points"
            if c.get("latency"):
                txt += f"; {c['latency']['cycles_max']} cycles [{c['latency']['source']}]"
            if c.get("resources"):
                txt += f", {c['resources']['lut']:,} LUT [{c['resources']['source']}]"
            out.append(txt + ".")
        if r["firmware"]:
            float_key = r["key"].replace("-firmware", "")
            ref = by.get(float_key)
            c = r["firmware_check"]
            txt = (
                f"- {r['method']} firmware: C-simulation == QKeras on {c['events'] - c['mismatches']} of "
                f"{c['events']} test events; significance {r['firmware_test']['significance']:.2f}"
            )
            if ref:
                txt += f" vs float {ref['test']['significance']:.2f}"
            out.append(txt + ".")
    return out


def budget_limited(results: dict) -> list[str]:
    """Neural rows whose kept epoch is the last their budget allowed (training ended by the budget while
    the validation AUC still rose, not by early stopping), seed by seed."""
    limited = []
    for r in results["rows"]:
        if not r.get("seeds"):
            continue
        cap = epoch_budget(results["config"], r)["epochs"]
        n = sum(1 for s in r["seeds"] if s["best_epoch"] == cap)
        if n:
            limited.append(f"{r['label']} {n} of {len(r['seeds'])} (at {cap} epochs)")
    if not limited:
        return ["- Every neural row's every seed stopped early (its kept epoch before its budget's last)."]
    return [
        "- **Stopped by the epoch budget** (the kept epoch the last allowed: the validation AUC still rose, so "
        "these rows' figures are what that budget reaches, not the architecture's best): " + "; ".join(limited) + "."
    ]


def floor_dependence(results: dict) -> list[str]:
    """The largest change of any row's significance when the empty-bin floor is halved or doubled,
    against that row's bootstrap error."""
    worst = None
    for r in results["rows"]:
        t = r["test"]
        by = t.get("significance_by_floor") or {}
        if not by or t.get("significance_err") is None:
            continue
        change = max(abs(v - t["significance"]) for v in by.values())
        if worst is None or change / max(t["significance_err"], 1e-12) > worst[1] / max(worst[2], 1e-12):
            worst = (r["label"], change, t["significance_err"])
    if worst is None:
        return []
    return [
        f"- Empty-bin floor halved or doubled: the largest change of any row's significance is {worst[1]:.4f} "
        f"({worst[0]}, bootstrap error {worst[2]:.4f})."
    ]


def _z_range(rows) -> str:
    z = [r["test"]["significance"] for r in rows if r["test"].get("significance") is not None]
    return f"{min(z):.2f}-{max(z):.2f}" if z else "n.a."


def mc_statistics(results: dict) -> list[str]:
    rows = [r for r in results["rows"] if r["key"] != "Random" and "bins" in r["test"]]
    if not rows:
        return []
    empty = {r["key"]: sum(1 for n in r["test"]["bins"]["background_mc"] if n == 0) for r in rows}
    if not any(empty.values()):
        return []
    b0 = rows[0]["test"]["bins"]
    return [
        f"- **Limited by the background sample**: in the window, {min(empty.values())}-{max(empty.values())} of "
        f"the {len(b0['s'])} signal-quantile bins of the trained classifiers hold no simulated background event, "
        f"so their b is the one-event floor ({b0['floor']:.2f} expected events, against "
        f"{b0['s'][-1]:.2f} signal events per bin). Where the floor decides, the significances of good "
        f"classifiers coincide ({_z_range(rows)} here) and cannot rank them: AUC and the background correlation do. "
        "A background sample tens of times larger (or a weighted generation in the signal-like corner) is "
        "needed to resolve the top bins."
    ]


def _within(a: dict, b: dict) -> bool:
    """B's significance within twice the combined error of A's (seed means, paired test bootstrap)."""
    d = paired_difference(a, b, "significance")
    return d is not None and d[0] < 2 * d[1]


def _bin_details(results: dict, out: Path, test: dict[str, np.ndarray]) -> None:
    """Per-bin s, b and simulated background counts of every row (test set, window)."""
    from ...reports.significance import binned_significance

    lo, hi = results["dataset"]["window_gev"]
    win = (test["mass"] > lo) & (test["mass"] < hi)
    n_bins = results["config"]["significance"]["n_bins"]
    from .data import background_floor

    floor = background_floor(test["weight"], test["y"], win)
    for r in results["rows"]:
        s = np.load(out / "rows" / f"{r['key']}.npz")["test"]
        r["test"]["bins"] = binned_significance(s[win], test["y"][win], test["weight"][win], n_bins, floor, True)


def write(results: dict, out: Path, test: dict[str, np.ndarray]) -> None:
    out = Path(out)
    _bin_details(results, out, test)
    write_json(out / "results.json", _strip(results), indent=1)
    write_text(out / "results.md", markdown(results))
    scores = {r["key"]: dict(np.load(out / "rows" / f"{r['key']}.npz")) for r in results["rows"]}
    lo, hi = results["dataset"]["window_gev"]
    win = (test["mass"] > lo) & (test["mass"] < hi)
    suite_plots.roc_plot(results["rows"], scores, test, win, out / "roc.png")
    suite_plots.mass_plot(results["rows"], scores, test, out / "mass_by_score.png")
    suite_plots.training_plot(results["rows"], out / "training.png")
