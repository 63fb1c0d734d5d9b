"""A user's own QKeras model and inputs through the same conversion and verification."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .. import outdir
from ..errors import UserInputError
from ..fixed import FixedType
from ..frontends.qkeras import load as load_user_model  # noqa: F401 - check, scan and compare import it from here
from . import firmware
from .core import run_build
from .result import BuildResult

log = logging.getLogger(__name__)

WIDE_INPUT = FixedType(True, 40, 16)


def load_inputs(path: Path, model) -> np.ndarray:
    from ..data.validate import check_finite, load_npy

    x = load_npy(Path(path))
    want = tuple(model.input_shape[1:])
    if tuple(x.shape[1:]) != want:
        raise UserInputError(
            f"{path} has events of shape {tuple(x.shape[1:])} but the model takes {want}: "
            f"save an array of shape (N, {', '.join(map(str, want))})"
        )
    check_finite(x, path)
    return x.astype(np.float32)


def first_layers(model) -> list:
    """The layers that read the model's input, found from the graph."""
    from ..convert.graph import inbound_layer_names, input_layer

    name = input_layer(model).name
    return [model.get_layer(n) for n, ins in inbound_layer_names(model).items() if name in ins]


def infer_input_type(x: np.ndarray, model) -> FixedType:
    """The narrowest exact type; a wide one if the input only feeds a quantizer that re-rounds anyway."""
    t = FixedType.narrowest_for(x, max_fractional=24)
    if t is not None and t.width <= 32:
        return t
    readers = first_layers(model)
    if readers and all(type(layer).__name__ == "QActivation" for layer in readers):
        return WIDE_INPUT
    from ..frontends.float_keras import quantized_layers

    if not quantized_layers(model):
        raise UserInputError(
            f"{model.name} is a float model (no quantizers) and its inputs need more than 32 bits: give --precision "
            "'ap_fixed<16,6>' (every type at one precision, checked against its emulation)"
        )
    raise UserInputError(
        "the input values are not exactly representable in a fixed-point type of <= 32 bits: quantize the "
        "data, start the model with a QActivation(quantized_bits(...)), or give --input-precision ap_fixed<W,I>"
    )


def without_head(model):
    """The model up to its softmax/sigmoid/tanh head (the logits), or the model itself if it has none."""
    from ..convert.graph import submodel

    head = firmware.table_head(model)
    if head is None:
        return model
    log.info("--no-softmax: building the logits (the input of '%s')", head.name)
    return submodel(model, head, at_input=True)


def chosen_io_type(model) -> str:
    """io_parallel, or io_stream (with a warning naming the layer) when a layer exists for io_stream only."""
    from ..convert.support import io_type_for

    io_type, why = io_type_for(model)
    if why:
        log.warning("io type io_stream: %s (give --io-type to choose)", why)
    return io_type


def declared_preprocessing(model_path: Path, pre_path: Path | None, input_precision: str | None):
    """The preprocessing of a build: --preprocessing, else the one saved in the model file, else None."""
    from ..data import preprocess

    pre = preprocess.load(pre_path) if pre_path else preprocess.from_model_file(model_path)
    if pre is not None and input_precision is not None:
        raise UserInputError(
            f"the preprocessing fixes the input type ({pre.input_type.to_ap()}): drop --input-precision"
        )
    return pre


def build_user_model(
    options: firmware.BuildOptions,
    model_path: Path,
    data_path: Path,
    input_precision: str | None = None,
    weights: Path | None = None,
    pre_path: Path | None = None,
    io_auto: bool = False,
) -> BuildResult:
    """Build a user's model; with declared preprocessing (``pre_path`` or saved in the model file),
    ``data_path`` holds raw values and the firmware gets the input stage. With ``io_auto`` (no --io-type
    given) the io type is io_parallel, or io_stream where only it can be exact (said in one line)."""
    sources = _claim(options, model_path, weights, pre_path, data_path)
    from ..convert.graph import normalize
    from ..convert.support import check_supported

    pre = declared_preprocessing(Path(model_path), pre_path, input_precision)
    model = normalize(load_user_model(Path(model_path), weights))
    if options.no_softmax:
        model = without_head(model)
    if io_auto:
        options = options.replace(io_type=chosen_io_type(model))
    check_supported(model, options.io_type)
    x = load_inputs(Path(data_path), model)
    if pre is not None:
        if options.io_type != "io_parallel" or len(model.input_shape) != 2:
            raise UserInputError("an input stage needs a flat (N, features) input and --io-type io_parallel")
        if x.shape[1] != len(pre.features):
            raise UserInputError(
                f"the preprocessing declares {len(pre.features)} features, the model takes {x.shape[1]}: "
                "declare one feature per input"
            )
        input_type = pre.input_type
        log.info("declared preprocessing: %s; --data holds raw values", ", ".join(pre.names))
        from ..verify.stream import InputScale

        scale = InputScale("raw", pre, input_type)  # as emulate: raw values on the declared scale, or refused
        scale.add(x)
        scale.verdict(data_path)
    else:
        input_type = FixedType.parse(input_precision) if input_precision else infer_input_type(x, model)
    log.info("input type %s", input_type.to_ap())
    return run_build("model", model, x, input_type, options, pre=pre, sources=sources)


