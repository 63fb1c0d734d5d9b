"""results.md of ``fpga-nn events``: the tuned accuracy table, the training-size curve, the paired comparisons
(seed 003 and compact against ResNet), the firmware check."""

from __future__ import annotations


def _seeds(n: int) -> str:
    return f"{n} training seed{'s' if n != 1 else ''}"


def _spread(mean: float, sd: float, seeds: int) -> str:
    """Seed mean ± seed spread, or the one seed's value."""
    return f"{mean:.4f} ± {sd:.4f} ({_seeds(seeds)})" if seeds > 1 else f"{mean:.4f} (1 training seed)"


def markdown(r: dict) -> str:
    d = r["dataset"]
    test = d["images"]["test"]
    t = r["config"]["tuning"]
    m = r["models"]
    lines = [
        "# Multi-class event images (seed 003)",
        "",
        f"{r['task']}. Generated: "
        + ", ".join(f"{v:,} {k}" for k, v in d["n_generated"].items())
        + " events; test images: "
        + ", ".join(f"{v:,} {k}" for k, v in test.items())
        + ". Device: "
        + f"{', '.join(r['device']['gpu']) or 'CPU'} ({r['device']['cpu_count']} cores).",
        "",
        "Tuning, the same for every float network: Adam at each learning rate of "
        + ", ".join(f"{lr:g}" for lr in t["learning_rates"])
        + f" (training seed 0, the whole training set), the rate of lowest validation loss kept; early stopping "
        f"after {t['patience']} epoch(s) without a lower validation loss (at most {t['max_epochs']}), the best epoch "
        f"kept; {_seeds(t['seeds'])} at the chosen rate; {_seeds(t['size_seeds'])} at each smaller "
        "training set (nested subsets; the validation set stays whole).",
        "",
        "| network | parameters | learning rate (validation loss per rate) | accuracy, seed mean ± sd | first seed "
        "(± test) | AUC " + " / ".join(test) + " (seed means) | best epochs | s / epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in m.items():
        if "accuracy_mean" not in row:
            continue
        losses = ", ".join(f"{lr}: {v:.4f}" for lr, v in row["val_loss_by_learning_rate"].items())
        aucs = " / ".join(f"{row['auc_mean'][c]:.4f}" for c in test)
        lines.append(
            f"| {name} | {row['parameters']:,} | {row['learning_rate']:g} ({losses}) | "
            f"{_spread(row['accuracy_mean'], row['accuracy_sd'], row['seeds'])} | "
            f"{row['accuracy']:.4f} ± {row['accuracy_err']:.4f} "
            f"| {aucs} | {', '.join(map(str, row['best_epochs']))} | {row['seconds_per_epoch']} |"
        )
    for name in ("compact_cnn_qkeras", "compact_cnn_qkeras_firmware"):
        row = m[name]
        aucs = " / ".join(f"{row['classes'][c]['auc_one_vs_rest']:.4f}" for c in test)
        where = row.get("source") or f"training seed 0, learning rate {row['learning_rate']:g}"
        lines.append(
            f"| {name} | {row['parameters']:,} | {where} | - | {row['accuracy']:.4f} ± {row['accuracy_err']:.4f} "
            f"| {aucs} (one network) | {row.get('best_epoch', '-')} | {row.get('seconds_per_epoch', '-')} |"
        )
    sizes = r["sizes"]
    nets = list(sizes[-1]["networks"])
    lines += [
        "",
        "## Accuracy against training-set size",
        "",
        "| training images | " + " | ".join(nets) + " |",
        "|---|" + "---|" * len(nets),
    ]
    for row in sizes:
        cells = [
            _spread(row["networks"][n]["mean"], row["networks"][n]["sd"], row["networks"][n]["seeds"]) for n in nets
        ]
        lines.append(f"| {row['train_images']:,} | " + " | ".join(cells) + " |")
    lines += ["", "Seed mean ± seed spread (seeds); plot: `sizes.png`.", "", "## Comparisons", ""]
    for c in r["compact_vs_resnet"]:
        lines.append(
            f"- Compact CNN minus ResNet style, {c['train_images']:,} training images: {c['difference']:+.4f} ± "
            f"{c['error']:.4f} (seed {c['seed_error']:.4f}, test {c['test_error']:.4f}; "
            f"{_seeds(len(c['per_seed']))}): **{c['verdict']}**."
        )
    c = r.get("resnet_best_of_four")
    if c:
        diffs = "; ".join(
            f"ResNet - {k}: {v['difference']:+.4f} ± {v['error']:.4f}" for k, v in c["resnet_minus"].items()
        )
        lines.append(
            f"- Seed 003 claim ({c['statement']}): **{c['verdict']}** ({diffs}; {_seeds(c['seeds'])}; {c['rule']})."
        )
    lines += [
        "",
        "Errors of a difference: seed spread / sqrt(seeds) (+) a paired bootstrap of the test images; a "
        "direction is said only beyond twice that error.",
    ]
    fw = r["firmware"]
    head = fw.get("softmax") or {}
    lines += [
        "",
        f"Firmware (hls4ml io_stream, C-simulation of {fw['images']} test images): {fw['logit_mismatches']} "
        f"mismatches at {fw['checked']}; the table softmax equals the emulator on "
        f"{fw['images'] - (head.get('emulator_mismatches') or 0)} of {fw['images']} images, max |diff| to the float "
        f"softmax {head.get('max_abs_diff_vs_float', float('nan')):.4g}, argmax agreement "
        f"{head.get('argmax_agreement_percent', float('nan')):.2f} %; QKeras accuracy on the same images "
        f"{fw['qkeras_accuracy_same_images']:.4f}.",
        "",
        "Confusion matrices of the first seeds (rows: true class, columns: argmax; counts): `confusion.png`; "
        "one-vs-rest ROC: `roc.png`; loss curves: `loss.png`; class scores of the network of best mean accuracy: "
        "`scores.png`.",
        "",
    ]
    return "\n".join(lines)
