"""The suite's plots: ROC overlay, background m(llg) per score bin, training curves, pT of the selected
candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...reports.metrics import roc
from ...reports.plots import _plt, save_figure


def roc_plot(rows, scores, test, win, path):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 5))
    for r in rows:
        s = scores[r["key"]]["test"][win]
        fpr, tpr, _ = roc(test["y"][win], s, test["weight"][win])
        ax.plot(
            fpr, tpr, "--" if r["firmware"] else "-", lw=1.2, label=f"{r['label']} (AUC {100 * r['test']['auc']:.1f}%)"
        )
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    ax.set_xlabel("background efficiency (in the mass window)")
    ax.set_ylabel("signal efficiency")
    ax.legend(fontsize=6, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, 130)
    plt.close(fig)


def mass_plot(rows, scores, test, path, n_bins: int = 4):
    """Background m(llg) in bins of score (equal signal per bin): flat shapes = decorrelated."""
    want = [k for k in ("BDT", "ETN-bce", "ETN-bce+disco", "ETN-extreme+disco") if any(r["key"] == k for r in rows)]
    if not want:
        want = [rows[-1]["key"]]
    plt = _plt()
    fig, axes = plt.subplots(1, len(want), figsize=(4.2 * len(want), 3.8), squeeze=False)
    y, m = test["y"], test["mass"]
    edges = np.linspace(100, 180, 33)
    for ax, key in zip(axes[0], want, strict=True):
        s = scores[key]["test"]
        cuts = np.quantile(s[y == 1], np.linspace(0, 1, n_bins + 1)[1:-1])
        b = np.searchsorted(cuts, s, side="right")
        for k in range(n_bins):
            sel = (y == 0) & (b == k)
            if sel.sum():
                ax.hist(m[sel], bins=edges, histtype="step", density=True, label=f"score bin {k + 1}")
        corr = next(r for r in rows if r["key"] == key)["test"]["bkg_corr"]
        ax.set_title(f"{key}: dCor² = {1e3 * corr:.1f}e-3", fontsize=9)
        ax.set_xlabel("background m(llγ) [GeV]")
    axes[0][0].set_ylabel("normalised events")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def training_plot(rows, path):
    nn = [r for r in rows if r.get("history")]
    if not nn:
        return
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for r in nn:
        h = r["history"]
        ep = np.arange(1, len(h["loss"]) + 1)
        (line,) = a1.plot(ep, h["val_loss"], lw=1, label=r["label"])
        a1.plot(ep, h["loss"], ":", lw=0.8, color=line.get_color())
        metric = (r.get("extra") or {}).get("select") or next(k for k in h if k not in ("loss", "val_loss"))
        a2.plot(ep, h[metric], lw=1, color=line.get_color())
        a2.axvline(r["best_epoch"], color=line.get_color(), lw=0.5, ls="--")
    a1.set_xlabel("epoch")
    a1.set_ylabel("loss (validation solid, training dotted)")
    a1.set_yscale("symlog", linthresh=1.0)  # the extreme loss is unbounded (negative, and e^z)
    a2.set_xlabel("epoch")
    a2.set_ylabel("epoch selection metric, validation (dashed: kept epoch)")
    a1.legend(fontsize=6)
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def pt_plot(samples: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> dict:
    """Normalised pT(llg) of signal and of each background model; returns the fraction above 40 GeV."""
    from ...reports.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    above = {}
    bins = np.linspace(0, 150, 61)
    for label, (pt, w) in samples.items():
        ax.hist(pt, bins=bins, weights=w / w.sum(), histtype="step", lw=1.5, label=label)
        above[label] = float(w[pt > 40].sum() / w.sum())
    ax.set_yscale("log")
    ax.set_xlabel("pT(llg) [GeV]")
    ax.set_ylabel("fraction of events (yield-weighted)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, 110)
    plt.close(fig)
    return above


def validation_plot(validation: dict, path: Path) -> None:
    """Each shower model's d sigma / d (pT(llg) / m(llg)) in the ATLAS region beside the measurement, and
    their ratio measurement / Pythia (the background's weights)."""
    plt = _plt()
    fig, (top, low) = plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    models = validation["models"]
    first = next(iter(models.values()))["pt_llg_over_m"]
    edges = np.asarray(first["edges"])
    centre = 0.5 * (edges[1:] + edges[:-1])
    top.errorbar(centre, first["measured"], yerr=first["measured_err"], fmt="ko", ms=4, label="ATLAS 13 TeV (unfolded)")
    for name, m in models.items():
        c = m["pt_llg_over_m"]
        label = f"Pythia, {name.replace('_', ' ')} (chi2 {c['chi2']:.0f} / {c['n_bins']})"
        top.stairs(c["pythia"], edges, label=label)
        low.errorbar(centre, c["ratio"], yerr=c["ratio_err"], fmt="o", ms=3, label=name.replace("_", " "))
    top.set_yscale("log")
    top.set_ylabel("d sigma / d (pT(llg)/m(llg)) [fb]")
    top.legend(fontsize=8)
    low.axhline(1.0, color="grey", lw=0.8)
    low.set_xscale("log")
    low.set_yscale("log")
    low.set_xlabel("pT(llg) / m(llg)")
    low.set_ylabel("measured / Pythia")
    top.set_title(validation["reference"]["citation"], fontsize=9)
    save_figure(fig, path)
    plt.close(fig)
