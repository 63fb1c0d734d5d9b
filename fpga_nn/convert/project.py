"""Write a complete hls4ml project (build_prj.tcl, firmware/, testbench) for one model."""

from __future__ import annotations

import keyword
import logging
import os
from pathlib import Path
from typing import Literal, get_args

from ..errors import UserInputError
from ..fixed import FixedType
from ..fixed.arith import MAX_CODE_BITS
from ..frontends import hls4ml_sees
from ..layers.activation import set_softmax_tables
from . import graph, thresholds
from .hls_config import (
    exact_po2_products,
    exact_result_types,
    float_weight_types,
    make_hls_config,
    plain_relus,
    producers,
)
from .hls_types import power_of_two, value_type, xnor
from .support import check_supported

log = logging.getLogger(__name__)

Backend = Literal["Vitis", "Vivado"]
IoType = Literal["io_parallel", "io_stream"]
BACKENDS: tuple[str, ...] = get_args(Backend)
IO_TYPES: tuple[str, ...] = get_args(IoType)
INLINE_WEIGHTS_LIMIT = 4096


def valid_project_name(name: str) -> bool:
    """The project name becomes C++ identifiers (``<name>_float``) and Python names in hls4ml's bridge."""
    return graph.cpp_safe(name) and not keyword.iskeyword(name)


def check_project_name(name: str) -> str:
    """Reject a project name that would not compile."""
    if not valid_project_name(name):
        raise UserInputError(
            f"project name '{name}' is not a valid C++ identifier: use letters, digits and '_' only, "
            "starting with a letter, and not a C++ keyword (e.g. 'my_net')"
        )
    return name


def convert_model(
    model,
    output_dir: str | os.PathLike,
    input_type: FixedType,
    *,
    io_type: str = "io_parallel",
    backend: str = "Vitis",
    reuse_factor: int = 1,
    trace: bool = False,
    softmax_tables: tuple[int | None, str | None] = (None, None),
    **convert_kwargs,
):
    """Check and convert ``model`` in memory (nothing written); returns (the flat model, the hls4ml ModelGraph).

    hls4ml sizes Merge/Concatenate results and average pools too narrowly: the model is converted
    once, those types are computed from their inputs' ranges, and it is converted again with them;
    binary and ternary thresholds are then solved from QKeras's own decisions (``thresholds.solve``).
    ``build``, ``check`` and the tests all convert here, so they see the same firmware types.
    """
    import hls4ml

    model = graph.normalize(model)
    check_supported(model, io_type)
    config = make_hls_config(model, input_type, backend=backend, reuse_factor=reuse_factor, trace=trace)
    set_softmax_tables(config["LayerName"], *softmax_tables)

    def convert():
        with hls4ml_sees(model):
            return hls4ml.converters.convert_from_keras_model(
                model, hls_config=config, output_dir=str(output_dir), backend=backend, io_type=io_type, **convert_kwargs
            )

    hls_model = convert()
    exact = exact_result_types(hls_model, plain_relus(model))
    for name, precision in float_weight_types(hls_model, model).items():
        exact.setdefault(name, {}).update(precision)
    if exact:
        for name, precision in exact.items():
            config["LayerName"].setdefault(name, {}).setdefault("Precision", {}).update(precision)
        hls_model = convert()
    thresholds.solve(hls_model, model, bool(float32_inexact(hls_model)))
    exact_po2_products(hls_model)
    check_widths(hls_model)
    return model, hls_model


def fixed_types(layer) -> dict[str, FixedType]:
    """The fixed-point types of an hls4ml layer by key (``accum_t``, ``result_t``, ...); float, binary and
    exponent types are left out."""
    texts = {key: str(var.precision) for key, var in layer.types.items() if not power_of_two(var.precision)}
    return {key: FixedType.parse(text) for key, text in texts.items() if "fixed" in text or "int<" in text}


def check_widths(hls_model) -> None:
    """Refuse, before any compilation, a type wider than the emulator's codes (a float Dense whose
    weights need many fractional bits gets an accumulator such as ap_fixed<68,36>)."""
    for layer in hls_model.get_layers():
        for key, t in fixed_types(layer).items():
            text, width = str(layer.types[key].precision), t.width
            if width > MAX_CODE_BITS:
                raise UserInputError(
                    f"layer '{layer.name}' needs {key.removesuffix('_t')} type {text} ({width} bits), wider than "
                    f"the {MAX_CODE_BITS} bits fpga-nn verifies: for a float model give --precision "
                    "'ap_fixed<16,6>' (every type at one precision, checked against its emulation), or quantize "
                    "its weights (QDense/QConv with quantized_bits)"
                )


FLOAT32_BITS = 24  # float32's significand: a sum of more significant bits is rounded by TensorFlow


