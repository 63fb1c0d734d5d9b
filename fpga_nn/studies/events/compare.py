"""The comparisons of ``fpga-nn events``, from the tuned runs of :func:`fpga_nn.training.tuning.run_grid`:
one row per network (seed means beside the first seed's test summary), seed 003's claim, and the compact
CNN against the ResNet style at every training-set size. Each comparison is a paired accuracy difference on
the same test images, seed k beside seed k, with the seed spread and the test bootstrap combined
(:mod:`fpga_nn.reports.tuned`); a direction is said only beyond twice that error, and every verdict names
the training-set size it was measured at.
"""

from __future__ import annotations

import numpy as np

from ...data import event_images as ei
from ...reports import metrics, tuned
from ...reports import multiclass as mc
from ...reports.paired import accuracy

CLASSES = ei.CLASSES
LARGE = ("resnet_style", "densenet_style", "inception_style", "mobilenetv2_style")


def rows(y: np.ndarray, grid: dict, rate: float, n_boot: int, seed: int) -> dict[str, dict]:
    """Per network: the first seed's summary (confusion, per-class efficiencies, its test error), the seed
    mean and spread of accuracy and one-vs-rest AUC, the learning-rate search and the epochs."""
    out = {}
    for name, runs in grid["seeds"].items():
        first = mc.summarize(y, runs[0]["test"], CLASSES, rate, n_boot, seed)
        acc = np.array([accuracy(y, r["test"]) for r in runs])
        aucs = {c: [metrics.auc(y == k, r["test"][:, k]) for r in runs] for k, c in enumerate(CLASSES)}
        out[name] = {
            **first,
            "parameters": runs[0]["parameters"],
            "learning_rate": grid["chosen"][name],
            "val_loss_by_learning_rate": {f"{lr:g}": run["val_loss"] for lr, run in grid["search"][name].items()},
            "seeds": len(runs),
            "train_images": runs[0]["train_images"],
            "accuracy_seeds": acc.round(5).tolist(),
            "accuracy_mean": float(acc.mean()),
            "accuracy_sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
            "auc_mean": {c: float(np.mean(v)) for c, v in aucs.items()},
            "best_epochs": [r["best_epoch"] for r in runs],
            "epochs_run": [r["epochs_run"] for r in runs],
            "seconds_per_epoch": round(float(np.mean([r["seconds_per_epoch"] for r in runs])), 2),
        }
    return out


def resnet_claim(y: np.ndarray, grid: dict, n_boot: int, seed: int) -> dict | None:
    """Seed 003: "ResNet50 is the best of the four". At the whole training set: reproduced when the ResNet
    style's accuracy is above every other large style's by more than twice the combined error, not
    reproduced when one is above it by that much, else not resolved."""
    runs = grid["seeds"]
    large = [k for k in LARGE if k in runs]
    if "resnet_style" not in large or len(large) < 2:
        return None
    diffs = {
        k: tuned.difference(y, runs["resnet_style"], runs[k], accuracy, n_boot, seed)
        for k in large
        if k != "resnet_style"
    }
    n = runs["resnet_style"][0]["train_images"]
    ahead = [k for k, d in diffs.items() if d["word"] == "lower"]
    if all(d["word"] == "higher" for d in diffs.values()):
        verdict = f"reproduced at {n:,} training images"
    elif ahead:
        verdict = f"not reproduced at {n:,} training images: {', '.join(ahead)} higher"
    else:
        verdict = f"not resolved at {n:,} training images"
    return {
        "statement": f"the ResNet style has the best test accuracy of the {len(large)} large styles",
        "verdict": verdict,
        "seeds": min(len(runs[k]) for k in large),
        "resnet_minus": diffs,
        "rule": "paired accuracy difference, seed k beside seed k; error = seed spread / sqrt(seeds) (+) "
        "test bootstrap; a direction only beyond twice the error",
    }


def compact_vs_resnet(y: np.ndarray, grid: dict, n_boot: int, seed: int) -> list[dict]:
    """The compact CNN's accuracy minus the ResNet style's at every training-set size, with its word."""
    return tuned.versus(y, grid, "compact_cnn", "resnet_style", accuracy, n_boot, seed, "compact")
