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
