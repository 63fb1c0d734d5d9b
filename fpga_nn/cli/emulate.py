"""fpga-nn emulate: firmware scores of large input files from the bit-exact NumPy emulator."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("project", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Inputs, one row per event: .npy, or .h5 with --dataset.",
)
@click.option(
    "--inputs",
    "given",
    type=click.Choice(["raw", "codes", "network"]),
    default=None,
    help="What --data holds: raw values (default for a project with preprocess.json: its input stage "
    "codes and transforms them, as in training), bus codes, or network inputs (default otherwise).",
)
@click.option("--out", "out_path", type=click.Path(path_type=Path), required=True, help="Scores to write (.npy).")
@click.option("--dataset", default=None, help="HDF5 dataset name (when the file holds several).")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--chunk", type=int, default=65_536, show_default=True, help="Events per chunk (bounds the memory).")
def emulate(
    project: Path, data_path: Path, out_path: Path, given: str | None, dataset: str | None, chunk: int, force: bool
):
    """Compute PROJECT's firmware output for every event of --data, bit-exactly, without a compiler."""
    import time

    from ..verify.stream import emulate_file

    t0 = time.perf_counter()
    n = emulate_file(project, data_path, out_path, dataset=dataset, chunk=chunk, given=given, force=force)
    dt = time.perf_counter() - t0
    click.echo(f"{n} events -> {out_path} ({n / max(dt, 1e-9):,.0f} events/s)")
