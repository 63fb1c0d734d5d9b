"""The reference classifier suite on H -> Z gamma (seed 004): train, select by significance, tabulate.

One dataset (cached, generated in parallel; background with the power shower, weighted towards high
pTHat in a narrow mHat window), split by seed into train / validation / test. Every row of the table is
one method (Random, BDT, XGBoost, FNN, DFNN, ETN) with one loss (BCE, extreme, each optionally + lambda
DisCo), on 11 inputs (15 with DisCo, as seed 004). Neural rows are trained once per seed and keep the
epoch of best validation AUC. Metrics on the test set inside the mass window: binned significance
(with the empty-bin floor varied), AUC; on all test background: dCor^2(score, m(llg)). Uncertainties:
seed spread and the Poisson bootstrap of the test set (the same replicas for all rows, so differences
between rows have paired uncertainties). The background with the other shower matching is a second test
sample: the same trained models, scored on it. The quantized FNN/DFNN rows are built into firmware
and scored by its C-simulation.

Each finished row is written to ``OUT/rows/<key>.json`` (+ ``.npz`` scores) with a hash of the
settings it depends on: a rerun skips it (resumable) unless the settings changed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np

from ... import outdir
from ...fixed import FixedType
from ...fixed.arith import on_grid
from ...hardware.parts import DEFAULT_PART
from ...jsonio import write_json
from ...training import backend
from ...yamlconfig import plain
from . import firmware as fw
from .compare import comparisons
from .config import TREE_METHODS, SuiteConfig, load_config
from .data import (
    MASS,
    METHODS,
    NN_METHODS,
    Bootstrap,
    Prepared,
    _hash,
    evaluate,
    generation_configs,
    load_events,
    load_samples,
    prepare,
    row_features,
    row_key,
    row_label,
    window_mask,
)
from .devices import PeakMemory, device_info
from .train import _tree_score, _trees, build_network, cut_direction, train_network

__all__ = [
    "MASS",
    "METHODS",
    "NN_METHODS",
    "Bootstrap",
    "PeakMemory",
    "Prepared",
    "build_network",
    "comparisons",
    "device_info",
    "evaluate",
    "generation_configs",
    "load_config",
    "load_events",
    "prepare",
    "row_key",
    "row_label",
    "run_row",
    "run_suite",
    "train_network",
    "window_mask",
]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- rows
def run_row(
    cfg: SuiteConfig, row: dict, prep: Prepared, boot: Bootstrap, out: Path, part: str, progress: bool = True
) -> dict:
    """Train a row (a neural row once per ``training.seeds``) on its inputs and evaluate it.

    ``test`` is the first seed's evaluation (bootstrap replicas, bins, plots); ``seeds`` lists every
    seed's and ``seed_summary`` their mean and standard deviation."""
    method = row["method"]
    t0 = time.perf_counter()
    meta: dict = {}
    every = prep.info["features"]
    features = row_features(cfg, row)
    cols = [every.index(f) for f in features]
    x = {k: v[:, cols] for k, v in prep.x.items()}
    fw_type = None
    if row.get("firmware") and method in NN_METHODS:  # QKeras rows train on the firmware's input grid
        fw_type = FixedType.parse(cfg.firmware.input_type)
        x = {k: on_grid(v, fw_type) for k, v in x.items()}
    seed_runs = []  # (seed, best epoch, test scores) of every seed of a neural row
    zjets_seeds = []  # every seed's scores on the test split with Z + jets
    framework = None if method not in NN_METHODS else "tf_keras" if row.get("firmware") else "keras"
    with PeakMemory(framework) as mem:
        if method == "Random":
            rng = np.random.default_rng(cfg.training.seed)
            scores = {k: rng.uniform(size=len(v)) for k, v in x.items() if k.startswith("test")}
            params = 0
        elif method == "Cut":  # the simplest baseline: categories in one input, its direction from training
            sign, meta = cut_direction(prep, x["train"][:, 0])
            scores = {k: sign * v[:, 0].astype(np.float64) for k, v in x.items() if k.startswith("test")}
            params = int(cfg.significance.n_bins) - 1  # the bin edges: thresholds on the variable
        elif method in TREE_METHODS:
            model, meta = _trees(cfg, row, prep, x)
            scores = {k: _tree_score(model, v) for k, v in x.items() if k.startswith("test")}
            params = meta.get("n_trees", meta.get("best_iteration", 0))
        else:
            seeds = list(cfg.training.seeds)
            for k, seed in enumerate(seeds):
                trained, seed_meta = train_network(cfg, row, prep, x, progress, seed=seed)
                seed_scores = {
                    name: trained.predict(v, batch_size=8192, verbose=0).reshape(-1).astype(np.float64)
                    for name, v in x.items()
                    if name.startswith("test")
                }
                seed_runs.append((seed, seed_meta["best_epoch"], seed_scores["test"]))
                if "test_zjets" in seed_scores:
                    zjets_seeds.append(seed_scores["test_zjets"])
                if k == 0:
                    model, meta, scores = trained, seed_meta, seed_scores
                else:
                    scores[f"test_seed{seed}"] = seed_scores["test"]
            params = int(model.count_params())
    seconds = time.perf_counter() - t0
    result = {
        "key": row_key(row),
        "label": row_label(row),
        "method": method,
        "loss": row.get("loss"),
        "disco": bool(row.get("disco")),
        "firmware": bool(row.get("firmware")) and method in NN_METHODS,  # a QKeras row: its scores are firmware
        "tree_firmware": bool(row.get("firmware")) and method in TREE_METHODS,
        "features": features,
        "parameters": params,
        "parameters_kind": {"BDT": "trees", "XGBoost": "trees", "Cut": "cuts"}.get(method, "weights"),
        "train_seconds": round(seconds, 2),
        "memory": mem.result,
        "made_on": meta.get("backend") or {"keras_backend": None, "device": _tree_device(method, meta)},
        "best_epoch": meta.get("best_epoch"),
        "epochs_run": meta.get("epochs_run"),
        "history": meta.get("history"),
        "extra": {k: v for k, v in meta.items() if k not in ("history", "best_epoch", "epochs_run", "backend")},
    }
    result["test"] = evaluate(cfg, prep, "test", scores["test"], boot)
    per_seed = []
    for k, (seed, best_epoch, test_scores) in enumerate(seed_runs):
        ev = result["test"] if k == 0 else evaluate(cfg, prep, "test", test_scores, None)  # the first: tabulated
        per_seed.append(
            {
                "seed": seed,
                "best_epoch": best_epoch,
                **{m: ev[m] for m in ("significance", "auc", "bkg_corr")},
                "significance_by_floor": ev["significance_by_floor"],
            }
        )
    if per_seed:
        result["seeds"] = per_seed
        result["seed_summary"] = {
            m: {"mean": float(np.mean([p[m] for p in per_seed])), "std": float(np.std([p[m] for p in per_seed]))}
            for m in ("significance", "auc", "bkg_corr")
        }
    if "test_var" in scores:
        result["test_variation"] = evaluate(cfg, prep, "test_var", scores["test_var"], None)
    if "test_zjets" in scores:  # the table on Zgamma + Z+jets: every seed (no bootstrap)
        result["test_zjets"] = evaluate(cfg, prep, "test_zjets", scores["test_zjets"], None)
        result["test_zjets"]["seeds"] = [
            {m: ev[m] for m in ("significance", "auc")}
            for ev in (evaluate(cfg, prep, "test_zjets", s, None) for s in zjets_seeds)
        ]
    if row.get("firmware"):
        if method in NN_METHODS:
            result["firmware_check"], fw_scores = fw.qkeras_firmware(row, model, x["test"], fw_type, out, part)
        else:  # a tree row keeps its float scores as the row's and adds its conifer firmware beside them
            result["firmware_check"], fw_scores = fw.tree_firmware(cfg, row, model, x["test"], out, part)
        result["firmware_test"] = evaluate(cfg, prep, "test", fw_scores, boot)
        scores["firmware"] = fw_scores
    np.savez_compressed(out / "rows" / f"{result['key']}.npz", **scores)
    return result


