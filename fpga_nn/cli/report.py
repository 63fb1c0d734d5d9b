"""fpga-nn report: latency, II, resources and working points of a built project, each with its source."""

from __future__ import annotations

from pathlib import Path

import click


def summary_lines(r: dict) -> list[str]:
    lines = []
    lat = r.get("latency")
    if lat:
        lines.append(
            f"latency: {lat['cycles_max']} cycles = {lat['ns_max']:.1f} ns at {lat['clock_period_ns']} ns, "
            f"II {lat['ii']} [{lat['source']}]"
        )
    for row in r.get("resources", []):
        inv = f" (+{row['inv']} INV)" if row.get("inv") else ""
        lines.append(
            f"resources: {row['lut']} LUT{inv}, {row['ff']} FF, {row['dsp']} DSP, {row['bram_18k']} BRAM18 "
            f"[{row['source']}]"
        )
    for note in r.get("notes", []):
        lines.append(f"note: {note}")
    return lines


@click.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option(
    "--input-rate-khz",
    type=float,
    default=1000.0,
    show_default=True,
    help="Rate of candidates reaching the network, for the trigger rates.",
)
def report(project: Path, input_rate_khz: float):
    """Write PROJECT/report.json, report.md and report.html and print the headline figures."""
    from ..reports.report import write

    r = write(project, input_rate_khz)
    for line in summary_lines(r):
        click.echo(line)
    click.echo(f"report: {project / 'report.html'}")
