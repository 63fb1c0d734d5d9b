"""The physics studies, one folder each (its sample generation lives in ``data/``, its networks in
``models/``; its run, table and plots here). A study with the common shape (``--quick``, ``--out``,
``--part``, ``--fresh``, ``--workers``, optional flags) declares a :class:`Study` in its package, and one
line of :data:`STUDIES` makes it an ``fpga-nn`` command (``cli/studies.py`` generates them). ``suite``
and ``cnn``, whose options differ, keep command modules of their own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Study:
    name: str  # the command
    help: str  # its --help text
    default_out: str  # results folder
    quick_help: str  # what --quick runs
    run: Callable[..., dict]  # run(quick, out, part, fresh, workers, **flags) -> results record
    summary: Callable[[dict, object], list[str]]  # the lines the command prints from the record and out
    flags: tuple[tuple[str, str], ...] = ()  # extra boolean options: (name, help)


# one line per study with the common shape: its package exports STUDY
STUDIES = ("llp", "events", "tracking", "trigger_rate")


def registered() -> list[Study]:
    return [importlib.import_module(f"{__name__}.{name}").STUDY for name in STUDIES]
