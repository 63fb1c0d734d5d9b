"""fpga-nn data: generate the Pythia8 H -> Z gamma / Z gamma event file."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def data():
    """Event generation and inspection."""


@data.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="HDF5 file to write (cached).")
@click.option(
    "--signal",
    "n_signal",
    type=click.IntRange(min=0),
    default=40_000,
    show_default=True,
    help="Generated signal events.",
)
@click.option("--background", "n_background", type=click.IntRange(min=0), default=100_000, show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
@click.option("--chunk-size", type=click.IntRange(min=1), default=2_000, show_default=True)
@click.option("--mpi/--no-mpi", default=False, show_default=True, help="Multi-parton interactions (7-20x slower).")
@click.option("--power-shower", is_flag=True, help="Background ISR variation SpaceShower:pTmaxMatch = 2.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes (default: all cores).")
def generate(out, n_signal, n_background, seed, chunk_size, mpi, power_shower, workers):
    """Generate events (or reuse OUT if it holds the same settings) and print a summary."""
    from ..data import dataset
    from ..data.generator import GenerationConfig
    from ..errors import UserInputError

    if n_signal + n_background == 0:
        raise UserInputError("--signal 0 --background 0 generates nothing: ask for some events")

    config = GenerationConfig(
        n_signal=n_signal,
        n_background=n_background,
        seed=seed,
        chunk_size=chunk_size,
        mpi=mpi,
        power_shower=power_shower,
    )
    events = dataset.cached(config, out, workers=workers)
    click.echo(
        f"{out}: {len(events)} selected events ({int(events.label.sum())} signal) from "
        f"{events.n_generated['signal']} + {events.n_generated['background']} generated"
    )