def _tree_device(method: str, meta: dict) -> str:
    return "CUDA" if meta.get("device") == "cuda" else "CPU"


# ----------------------------------------------------------------------------------------------- driver
@outdir.writes_results("suite")
def run_suite(
    cfg: SuiteConfig,
    out: Path,
    part: str = DEFAULT_PART,
    fresh: bool = False,
    workers: int | None = None,
    progress: bool = True,
    samples_only: bool = False,
) -> dict:
    """Every row of ``cfg`` (resumed), the table and plots in ``out``; with ``samples_only``, only the
    samples' record (``samples.json``: cross sections, MC statistics in the window, pT(llg) shapes)."""
    from tqdm import tqdm

    from . import plots as suite_plots
    from . import report as suite_report

    out = Path(out)
    (out / "rows").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    loaded = load_samples(cfg, workers, progress)
    nominal, syst, gen_nominal, gen_syst = (loaded[k] for k in ("nominal", "syst", "gen_nominal", "gen_syst"))
    t_data = time.perf_counter() - t0
    zjets = (loaded["zjets"], loaded["fake"]["rate"]) if loaded["zjets"] is not None else None
    prep = prepare(cfg, nominal, syst, zjets)
    variation = ("power shower" if gen_syst.power_shower else "default shower matching") if gen_syst else None
    samples = {
        "generation": {
            "nominal": dataclasses.asdict(gen_nominal),
            "variation": dataclasses.asdict(gen_syst) if gen_syst else None,
        },
        "variation": variation,
        "background_validation": loaded["validation"],
        "reweighted_to_measurement": bool(cfg.dataset.reweight),
        "zjets_fake_rate": loaded["fake"],
        "dataset": prep.info,
        "data_seconds": round(t_data, 1),
        "pt_llg_above_40_gev": suite_plots.pt_plot(
            _pt_samples(nominal, syst, gen_nominal, variation), out / "pt_llg.png"
        ),
    }
    if loaded["validation"]:
        suite_plots.validation_plot(loaded["validation"], out / "background_validation.png")
    write_json(out / "samples.json", samples, indent=1)
    if samples_only:
        return samples
    n_win = int(window_mask(cfg, prep.mass["test"]).sum())
    boot = Bootstrap(n_win, int(cfg.bootstrap), seed=cfg.training.seed + 100)
    every = plain(cfg)
    common = {
        k: every[k]
        for k in (
            "dataset",
            "window",
            "significance",
            "training",
            "features",
            "features_no_disco",
            "systematic",
            "bootstrap",
            "reference",
            "zjets",
        )
    }
    rows = []
    bar = tqdm(cfg.rows, desc="suite", unit="model", disable=not progress)
    for row in bar:
        key = row_key(row)
        bar.set_postfix(model=key)
        settings = {
            "common": common,
            "row": row,
            "section": every.get(row["method"].lower()) or {},
            "firmware": every["firmware"] if row.get("firmware") else None,
            "v": 2,  # 2: seeds, 11/15 inputs, weighted samples
        }
        if row.get("disco"):
            settings["disco"] = every["disco"]
        if row["method"] in NN_METHODS and not row.get("firmware"):
            settings["keras_backend"] = backend.current()  # a row trained on another backend is retrained
        digest = _hash(settings)
        path = out / "rows" / f"{key}.json"
        if not fresh and path.is_file() and (out / "rows" / f"{key}.npz").is_file():
            done = json.loads(path.read_text())
            if done.get("settings_hash") == digest:
                log.info("%s: finished earlier, reusing %s", key, path)
                rows.append(done)
                continue
        result = run_row(cfg, row, prep, boot, out, part, progress)
        result["settings_hash"] = digest
        write_json(path, result, indent=1)
        rows.append(result)
    results = {
        "suite": "H -> Z gamma reference classifiers (seed 004)",
        "config": every,
        **samples,
        "device": device_info(),
        "rows": rows,
    }
    results["comparisons"] = comparisons(rows)
    suite_report.write(results, out, {"y": prep.y["test"], "mass": prep.mass["test"], "weight": prep.weight["test"]})
    return results


def _pt_samples(nominal, syst, gen_nominal, variation) -> dict:
    """pT(llg) and generator weights of signal and of each background model."""

    def pt_llg(data, label):
        sel = data.label == label
        pt = data.features["pt_llg_over_m"][sel] * data.features[MASS][sel]
        return pt, data.features["event_weight"][sel].astype(np.float64)

    shower = "power shower" if gen_nominal.power_shower else "default shower"
    samples = {"signal (gg -> H -> Z gamma)": pt_llg(nominal, 1), f"background, {shower} (nominal)": pt_llg(nominal, 0)}
    if syst is not None:
        samples[f"background, {variation} (variation)"] = pt_llg(syst, 0)
    return samples
