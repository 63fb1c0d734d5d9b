"""``fpga-nn tracking``: what a referee asks of the T5 comparison (issue 31, part 4): every network over
several training seeds, every fake family on its own, the chi^2 fit at the same background efficiencies, a
network that is given the chi^2 residuals, and the network-minus-chi^2 difference with its seed and test
errors combined."""

from __future__ import annotations

import numpy as np

from ...data import tracking
from ...reports import metrics

TIGHT = (0.01, 0.1)  # background efficiencies of the tight working points


def chi2_inputs(x: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """The network's inputs and the seven residuals of the chi^2 fit (hits 2 and 4 in r-phi, all five in
    r-z, each over its expected spread), compressed by asinh: the network is told what the fit measures."""
    return np.concatenate([x, np.arcsinh(tracking.chi2(raw, terms=True))], axis=1).astype(np.float32)


def row(y: np.ndarray, kind: np.ndarray, score: np.ndarray, background_efficiency: float, wp_fn) -> dict:
    """AUC, the working point, the tight points, and per fake kind: the AUC of true against that kind and
    the kind's efficiency at the working point."""
    wp = wp_fn(y, score, background_efficiency)
    passed = np.asarray(score, np.float64) > wp["cut"]
    out = {
        "auc": metrics.auc(y, score),
        "signal_efficiency": wp["signal_efficiency"],
        "background_efficiency": wp["background_efficiency"],
        "tight": {str(b): metrics.signal_efficiency_at(y, score, b)["signal_efficiency"] for b in TIGHT},
        "by_kind": {},
    }
    for k, name in enumerate(tracking.FAKE_KINDS):
        m = kind == k
        if m.any():
            keep = (y == 1) | m
            out["by_kind"][name] = {
                "candidates": int(m.sum()),
                "auc": metrics.auc(y[keep], score[keep]),
                "efficiency_at_wp": float(passed[m].mean()),
            }
    return out


def summary(rows: list[dict]) -> dict:
    """Seed mean, spread (sample standard deviation) and the mean's error of every number in the rows."""

    def stats(values):
        v = np.asarray(values, np.float64)
        sd = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
        return {"mean": float(v.mean()), "sd": sd, "error": sd / np.sqrt(len(v))}

    out = {k: stats([r[k] for r in rows]) for k in ("auc", "signal_efficiency", "background_efficiency")}
    out["tight"] = {b: stats([r["tight"][b] for r in rows]) for b in rows[0]["tight"]}
    out["by_kind"] = {
        name: {k: stats([r["by_kind"][name][k] for r in rows]) for k in ("auc", "efficiency_at_wp")}
        | {"candidates": rows[0]["by_kind"][name]["candidates"]}
        for name in rows[0]["by_kind"]
    }
    out["seeds"] = len(rows)
    return out


def paired_auc(y: np.ndarray, nets: list[np.ndarray], reference: np.ndarray, n_boot: int, seed: int) -> dict:
    """AUC of the networks (one score array per seed) minus the reference's on the same test candidates: the
    seed mean of the differences; error = seed spread / sqrt(seeds) (+) a paired bootstrap of the test set."""
    ref = metrics.auc(y, reference)
    diffs = np.array([metrics.auc(y, s) - ref for s in nets])
    seed_err = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        ref_b = metrics.auc(y[i], reference[i])
        boots.append(np.mean([metrics.auc(y[i], s[i]) for s in nets]) - ref_b)
    test_err = float(np.std(boots, ddof=1)) if n_boot > 1 else 0.0
    err = float(np.hypot(seed_err, test_err))
    mean = float(diffs.mean())
    return {
        "difference": mean,
        "error": err,
        "seed_error": seed_err,
        "test_error": test_err,
        "per_seed": diffs.round(5).tolist(),
        "significance": mean / err if err > 0 else None,
    }


def words(paired: dict) -> str:
    """The verdict a paired difference supports: a direction only beyond twice its combined error."""
    d, e = paired["difference"], paired["error"]
    if e > 0 and abs(d) > 2 * e:
        return "higher" if d > 0 else "lower"
    return "not resolved"
