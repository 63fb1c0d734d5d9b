"""fpga-nn cnn: the image-task table (the compact CNN vs the ResNet style, tuned alike, and its firmware)."""

from __future__ import annotations

from pathlib import Path

import click

from ..hardware.parts import DEFAULT_PART


@click.command()
@click.option("--part", default=DEFAULT_PART, show_default=True, help="FPGA part of the CNN firmware.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/cnn"),
    show_default=True,
    help="Folder for results.json, results.md and roc.png.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Firmware project folder (default hls_projects/cnn).",
)
@click.option("--force", is_flag=True, help="Replace an existing firmware project.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Event-generation processes (default: all cores)."
)
def cnn(part, out, output_dir, force, workers):
    """Generate jet images, train the float references and the QKeras CNN, build its firmware, write the table."""
    import json

    from ..build.firmware import BuildOptions
    from ..hardware.parts import parse_part
    from ..studies.cnn.run import build_cnn

    parse_part(part)
    options = BuildOptions(part=part, name="cnn", io_type="io_stream", output_dir=output_dir, force=force)
    target = build_cnn(options, table_dir=out, workers=workers).project
    res = json.loads((out / "results.json").read_text())
    for r in res["rows"]:
        a = r["auc"]
        spread = f" ± {a['sd']:.4f} over {a['seeds']} seeds" if a["seeds"] > 1 else " (one network)"
        click.echo(f"{r['model']:<26} {r['parameters']:>10,} parameters  AUC {a['mean']:.4f}{spread}")
    for c in (res.get("compact_vs_resnet") or {}).get("by_size", []):
        click.echo(
            f"compact CNN vs ResNet: {c['verdict']} (AUC difference {c['difference']:+.4f} ± {c['error']:.4f}, "
            f"{len(c['per_seed'])} seeds)"
        )
    for name, sizes in (res.get("compact_vs_others") or {}).items():
        for c in sizes:
            d = f"AUC difference {c['difference']:+.4f} ± {c['error']:.4f}"
            click.echo(f"compact CNN vs {name}: {c['verdict']} ({d})")
    click.echo(f"project: {target}\ntable: {out / 'results.md'}")
