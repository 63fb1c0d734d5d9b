"""Options shared by the study commands (llp, events): one definition, the same spelling everywhere."""

from __future__ import annotations

from pathlib import Path

import click

from ..hardware.parts import DEFAULT_PART


def study_options(default_out: str, quick_help: str):
    """--quick, --out, --part, --fresh, --workers."""
    options = [
        click.option("--quick", is_flag=True, help=quick_help),
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=Path(default_out),
            show_default=True,
            help="Folder for results.json/.md, plots, models/ (reused when the settings match) and firmware/.",
        ),
        click.option("--part", default=DEFAULT_PART, show_default=True, help="FPGA part of the firmware."),
        click.option("--fresh", is_flag=True, help="Retrain the networks even if trained ones match the settings."),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Event-generation processes (default: all cores).",
        ),
    ]

    def wrap(f):
        for option in reversed(options):
            f = option(f)
        return f

    return wrap
