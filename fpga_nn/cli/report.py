"""fpga-nn report: latency, II, resources and working points of a built project, each with its source."""

from __future__ import annotations

from pathlib import Path

import click


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
    from ..outdir import updating_project
    from ..reports.report import summary_lines, write

    with updating_project(project) as folder:
        try:
            r = write(folder, input_rate_khz)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:  # a record edited by hand
            from ..errors import UserInputError

            raise UserInputError(
                f"{folder}: a project record is damaged ({type(exc).__name__}: {exc}): rebuild it with "
                "'fpga-nn build --force'"
            ) from None
    for line in summary_lines(r):
        click.echo(line)
    click.echo(f"report: {project / 'report.html'}")