def build_frontend_model(
    kind: str,
    options: firmware.BuildOptions,
    model_path: Path,
    data_path: Path,
    input_precision: str | None = None,
    weights: Path | None = None,
    pre_path: Path | None = None,
) -> BuildResult:
    """Build a model of family ``kind`` (a key of ``frontends.FRONTENDS``: HGQ2 / Keras 3 ``.keras`` files,
    HGQ proxy models), typed by its own quantizers: the same project and contract as a QKeras build, with
    alkaid's interpreter of the traced logic as the second reference (see :mod:`.frontend_model`)."""
    from ..frontends import frontend
    from .frontend_model import refuse_family_options, refuse_options

    refuse_options(input_precision, pre_path, weights, kind)
    refuse_family_options(options, kind)
    sources = _claim(options, model_path, weights, data_path)
    front = frontend(kind)
    model = front.load(Path(model_path), weights)
    layers = front.check_layers(model)
    x = load_inputs(Path(data_path), model)
    return run_build("model", model, x, None, options, family=kind, layers=layers, sources=sources)


def build_float_model(
    options: firmware.BuildOptions,
    model_path: Path,
    data_path: Path,
    input_precision: str | None = None,
    weights: Path | None = None,
    pre_path: Path | None = None,
) -> BuildResult:
    """Build a float Keras 2 model at ``options.precision`` (inputs at ``input_precision`` or the same type):
    the C-simulation equals the emulation of those types on every event, the float model's agreement is
    reported and gated by ``options.max_flip_percent`` (:mod:`.float_model`)."""
    from ..convert.graph import normalize
    from ..frontends.float_keras import FAMILY, check_float
    from ..frontends.float_profile import auto_width, holding

    if pre_path is not None:
        raise UserInputError("--preprocessing applies to QKeras models so far: drop it, or quantize the model")
    sources = _claim(options, model_path, weights, data_path)
    model = normalize(load_user_model(Path(model_path), weights))
    check_float(model, options.precision)
    if options.no_softmax:
        model = without_head(model)
    # no QKeras layer table here: its verdicts are about equality with QKeras; a float model's reference is the
    # emulator, and a layer hls4ml cannot convert or the emulator cannot model is refused by name at conversion
    x = load_inputs(Path(data_path), model)
    width = auto_width(options.precision)
    if input_precision is None and width:  # the input's integer bits hold the data's largest magnitude
        input_type = holding(float(np.max(np.abs(x), initial=0.0)), width)
    else:
        input_type = FixedType.parse(input_precision or options.precision)
    log.info("float model at %s, input %s", options.precision, input_type.to_ap())
    return run_build("model", model, x, input_type, options, family=FAMILY, sources=sources)


def _claim(options: firmware.BuildOptions, *paths) -> tuple[Path, ...]:
    """Check the options and the target before any work; the command's input files (never overwritten)."""
    firmware.validate(options)
    sources = tuple(p for p in paths if p is not None)
    outdir.check_target(options.target(), options.force, sources)
    return sources


def build_tree_model(
    options: firmware.BuildOptions,
    model_path: Path,
    data_path: Path,
    input_precision: str | None = None,
    precision: str | None = None,
) -> BuildResult:
    """Build an XGBoost / scikit-learn tree ensemble into a conifer project (:mod:`.tree_model`): the events of
    ``data_path`` on the input grid, C-simulated bit-exact against fpga-nn's tree emulator."""
    from ..data.validate import check_finite, load_npy
    from .tree_model import FAMILY, load_tree_model, precheck

    precheck(options)
    sources = _claim(options, model_path, data_path)
    model = load_tree_model(Path(model_path), precision)
    x = load_npy(Path(data_path))
    n = model.ensemble.n_features
    if x.ndim != 2 or x.shape[1] != n:
        raise UserInputError(
            f"{data_path} has shape {x.shape} but the ensemble takes {n} features: save an array of shape (N, {n})"
        )
    check_finite(x, data_path)
    input_type = FixedType.parse(input_precision) if input_precision else None
    for note in model.ensemble.notes:
        log.info("%s", note)
    return run_build("model", model, x.astype(np.float64), input_type, options, family=FAMILY, sources=sources)
