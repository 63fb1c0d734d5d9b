"""Paired differences between classifiers on the same test events, with seed and test errors combined, and
the word such a difference supports (issue 31: a direction only beyond twice its combined error)."""

from __future__ import annotations

import numpy as np

from . import metrics


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
