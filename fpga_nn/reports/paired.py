"""Paired differences between classifiers on the same test events, with seed and test errors combined, and
the word such a difference supports (issue 31: a direction only beyond twice its combined error)."""

from __future__ import annotations

import numpy as np

from . import metrics


def paired(y: np.ndarray, nets_a: list, nets_b: list, stat, n_boot: int, seed: int) -> dict:
    """``stat(y, output)`` of network A minus network B on the same test events, seed by seed (A's seed k
    beside B's seed k; one B output serves every seed of A): the seed mean of the differences; error = seed
    spread / sqrt(seeds) (+) a paired bootstrap of the test set (every seed's pair on the same resample)."""
    if len(nets_b) == 1:
        nets_b = list(nets_b) * len(nets_a)
    if len(nets_b) != len(nets_a):
        raise ValueError(f"paired: {len(nets_a)} seeds of A against {len(nets_b)} of B")
    diffs = np.array([stat(y, a) - stat(y, b) for a, b in zip(nets_a, nets_b, strict=True)])
    seed_err = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        boots.append(np.mean([stat(y[i], a[i]) - stat(y[i], b[i]) for a, b in zip(nets_a, nets_b, strict=True)]))
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


def paired_auc(y: np.ndarray, nets: list[np.ndarray], reference: np.ndarray, n_boot: int, seed: int) -> dict:
    """AUC of the networks (one score array per seed) minus the reference's on the same test candidates
    (:func:`paired`)."""
    return paired(y, nets, [reference], metrics.auc, n_boot, seed)


def accuracy(y: np.ndarray, prob: np.ndarray) -> float:
    """Multi-class accuracy of class probabilities (or logits): argmax == label."""
    return float(np.mean(np.argmax(prob, axis=1) == y))


def words(paired: dict) -> str:
    """The verdict a paired difference supports: a direction only beyond twice its combined error."""
    d, e = paired["difference"], paired["error"]
    if e > 0 and abs(d) > 2 * e:
        return "higher" if d > 0 else "lower"
    return "not resolved"
