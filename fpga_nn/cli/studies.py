"""The study commands (``fpga-nn llp``, ``events``, ``tracking``, ...), generated from the study registry
(:data:`fpga_nn.studies.STUDIES`) with one shared option set."""

from __future__ import annotations

import click

from ..studies import Study, registered
from .options import study_options


def command(study: Study) -> click.Command:
    def run(quick, out, part, fresh, workers, **flags):
        from ..hardware.parts import parse_part

        part = parse_part(part).name
        result = study.run(quick, out, part, fresh, workers, **flags)
        for line in study.summary(result, out):
            click.echo(line)

    for name, text in reversed(study.flags):
        run = click.option(f"--{name}", is_flag=True, help=text)(run)
    run = study_options(study.default_out, study.quick_help)(run)
    return click.command(name=study.name, help=study.help)(run)


def commands() -> list[click.Command]:
    return [command(study) for study in registered()]
