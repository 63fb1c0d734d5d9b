"""Plots written next to every build: loss curves, ROC curves, score distributions."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = 120) -> None:
    """Write ``fig`` atomically (a reader sees the old picture or the new one, never half of one)."""
    from ..atomic import replacing

    with replacing(path, suffix=Path(path).suffix or ".png") as tmp:
        fig.savefig(tmp, dpi=dpi)


def loss_curves(histories: dict[str, dict], path: Path, ylabel: str = "binary cross-entropy") -> None:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, hist in histories.items():
        ep = np.arange(1, len(hist["loss"]) + 1)
        (line,) = ax.plot(ep, hist["loss"], label=f"{label} train")
        ax.plot(ep, hist["val_loss"], "--", color=line.get_color(), label=f"{label} validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def roc_curves(
    labels, scores: dict[str, np.ndarray], path: Path, markers: dict | None = None, log_x: bool = True
) -> None:
    """ROC curves; ``markers`` maps a name to a (background, signal) efficiency point to mark."""
    from .metrics import auc, roc

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    styles = ["-", "--", ":", "-."]
    for k, (name, s) in enumerate(scores.items()):
        fpr, tpr, _ = roc(labels, s)
        (line,) = ax.plot(fpr, tpr, styles[k % len(styles)], label=f"{name} (AUC {auc(labels, s):.4f})")
        if markers and name in markers:
            bx, sy = markers[name]
            ax.plot([bx], [sy], "o", color=line.get_color(), ms=5, label=f"{name}: {sy:.3f} at {bx:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlim(1e-3 if log_x else 0, 1)
    ax.set_xlabel("background efficiency")
    ax.set_ylabel("signal efficiency")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def score_histograms(labels, scores: np.ndarray, path: Path, xlabel: str = "firmware score") -> None:
    plt = _plt()
    labels = np.asarray(labels).ravel().astype(bool)
    s = np.asarray(scores, dtype=np.float64).ravel()
    fig, ax = plt.subplots(figsize=(6, 4))
    values = np.unique(s)
    if 1 < len(values) < 600:  # a fixed-point score: one bin per code
        lsb = float(np.min(np.diff(values)))
        edges = np.arange(values[0] - lsb / 2, values[-1] + lsb, lsb)
    else:
        edges = 80
    ax.hist(s[labels], bins=edges, histtype="step", density=True, label="signal (H -> Z gamma)")
    ax.hist(s[~labels], bins=edges, histtype="step", density=True, label="background (Z gamma)")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("normalised events")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def precision_profile(layers: list[dict], type_name: str, path: Path) -> None:
    """hls4ml-style profiling: per layer, the log2 magnitudes of the weights, of the sums before a fused
    activation and of the float outputs (1 %, 25-75 %, 99 % quantiles and the largest), each against the band
    its type holds (step to largest value)."""
    plt = _plt()
    kinds = ("weights", "pre_activation", "output")
    rows = [(r["layer"], kind, r[kind]) for r in layers for kind in kinds if r.get(kind)]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.5))
    colors = {"weights": "tab:blue", "pre_activation": "tab:purple", "output": "tab:orange"}
    steps = []
    for i, (_, kind, r) in enumerate(rows):
        band = r.get("band")
        if band:
            hi = band["log2_max"] if band["log2_max"] is not None else band["log2_step"]
            ax.fill_betweenx([i - 0.4, i + 0.4], band["log2_step"], hi, color="tab:green", alpha=0.15, lw=0,
                             label="type: step to max" if not steps else None)  # fmt: skip
            steps.append(band["log2_step"])
        q = r.get("log2_quantiles")
        if q:
            ax.plot([q[0], q[4]], [i, i], color=colors[kind], lw=1)
            ax.plot([q[1], q[3]], [i, i], color=colors[kind], lw=6, solid_capstyle="butt")
        if r["max_abs"] > 0:
            ax.plot(np.log2(r["max_abs"]), i, "|", color="red" if r.get("overflow") else colors[kind], ms=10)
    labels = [f"{n} ({k.replace('_', '-')}{', overflow' if r.get('overflow') else ''})" for n, k, r in rows]
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    if steps:
        ax.set_xlim(left=max(ax.get_xlim()[0], min(steps) - 12))  # a softmax's tiny outputs would squeeze the rest
    ax.set_title(f"{type_name}\nbar: 25-75 %, line: 1-99 %, tick: largest (red: overflows its type)", fontsize=9)
    ax.set_xlabel("log2 |value|")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)
