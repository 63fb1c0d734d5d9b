"""Figures of merit and plots of multi-class classifiers (the LLP tagger, event images).

Scores are per-class probabilities (n, classes); a logits-only firmware's outputs are turned into
probabilities with a float64 softmax first (:func:`probabilities`), which does not change argmax.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .metrics import auc, signal_efficiency_at
from .plots import _plt, save_figure


def probabilities(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def summarize(y: np.ndarray, prob: np.ndarray, classes: tuple[str, ...], rate: float, n_boot: int, seed: int) -> dict:
    """Accuracy (+ Poisson-bootstrap error), confusion matrix (counts, row-normalised), one-vs-rest AUC
    and the efficiency of each class when the jets of the other classes pass at ``rate``."""
    y = np.asarray(y).astype(int)
    prob = np.asarray(prob, np.float64)
    pred = prob.argmax(axis=1)
    right = (pred == y).astype(np.float64)
    boot = np.random.default_rng(seed).poisson(1.0, (n_boot, len(y)))
    reps = (boot * right).sum(axis=1) / np.maximum(boot.sum(axis=1), 1)
    k = len(classes)
    counts = np.zeros((k, k), int)
    np.add.at(counts, (y, pred), 1)
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    per_class = {}
    for c, name in enumerate(classes):
        is_c = y == c
        wp = signal_efficiency_at(is_c, prob[:, c], rate)
        per_class[name] = {
            "auc_one_vs_rest": auc(is_c, prob[:, c]),
            "efficiency_at_rate": wp["signal_efficiency"],
            "others_passing": wp["background_efficiency"],
            "others_passing_jets": int(round(wp["background_efficiency"] * int((~is_c).sum()))),
            "threshold": wp["threshold"],
            "jets": int(is_c.sum()),
        }
    return {
        "jets": int(len(y)),
        "accuracy": float(right.mean()),
        "accuracy_err": float(np.std(reps)),
        "confusion": counts.tolist(),
        "confusion_normalised": rows.round(4).tolist(),
        "rate": rate,
        "classes": per_class,
    }


def score_histograms(y, prob, classes: tuple[str, ...], path: Path, title: str = "") -> None:
    """The seed-000 plot: for each class's score, its distribution for the jets of every true class."""
    plt = _plt()
    k = len(classes)
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 3.6), sharey=True)
    edges = np.linspace(0, 1, 41)
    for c, ax in enumerate(np.atleast_1d(axes)):
        for t, name in enumerate(classes):
            ax.hist(prob[y == t, c], bins=edges, histtype="step", density=True, label=f"true {name}")
        ax.set_yscale("log")
        ax.set_xlabel(f"{classes[c]} score")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("normalised jets")
    np.atleast_1d(axes)[-1].legend(loc="upper center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def loss_curves(histories: dict[str, dict], path: Path) -> None:
    from .plots import loss_curves as plot

    plot(histories, path, ylabel="categorical cross-entropy (class-balanced)")


def confusion_plot(summaries: dict[str, dict], classes: tuple[str, ...], path: Path) -> None:
    """Row-normalised confusion matrices with the counts written in every cell."""
    plt = _plt()
    n = len(summaries)
    fig, axes = plt.subplots(1, n, figsize=(3.8 * n, 3.6))
    for ax, (name, s) in zip(np.atleast_1d(axes), summaries.items(), strict=True):
        m = np.asarray(s["confusion_normalised"])
        counts = np.asarray(s["confusion"])
        ax.imshow(m, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(
                    j,
                    i,
                    f"{m[i, j]:.3f}\n({counts[i, j]})",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if m[i, j] > 0.5 else "black",
                )
        ax.set_xticks(range(len(classes)), classes, rotation=30)
        ax.set_yticks(range(len(classes)), classes)
        ax.set_xlabel("predicted (argmax)")
        ax.set_title(f"{name}\naccuracy {s['accuracy']:.4f} ± {s['accuracy_err']:.4f}", fontsize=9)
    np.atleast_1d(axes)[0].set_ylabel("true")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def roc_one_vs_rest(y, probs: dict[str, np.ndarray], classes: tuple[str, ...], path: Path) -> None:
    from .metrics import roc

    plt = _plt()
    k = len(classes)
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 3.8))
    styles = ["-", "--", ":", "-."]
    for c, ax in enumerate(np.atleast_1d(axes)):
        for m, (name, p) in enumerate(probs.items()):
            fpr, tpr, _ = roc(y == c, p[:, c])
            ax.plot(fpr, tpr, styles[m % 4], label=f"{name} ({auc(y == c, p[:, c]):.4f})")
        ax.set_xscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_xlabel(f"other classes passing ({classes[c]} score)")
        ax.set_ylabel(f"{classes[c]} efficiency")
        ax.legend(loc="lower right", fontsize=7)
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)
