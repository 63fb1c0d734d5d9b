"""Classifier figures of merit a trigger designer asks for."""

from __future__ import annotations

import numpy as np

WORKING_POINTS = (0.01, 0.05, 0.10)


def roc(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None):
    from sklearn.metrics import roc_curve

    fpr, tpr, thr = roc_curve(
        np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel(), sample_weight=weights
    )
    return fpr, tpr, thr


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(labels).ravel(), np.asarray(scores, dtype=np.float64).ravel()))


def signal_efficiency_at(labels, scores, background_efficiency: float) -> dict:
    """Best signal efficiency with a cut 'score >= threshold' keeping at most the given background fraction.

    With 8-bit scores the achievable background efficiencies are discrete: the one actually
    reached and its threshold are reported alongside.
    """
    fpr, tpr, thr = roc(labels, scores)
    ok = np.flatnonzero(fpr <= background_efficiency)
    i = ok[np.argmax(tpr[ok])]
    return {
        "target_background_efficiency": background_efficiency,
        "signal_efficiency": float(tpr[i]),
        "background_efficiency": float(fpr[i]),
        "threshold": float(thr[i]) if np.isfinite(thr[i]) else None,
    }


def summarize(labels, scores) -> dict:
    return {
        "auc": auc(labels, scores),
        "working_points": [signal_efficiency_at(labels, scores, wp) for wp in WORKING_POINTS],
    }


def best_window_cut(x, labels, background_efficiency: float, names=None) -> dict:
    """The simplest selection a physicist tries first: keep events with ``low <= x_k <= high`` on one input k
    (a one-sided cut is a window with an open end, None), the best over every input and every window whose
    background efficiency on the events given is at most the target. Evaluate it elsewhere with
    :func:`window_efficiency`."""
    x, y = np.asarray(x), np.asarray(labels).astype(bool)
    n_sig, n_bkg = int(y.sum()), int((~y).sum())
    best = {"signal_efficiency": -1.0}
    for k in range(x.shape[1]):
        values, inverse = np.unique(x[:, k], return_inverse=True)
        sig = np.concatenate([[0], np.cumsum(np.bincount(inverse[y], minlength=len(values)))])
        bkg = np.concatenate([[0], np.cumsum(np.bincount(inverse[~y], minlength=len(values)))])
        # window [values[i], values[j - 1]] keeps sig[j] - sig[i] signal events, for every i < j
        s = sig[None, :] - sig[:, None]
        b = bkg[None, :] - bkg[:, None]
        allowed = np.triu(np.ones_like(s, dtype=bool), 1) & (b <= background_efficiency * n_bkg)
        if not allowed.any():
            continue
        i, j = np.unravel_index(np.argmax(np.where(allowed, s, -1)), s.shape)
        if s[i, j] / n_sig > best["signal_efficiency"]:
            best = {
                "input": names[k] if names is not None else k,
                "low": float(values[i]) if i > 0 else None,
                "high": float(values[j - 1]) if j < len(values) else None,
                "signal_efficiency": float(s[i, j] / n_sig),
                "background_efficiency": float(b[i, j] / n_bkg),
            }
    return {"target_background_efficiency": background_efficiency, **best}


def window_efficiency(x, labels, cut: dict, names=None) -> dict:
    """Signal and background efficiency of a :func:`best_window_cut` selection on other events."""
    x, y = np.asarray(x), np.asarray(labels).astype(bool)
    k = list(names).index(cut["input"]) if names is not None else int(cut["input"])
    keep = np.ones(len(x), dtype=bool)
    if cut["low"] is not None:
        keep &= x[:, k] >= cut["low"]
    if cut["high"] is not None:
        keep &= x[:, k] <= cut["high"]
    return {
        "signal_efficiency": float(keep[y].mean()),
        "background_efficiency": float(keep[~y].mean()),
    }
