"""results.md of ``fpga-nn events``: the accuracy table, the seed-003 claim, the firmware check."""

from __future__ import annotations


def markdown(r: dict) -> str:
    d = r["dataset"]
    test = d["images"]["test"]
    cfg = r["config"]
    lines = [
        "# Multi-class event images (seed 003)",
        "",
        f"{r['task']}. Generated: "
        + ", ".join(f"{v:,} {k}" for k, v in d["n_generated"].items())
        + " events; test images: "
        + ", ".join(f"{v:,} {k}" for k, v in test.items())
        + f". Every network: {cfg['epochs']} epochs, the epoch of lowest validation loss kept. "
        f"Device: {', '.join(r['device']['gpu']) or 'CPU'} ({r['device']['cpu_count']} cores).",
        "",
        "| network | parameters | accuracy | AUC " + " / ".join(test) + " | s / epoch | best epoch |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in r["models"].items():
        aucs = " / ".join(f"{m['classes'][c]['auc_one_vs_rest']:.4f}" for c in test)
        lines.append(
            f"| {name} | {m['parameters']:,} | {m['accuracy']:.4f} ± {m['accuracy_err']:.4f} | {aucs} "
            f"| {m.get('seconds_per_epoch', '-')} | {m.get('best_epoch', '-')} |"
        )
    c = r.get("resnet_best_of_four")
    if c:
        diffs = "; ".join(
            f"ResNet - {k}: {v['difference']:+.4f} ± {v['error']:.4f}" for k, v in c["resnet_minus"].items()
        )
        lines += ["", f"Seed 003 claim ({c['statement']}): **{c['verdict']}** ({diffs}; rule: {c['rule']})."]
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
        "Confusion matrices (rows: true class, columns: argmax; counts): `confusion.png`; one-vs-rest ROC: "
        "`roc.png`; loss curves: `loss.png`; class scores of the most accurate network: `scores.png`.",
        "",
    ]
    return "\n".join(lines)
