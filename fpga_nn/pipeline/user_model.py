"""A user's own QKeras model and inputs through the same conversion and verification."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UserInputError
from ..fixed import FixedType
from ..jsonio import write_json
from . import figures, firmware, outdir
from .result import BuildResult

log = logging.getLogger(__name__)

WIDE_INPUT = FixedType(True, 40, 16)


def load_user_model(path: Path):
    """Load a Keras/QKeras model (.h5, .keras or a SavedModel folder) with the QKeras custom objects;
    a failure is one line naming the file and what to do."""
    path = Path(path)
    saved_model = path.is_dir() and (path / "saved_model.pb").is_file()
    if path.is_dir() and not saved_model:
        raise UserInputError(
            f"{path} is a folder but not a TensorFlow SavedModel (no saved_model.pb): pass the "
            "model file, saved with model.save('x.h5')"
        )
    if not path.exists():
        raise UserInputError(f"model file {path} not found: pass an existing Keras/QKeras .h5 file to --model")
    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    try:
        return tf.keras.models.load_model(str(path), custom_objects=objects, compile=False)
    except (ValueError, TypeError, KeyError) as exc:
        raise UnsupportedModelError(
            f"cannot load {path}: {_first_line(exc)}: save the model with model.save('x.h5') "
            "from the code that built it"
        ) from None
    except OSError as exc:
        raise UserInputError(
            f"{path} is not a Keras model file ({_first_line(exc)}): save it with model.save('x.h5')"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


def build_user_model(
    options: firmware.BuildOptions, model_path: Path, data_path: Path, input_precision: str | None = None
) -> BuildResult:
    firmware.validate(options)
    target = options.target()
    inputs = (model_path, data_path)
    outdir.check_target(target, options.force, inputs)
    from ..convert.graph import normalize
    from ..convert.support import check_supported

    model = normalize(load_user_model(Path(model_path)))
    if options.no_softmax:
        model = without_head(model)
    check_supported(model, options.io_type)
    x = load_inputs(Path(data_path), model)
    input_type = FixedType.parse(input_precision) if input_precision else infer_input_type(x, model)
    log.info("input type %s", input_type.to_ap())
    with outdir.staged(target, options.force, inputs) as staging:
        checked = firmware.convert_and_verify(model, x, input_type, staging, options)
        metrics = {"events": len(x), "labels": None}
        write_json(staging / "metrics.json", metrics, indent=2)
        rtl_failure, report = figures.finish(model, input_type, staging, options, checked)
    firmware.raise_on_mismatch(checked.summary, target, rtl_failure)
    return BuildResult("model", target, checked.summary, metrics, report)
