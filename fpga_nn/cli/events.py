"""fpga-nn events: multi-class event images (seed 003) -- large CNN styles, the compact CNN, firmware."""

from __future__ import annotations

import click

from .options import study_options


@click.command()
@study_options("results/events", "A minutes-long run: few events, 2 epochs, three networks (CI).")
def events(quick, out, part, fresh, workers):
    """Generate Drell-Yan / ttbar / W+jets event images, train the CNNs, build the QKeras CNN's firmware."""
    from ..hardware.parts import parse_part
    from ..studies.events.run import QUICK, EventsConfig, run_events

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
