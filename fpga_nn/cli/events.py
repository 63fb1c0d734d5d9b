"""fpga-nn events: multi-class event images (seed 003) -- large CNN styles, the compact CNN, firmware."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--quick", is_flag=True, help="A minutes-long run: few events, 2 epochs, three networks (CI).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/events"),
    show_default=True,
    help="Folder for results.json/.md, plots, models/ (reused when the settings match) and firmware/.",
)
@click.option("--part", default="xcvu13p-flga2577-2-e", show_default=True, help="FPGA part of the CNN firmware.")
@click.option("--fresh", is_flag=True, help="Retrain the networks even if trained ones match the settings.")
@click.option("--workers", type=int, default=None, help="Event-generation processes (default: all cores).")
def events(quick, out, part, fresh, workers):
    """Generate Drell-Yan / ttbar / W+jets event images, train the CNNs, build the QKeras CNN's firmware."""
    from ..hardware.parts import parse_part
    from ..pipeline.events import QUICK, EventsConfig, run_events

    part = parse_part(part).name
    res = run_events(QUICK if quick else EventsConfig(), out, part, fresh, workers)
    for name, m in res["models"].items():
        click.echo(
            f"{name:<30} {m['parameters']:>10,} parameters  accuracy {m['accuracy']:.4f} ± {m['accuracy_err']:.4f}"
        )
    c = res.get("resnet_best_of_four")
    if c:
        click.echo(f"ResNet best of the four large styles: {c['verdict']}")
    click.echo(f"table: {out / 'results.md'}")
