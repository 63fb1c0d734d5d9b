"""Tables of a comparison whose networks were tuned alike (:func:`fpga_nn.training.tuning.run_grid`):
a statistic (accuracy, AUC) against training-set size, and one network against another at every size as
a paired difference with seed and test errors combined (:func:`fpga_nn.reports.paired.paired`), worded
with the size it was measured at. A run is a dict with the test outputs (``test``) and ``train_images``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .paired import paired, words

Stat = Callable[[np.ndarray, np.ndarray], float]


def seed_values(y: np.ndarray, runs: list[dict], stat: Stat) -> dict:
    """The statistic of every seed's run, their mean and spread."""
    v = np.array([stat(y, r["test"]) for r in runs])
    return {
        "seeds": len(v),
        "values": v.round(5).tolist(),
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
        "best_epochs": [r["best_epoch"] for r in runs if "best_epoch" in r],
    }


def sizes(y: np.ndarray, grid: dict, stat: Stat) -> list[dict]:
    """The statistic (seed mean and spread) of every network at every training-set size, smallest first."""
    table = []
    for fraction in sorted(grid["sizes"]):
        nets = grid["sizes"][fraction]
        table.append(
            {
                "fraction": fraction,
                "train_images": next(iter(nets.values()))[0]["train_images"],
                "networks": {n: seed_values(y, runs, stat) for n, runs in nets.items()},
            }
        )
    return table


def difference(y: np.ndarray, a: list[dict], b: list[dict], stat: Stat, n_boot: int, seed: int) -> dict:
    """stat(A) - stat(B), seed k beside seed k (as many seeds as both have), and its word."""
    n = min(len(a), len(b))
    d = paired(y, [r["test"] for r in a[:n]], [r["test"] for r in b[:n]], stat, n_boot, seed)
    return {**d, "word": words(d)}


def versus(y: np.ndarray, grid: dict, a: str, b: str, stat: Stat, n_boot: int, seed: int, label: str) -> list[dict]:
    """Network ``a`` minus network ``b`` at every training-set size: "LABEL higher / lower at N training
    images", or "not resolved at N training images"."""
    out = []
    for fraction in sorted(grid["sizes"]):
        nets = grid["sizes"][fraction]
        if a not in nets or b not in nets:
            continue
        d = difference(y, nets[a], nets[b], stat, n_boot, seed)
        n = nets[a][0]["train_images"]
        word = d["word"] if d["word"] == "not resolved" else f"{label} {d['word']}"
        out.append({"fraction": fraction, "train_images": n, **d, "verdict": f"{word} at {n:,} training images"})
    return out


def size_plot(table: list[dict], path: Path, ylabel: str) -> None:
    """The statistic against training images, one line per network (seed mean, seed spread as bars)."""
    from .plots import _plt, save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    n = [t["train_images"] for t in table]
    for name in table[-1]["networks"]:
        m = [t["networks"][name]["mean"] for t in table]
        e = [t["networks"][name]["sd"] for t in table]
        ax.errorbar(n, m, yerr=e, marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("training images")
    ax.set_ylabel(f"{ylabel} (seed mean, bars: seed spread)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)
