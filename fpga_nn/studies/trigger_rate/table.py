"""``fpga-nn trigger-rate``: networks, cuts and trees at the rate budget; results.json / results.md, plots, firmware."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ... import outdir
from ...atomic import write_text
from ...build import firmware
from ...build.core import run_build
from ...hardware.parts import DEFAULT_PART
from ...jsonio import write_json
from ...training import model_cache
from . import plots, selection
from .run import (
    TriggerRateConfig,
    efficiency_at_budget,
    measure,
    paired_gain,
    prepare,
    train_network,
    training_weights,
    trees,
    validation_efficiency,
)

BASELINES = ("single-object threshold", "rectangular cuts", "OR of single-object thresholds")
_FINDERS = {
    BASELINES[0]: (selection.best_single_threshold, selection.passes_cuts, 0),
    BASELINES[1]: (selection.best_rectangular_cuts, selection.passes_cuts, 0),
    BASELINES[2]: (selection.best_or_menu, selection.passes_menu, 256),
}


@outdir.writes_results("trigger-rate")
def run_trigger_rate(
    cfg: TriggerRateConfig, out: Path, part: str = DEFAULT_PART, fresh: bool = False, workers: int | None = None
) -> dict:
    data = prepare(cfg, workers)  # the stream from the cache, or generated now (data["seconds"])
    models = model_cache.models_dir(out, fresh)
    fit, te = data["split"]["fit"], data["split"]["test"]
    codes, sig_fit = data["codes"], data["signal"][fit]
    w_fit = data["weight"]["fit"][fit]
    rows: dict[str, dict] = {}
    for name, (find, passes, unused) in _FINDERS.items():
        cuts = find(codes[fit], sig_fit, w_fit, cfg.budget_hz)["cuts"]
        rows[name] = measure(data, passes(codes[te], cuts)) | {
            "cuts_gev": {n: c * selection.LSB_GEV for n, c in zip(selection.NAMES, cuts, strict=True) if c != unused},
            "logic": "OR" if unused else "AND",
        }
    va = data["split"]["val"]
    scan = {}
    for integer_bits in cfg.input_integer_bits:
        for background in cfg.background_weights:
            model, _ = train_network("qkeras", cfg.seeds[0], cfg, data, models, (integer_bits, background))
            s_va = model.predict(data["x"][integer_bits][va], batch_size=8192, verbose=0).ravel()
            scan[integer_bits, background] = validation_efficiency(s_va, data, cfg.budget_hz)
    choice = max(scan, key=scan.get)
    x = data["x"][choice[0]]
    tree_scan = {}
    for background in cfg.background_weights:
        model = trees(cfg, data, background)
        tree_scan[background] = (
            validation_efficiency(model.predict_proba(codes[va])[:, 1], data, cfg.budget_hz),
            model,
        )
    tree_background = max(tree_scan, key=lambda b: tree_scan[b][0])
    bdt = tree_scan[tree_background][1]
    p_trees = bdt.predict_proba(codes[te])[:, 1]
    rows["gradient-boosted trees"] = efficiency_at_budget(
        data, bdt.predict_proba(codes[fit])[:, 1], p_trees, cfg.budget_hz
    )
    nets, histories, curves = {}, {}, {}
    for kind in ("qkeras", "float"):
        nets[kind] = []
        for seed in cfg.seeds:
            model, info = train_network(kind, seed, cfg, data, models, choice)
            s_fit = model.predict(x[fit], batch_size=8192, verbose=0).ravel()
            s_te = model.predict(x[te], batch_size=8192, verbose=0).ravel()
            row = efficiency_at_budget(data, s_fit, s_te, cfg.budget_hz)
            nets[kind].append(
                row
                | {
                    "seed": seed,
                    "best_epoch": info["best_epoch"],
                    "epochs_run": info["epochs_run"],
                    "_model": model,
                    "_scores": s_te,
                    "_loss": _loss(data, s_te, choice[1]),
                }
            )
            histories[f"{kind} seed {seed}"] = info["history"]
    label = {"qkeras": "5-6-1 QKeras 8-bit", "float": "5-6-1 float twin"}
    for kind, runs in nets.items():
        rows[label[kind]] = _seed_summary(runs)
    gains = {
        f"{label[kind]} - {base}": paired_gain(
            data, [r["_passed"] for r in nets[kind]], rows[base]["_passed"], cfg.bootstrap, cfg.split_seed
        )
        for kind in nets
        for base in BASELINES
    }
    q_vs_f = [q["_loss"] - f["_loss"] for q, f in zip(nets["qkeras"], nets["float"], strict=True)]
    median = sorted(nets["qkeras"], key=lambda r: r["efficiency"])[len(cfg.seeds) // 2]
    fw = _firmware(median, data, part, out, selection.preprocessing(choice[0]), _working_point(cfg, data, median, rows))
    sig_te = data["signal"][te]
    w_te = data["weight"]["test"][te][~sig_te]
    q = median["_scores"]
    curves["5-6-1 QKeras 8-bit (median seed)"] = selection.curve(q[sig_te], q[~sig_te], w_te)
    curves["gradient-boosted trees"] = selection.curve(p_trees[sig_te], p_trees[~sig_te], w_te)
    for k, name in enumerate(selection.NAMES):
        v = codes[te][:, k].astype(float)
        curves[f"threshold on {name}"] = selection.curve(v[sig_te], v[~sig_te], w_te)
    results = {
        "task": "the 5-6-1 trigger network on the level-1 stream at 2e34 cm^-2 s^-1, 40 MHz, at a rate budget",
        "config": json.loads(json.dumps(dataclasses.asdict(cfg), default=list)),
        "stream": _stream_info(data),
        "data_seconds": round(data["seconds"], 1),
        "budget_hz": cfg.budget_hz,
        "inputs": list(selection.NAMES),
        "training_choice": {
            "validation_efficiency": {f"ap_ufixed<8,{i}>, background {b:g}": v for (i, b), v in scan.items()},
            "input_type": f"ap_ufixed<8,{choice[0]}>",
            "background_weight": choice[1],
            "trees_validation_efficiency": {f"{b:g}": v for b, (v, _) in tree_scan.items()},
            "trees_background_weight": tree_background,
        },
        "rows": {k: _public(v) for k, v in rows.items()},
        "per_seed": {kind: [_public(r) for r in runs] for kind, runs in nets.items()},
        "gains": gains,
        "quantized_minus_float_test_loss": {
            "per_seed": np.round(q_vs_f, 5).tolist(),
            "mean": float(np.mean(q_vs_f)),
            "error": float(np.std(q_vs_f, ddof=1) / np.sqrt(len(q_vs_f))) if len(q_vs_f) > 1 else None,
        },
        "firmware": fw,
    }
    write_json(out / "results.json", results, indent=1)
    write_text(out / "results.md", markdown(results))
    plots.efficiency_vs_rate(curves, rows, cfg.budget_hz, out / "efficiency_vs_rate.png")
    plots.loss_curves(histories, out / "loss.png")
    return results


def _loss(data: dict, scores: np.ndarray, background: float) -> float:
    """The training loss (weighted binary cross-entropy, the training's background weight) on the test crossings."""
    te = data["split"]["test"]
    y = data["signal"][te]
    w = training_weights(data, te, "test", background).astype(np.float64)
    z = scores.astype(np.float64)
    loss = np.logaddexp(0, z) - y * z
    return float(np.sum(w * loss) / np.sum(w))


def _seed_summary(runs: list[dict]) -> dict:
    eff = np.array([r["efficiency"] for r in runs])
    rate = np.array([r["rate_hz"] for r in runs])
    return {
        "efficiency": float(eff.mean()),
        "efficiency_seed_std": float(eff.std(ddof=1)) if len(eff) > 1 else 0.0,
        "efficiency_err": float(np.mean([r["efficiency_err"] for r in runs])),
        "rate_hz": float(rate.mean()),
        "rate_err_hz": float(np.mean([r["rate_err_hz"] for r in runs])),
        "seeds": len(runs),
    }


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _stream_info(data: dict) -> dict:
    info = data["info"]
    te = data["split"]["test"]
    counts = {p: int(np.sum(data["process"] == k)) for k, p in enumerate(info["processes"])}
    test = {p: int(np.sum(data["process"][te] == k)) for k, p in enumerate(info["processes"])}
    return {k: v for k, v in info.items() if k != "config"} | {"crossings": counts, "test_crossings": test}


def _working_point(cfg: TriggerRateConfig, data: dict, run: dict, rows: dict) -> dict:
    """The firmware network's working point for its project's report: its rate and efficiency on the test
    crossings, and its paired gains over each cut baseline (this seed; the test bootstrap its error)."""
    info = data["info"]
    gains = {
        base: _public(paired_gain(data, [run["_passed"]], rows[base]["_passed"], cfg.bootstrap, cfg.split_seed))
        for base in BASELINES
    }
    return {
        "budget_khz": cfg.budget_hz / 1e3,
        "rate_khz": run["rate_hz"] / 1e3,
        "rate_err_khz": run["rate_err_hz"] / 1e3,
        "efficiency": run["efficiency"],
        "efficiency_err": run["efficiency_err"],
        "threshold": run["threshold"],
        "stream": f"level-1 stream at 2e34, 40 MHz, pile-up {info['pileup_mu']:.1f}"
        + (", embedded sample" if cfg.embedded else ""),
        "source": f"fpga-nn trigger-rate, {int(data['signal'][data['split']['test']].size):,} test crossings, "
        f"seed {run['seed']}",
        "gains": gains,
        "baselines": {
            base: {
                "rate_khz": rows[base]["rate_hz"] / 1e3,
                "rate_err_khz": rows[base]["rate_err_hz"] / 1e3,
                "efficiency": rows[base]["efficiency"],
                "efficiency_err": rows[base]["efficiency_err"],
            }
            for base in BASELINES
        },
    }


def _firmware(run: dict, data: dict, part: str, out: Path, pre, working_point: dict) -> dict:
    """Build the median seed's QKeras network with its declared input stage; C-simulated on every test crossing.
    The project's report shows the working point (``working_point.json``)."""
    from ...reports.report import summary_lines

    te = data["split"]["test"]
    options = firmware.BuildOptions(part=part, force=True, name="trigger_rate", output_dir=out / "firmware")
    result = run_build(
        "trigger-rate",
        run["_model"],
        data["raw"][te],
        pre.input_type,
        options,
        pre=pre,
        labels=data["signal"][te],
        working_point=working_point,
    )
    csim = result.checked.csim.ravel()
    report = result.report or {}
    return {
        "seed": run["seed"],
        "mismatches": result.check["mismatches"],
        "events": result.check["events"],
        "decisions_equal_to_qkeras": bool(np.array_equal(csim >= run["threshold"], run["_passed"])),
        "latency": report.get("latency"),
        "resources": report.get("resources", []),
        "summary": [line for line in summary_lines(report) if not line.startswith("note")],
    }


def markdown(r: dict) -> str:
    s = r["stream"]
    budget = r["budget_hz"]
    lines = [
        "# The 5-6-1 trigger network at a level-1 rate",
        "",
        f"Level-1 stream at 2e34 cm^-2 s^-1, 40 MHz crossings, pile-up mu = {s['pileup_mu']:.1f} "
        f"(sigma_inel {s['sigma_mb']['inelastic']:.1f} mb, Pythia {s['pythia']}); crossings generated: "
        + ", ".join(f"{lab} {s['crossings'][p]:,}" for p, lab in zip(s["processes"], s["labels"], strict=True))
        + ". Inputs: "
        + ", ".join(r["inputs"])
        + " (8-bit, 0.5 GeV LSB).",
        "",
        f"Every selection's threshold is set at {budget / 1e3:g} kHz on the training crossings; rate (± Monte Carlo "
        "error of the weights) and signal efficiency (± binomial) on the test crossings.",
        "",
        "| selection | rate (kHz) | signal efficiency | notes |",
        "|---|---|---|---|",
    ]
    for name, row in r["rows"].items():
        note = ""
        if "cuts_gev" in row:
            note = f" {row['logic']} ".join(f"{k} >= {v:g} GeV" for k, v in row["cuts_gev"].items())
        if "seeds" in row:
            note = f"mean of {row['seeds']} seeds, seed std {row['efficiency_seed_std']:.3f}"
        lines.append(
            f"| {name} | {row['rate_hz'] / 1e3:.2f} ± {row['rate_err_hz'] / 1e3:.2f} | "
            f"{row['efficiency']:.3f} ± {row['efficiency_err']:.3f} | {note} |"
        )
    lines += [
        "",
        "Paired efficiency gains on the same test crossings (seed spread and test bootstrap combined):",
        "",
        "| comparison | gain | error | gain / error |",
        "|---|---|---|---|",
    ]
    for name, g in r["gains"].items():
        sig = f"{g['significance']:.1f}" if g["significance"] is not None else "-"
        lines.append(f"| {name} | {g['gain']:+.3f} | {g['error']:.3f} | {sig} |")
    c = r["training_choice"]
    lines += [
        "",
        "Input type and background : signal training weight, chosen on the validation crossings (QKeras network, "
        "first seed; efficiency at the budget): "
        + ", ".join(f"{k}: {v:.3f}" for k, v in c["validation_efficiency"].items())
        + f"; chosen {c['input_type']}, {c['background_weight']:g}. Trees (weights "
        + ", ".join(f"{k}: {v:.3f}" for k, v in c["trees_validation_efficiency"].items())
        + f"): {c['trees_background_weight']:g}.",
    ]
    q = r["quantized_minus_float_test_loss"]
    fw = r["firmware"]
    lines += [
        "",
        f"Quantized minus float test loss, paired by seed: {q['mean']:+.4f}"
        + (f" ± {q['error']:.4f}" if q["error"] is not None else "")
        + f" (per seed {q['per_seed']}).",
        "",
        f"Firmware (seed {fw['seed']}): {fw['mismatches']} mismatches / {fw['events']:,} test crossings "
        f"(C-simulation vs QKeras); decisions at the working point equal: {fw['decisions_equal_to_qkeras']}.",
        "",
        *(f"- {line}" for line in fw["summary"]),
        "",
    ]
    return "\n".join(lines)
