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
