"""fpga-nn check: say, per layer, whether a model's firmware will be exact, before building it."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("model_path", type=click.Path(path_type=Path))
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A .npy array of inputs: infers the input type and runs the emulator against QKeras.",
)
@click.option("--input-precision", default=None, help="Input type such as ap_fixed<16,6> (else from --data).")
@click.option(
    "--io-type",
    type=click.Choice(["io_parallel", "io_stream"]),
    default=None,
    help="hls4ml's io type; default io_parallel, or io_stream when a layer exists for io_stream only (as build).",
)
def check(model_path, data_path, input_precision, io_type):
    """Print each layer's firmware type and verdict (exact / exact up to softmax / refused: why)."""
    from ..build.check import check_model, format_result

    result = check_model(model_path, data_path, input_precision, io_type)
    for line in format_result(result):
        click.echo(line)
    if any(v.verdict == "refused" for v in result.verdicts):
        raise SystemExit(2)