def float32_inexact(hls_model) -> dict[str, int]:
    """The layers whose sums or results may need more significant bits than float32 holds, with that width
    (the widest of the layer's accumulator and result types): TensorFlow computes them rounded, so QKeras's
    float32 prediction is not an exact reference there (``build/reference.py`` recomputes it in float64)."""
    wide = {}
    for layer in hls_model.get_layers():
        widths = [t.width for key, t in fixed_types(layer).items() if key in ("accum_t", "result_t")]
        if layer.class_name == "BatchNormalizationQuantizedTanh":
            widths = []  # a threshold compare: no sum (its accum_t is declared, never used)
        if widths and max(widths) > FLOAT32_BITS:
            wide[layer.name] = max(widths)
        elif layer.get_attr("fpga_nn_thresholds") == "float64":  # a scale of 24 bits times the sum before it
            wide[layer.name] = FixedType.from_precision(layer.get_input_variable().type.precision).width + 24
    return wide


def write_project(
    model,
    output_dir: str | os.PathLike,
    part: str,
    input_type: FixedType,
    *,
    project_name: str = "myproject",
    backend: str = "Vitis",
    io_type: str = "io_parallel",
    clock_period: float = 5.0,
    reuse_factor: int = 1,
    tb_inputs: str | None = None,
    tb_outputs: str | None = None,
    trace: bool = False,
    trace_head: bool = False,
    softmax_tables: tuple[int | None, str | None] = (None, None),
):
    """Convert ``model`` and write its project into ``output_dir``; returns the hls4ml ModelGraph.

    Small models get their weights only in the C++ headers (``write_weights_txt=False``): the
    compiled C-simulation library then never reads weight files from absolute paths. Models with
    more than :data:`INLINE_WEIGHTS_LIMIT` parameters also get hls4ml's weight text files, which the
    C-simulation loads at run time: tens of thousands of inline ``ap_fixed`` literals take g++ over
    15 minutes to compile (the compact CNN), the text files seconds. fpga-nn runs the C-simulation
    in a child process and removes the library afterwards, so the absolute paths cannot go stale.
    """
    if backend not in BACKENDS:
        raise UserInputError(f"backend '{backend}' not supported: choose one of {', '.join(BACKENDS)}")
    if io_type not in IO_TYPES:
        raise UserInputError(f"io type '{io_type}' not supported: choose one of {', '.join(IO_TYPES)}")
    if clock_period <= 0 or reuse_factor < 1:
        raise UserInputError("the clock period must be > 0 ns and the reuse factor >= 1")
    check_project_name(project_name)
    kwargs = {}
    if tb_inputs is not None:
        kwargs.update(input_data_tb=str(tb_inputs), output_data_tb=str(tb_outputs))
    model, hls_model = convert_model(
        model,
        output_dir,
        input_type,
        io_type=io_type,
        backend=backend,
        reuse_factor=reuse_factor,
        trace=trace,
        softmax_tables=softmax_tables,
        project_name=project_name,
        part=part,
        clock_period=clock_period,
        write_weights_txt=model.count_params() > INLINE_WEIGHTS_LIMIT,
        **kwargs,
    )
    if trace_head:
        feeder = head_input_layer(hls_model)
        feeder.set_attr("trace", True)
        hls_model.config.trace_output = True
    with hls4ml_sees(model):
        hls_model.write()
    # hls4ml also saves keras_model.keras, which cannot be reloaded with the QKeras objects: drop it
    # and point the recorded configuration at the model.h5 fpga-nn saves instead.
    out = Path(output_dir)
    (out / "keras_model.keras").unlink(missing_ok=True)
    cfg = out / "hls4ml_config.yml"
    if cfg.is_file():
        cfg.write_text(cfg.read_text().replace(str(out / "keras_model.keras"), str(out / "model.h5")))
    return hls_model


def head_input_layer(hls_model):
    """The hls4ml layer whose output feeds the model's last layer (the input of a softmax head)."""
    head = list(hls_model.get_layers())[-1]
    return producers(hls_model)[head.inputs[0]]


def output_type(hls_model) -> FixedType:
    """The fixed-point type of the model's (single) output; int<2> for a binary output (the firmware's 1-bit
    codes, 0 for -1, read back as the values by :func:`xnor_output`)."""
    return value_type(hls_model.get_output_variables()[0].type.precision)


def xnor_output(hls_model) -> bool:
    """Whether the model outputs 1-bit binary codes (1 for +1, 0 for -1)."""
    return xnor(hls_model.get_output_variables()[0].type.precision)


def layer_types(hls_model) -> dict[str, dict[str, str]]:
    """Every type of every layer after hls4ml's optimisation passes (for the build record)."""
    return {layer.name: {k: str(v.precision) for k, v in layer.types.items()} for layer in hls_model.get_layers()}
