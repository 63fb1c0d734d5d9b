"""The trigger-rate study's plots: signal efficiency against rate, and every seed's loss curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...reports.plots import _plt, save_figure


def efficiency_vs_rate(curves: dict[str, tuple], rows: dict[str, dict], budget_hz: float, path: Path) -> None:
    """Efficiency-vs-rate curves (test crossings) with every row's working point (rate ± MC error)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    for name, (rate, eff) in curves.items():
        style = ":" if name.startswith("threshold on") else "-"
        keep = rate > 0
        ax.plot(rate[keep] / 1e3, eff[keep], style, lw=1.2, label=name)
    for k, (name, row) in enumerate(rows.items()):
        ax.errorbar(
            row["rate_hz"] / 1e3,
            row["efficiency"],
            xerr=row["rate_err_hz"] / 1e3,
            yerr=row["efficiency_err"],
            fmt="os^vD<>"[k % 7],
            ms=5,
            capsize=2,
            label=f"{name} at the budget",
        )
    ax.axvline(budget_hz / 1e3, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("rate at 2e34 cm$^{-2}$s$^{-1}$ (kHz, test crossings)")
    ax.set_ylabel("H -> Z gamma efficiency")
    ax.set_xlim(budget_hz / 1e3 / 30, budget_hz / 1e3 * 30)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def loss_curves(histories: dict[str, dict], path: Path) -> None:
    """Training (solid) and validation (dashed) loss per epoch, one panel per network kind, a colour per seed."""
    plt = _plt()
    kinds = sorted({name.split(" seed ")[0] for name in histories})
    fig, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 4), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        for name, hist in histories.items():
            if not name.startswith(kind + " "):
                continue
            ep = np.arange(1, len(hist["loss"]) + 1)
            (line,) = ax.plot(ep, hist["loss"], lw=1, label=name.split(" ", 1)[1])
            ax.plot(ep, hist["val_loss"], "--", lw=1, color=line.get_color())
        ax.set_title(f"{kind}: train (solid), validation (dashed)", fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylabel("weighted binary cross-entropy")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)
