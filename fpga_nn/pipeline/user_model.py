"""A user's own QKeras model and inputs through the same conversion and verification."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .. import outdir
from ..errors import UnsupportedModelError, UserInputError
from ..fixed import FixedType
from ..jsonio import write_json
from . import figures, firmware
from .result import BuildResult

log = logging.getLogger(__name__)

WIDE_INPUT = FixedType(True, 40, 16)


def load_user_model(path: Path, weights: Path | None = None):
    """Load a Keras/QKeras model (.h5, .keras, a SavedModel folder, or an architecture .json with its
    ``weights`` file) with the QKeras custom objects; a failure is one line naming the file and what to do."""
    path = Path(path)
    if path.suffix == ".json" or weights is not None:
        return _load_json_model(path, weights)
    saved_model = path.is_dir() and (path / "saved_model.pb").is_file()
    if path.is_dir() and not saved_model:
        raise UserInputError(
            f"{path} is a folder but not a TensorFlow SavedModel (no saved_model.pb): pass the "
            "model file, saved with model.save('x.h5')"
        )
    if not path.exists():
        raise UserInputError(f"model file {path} not found: pass an existing Keras/QKeras .h5 file to --model")
    refuse_other_families(path)
    import tensorflow as tf

    objects = _qkeras_objects()
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


def refuse_other_families(path: Path) -> None:
    """One line naming a model family ``build`` does not convert yet (read from the file, before loading)."""
    from ..frontends.sniff import family

    kind, seen = family(path)
    if kind == "keras3":
        raise UnsupportedModelError(
            f"{path} is {seen}: 'fpga-nn build' and 'fpga-nn check' take Keras 3 / HGQ2 models; this command "
            "takes Keras 2 / QKeras 0.9 models so far (docs/byom.md)"
        )
    if kind == "qkeras_v3":
        raise UnsupportedModelError(
            f"{path} is {seen}: hls4ml 1.3.0 has no converter for qkeras-v3 (Keras 3) layers; build the model "
            "with QKeras 0.9 on tf_keras (save as .h5) or with HGQ2"
        )
    if kind == "hgq_proxy":
        raise UnsupportedModelError(
            f"{path} is {seen}: 'fpga-nn build' takes HGQ proxy models; this command takes QKeras 0.9 / Keras 2 "
            "models so far (docs/byom.md)"
        )


def _qkeras_objects() -> dict:
    """The QKeras layers and quantizers Keras needs to rebuild a QKeras model."""
    from qkeras.utils import _add_supported_quantized_objects

    objects: dict = {}
    _add_supported_quantized_objects(objects)
    return objects


def _load_json_model(path: Path, weights: Path | None):
    """``model.to_json()`` + ``model.save_weights(...)``, as many users keep QKeras models."""
    if path.suffix != ".json":
        raise UserInputError(f"--weights goes with an architecture .json (model.to_json()), not {path.name}")
    if weights is None:
        raise UserInputError(
            f"{path} holds only the architecture: give its weights with --weights FILE.h5 (model.save_weights)"
        )
    for p in (path, Path(weights)):
        if not p.is_file():
            raise UserInputError(f"{p} not found: pass an existing file")
    refuse_other_families(path)
    import tensorflow as tf

    objects = _qkeras_objects()
    try:
        model = tf.keras.models.model_from_json(_readable_json(path.read_text()), custom_objects=objects)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise UnsupportedModelError(f"cannot read the architecture {path}: {_first_line(exc)}") from None
    try:
        model.load_weights(str(weights))
    except (ValueError, OSError, KeyError) as exc:
        raise UserInputError(
            f"cannot load weights {weights} into {path.name}: {_first_line(exc)}: save them with "
            "model.save_weights from the same model"
        ) from None
    return model


def _quantizer_string(serialized: dict) -> str:
    """A serialized QKeras quantizer as the string QKeras writes and reads itself (``str(quantizer)``)."""
    import qkeras.quantizers as qq

    cls = getattr(qq, str(serialized.get("class_name")), None)
    if cls is None:
        raise UnsupportedModelError(f"unknown QKeras quantizer {serialized.get('class_name')!r} in the architecture")
    return str(cls(**serialized.get("config", {})))


def _readable_json(text: str) -> str:
    """``to_json()`` of QKeras 0.9 under TensorFlow 2.14 writes a ``QActivation(quantizer_object)`` as a
    serialized dict that QActivation.from_config cannot read back (QKeras itself fails on it). The
    quantizer's own string form, with every argument by keyword, builds the identical quantizer."""
    import json

    def visit(node):
        if isinstance(node, dict):
            cfg = node.get("config")
            if node.get("class_name") == "QActivation" and isinstance(cfg, dict):
                act = cfg.get("activation")
                if isinstance(act, dict) and str(act.get("module", "")).startswith("qkeras"):
                    cfg["activation"] = _quantizer_string(act)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    try:
        tree = json.loads(text)
    except json.JSONDecodeError:
        return text  # Keras names the problem
    visit(tree)
    return json.dumps(tree)


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
) -> BuildResult:
    """Build a user's model; with declared preprocessing (``pre_path`` or saved in the model file),
    ``data_path`` holds raw values and the firmware gets the input stage."""
    firmware.validate(options)
    target = options.target()
    inputs = tuple(p for p in (model_path, weights, pre_path, data_path) if p is not None)
    outdir.check_target(target, options.force, inputs)
    from ..convert.graph import normalize
    from ..convert.support import check_supported

    pre = declared_preprocessing(Path(model_path), pre_path, input_precision)
    model = normalize(load_user_model(Path(model_path), weights))
    if options.no_softmax:
        model = without_head(model)
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
    else:
        input_type = FixedType.parse(input_precision) if input_precision else infer_input_type(x, model)
    log.info("input type %s", input_type.to_ap())
    with outdir.staged(target, options.force, inputs) as staging:
        checked = firmware.convert_and_verify(model, x, input_type, staging, options, pre=pre)
        metrics = {"events": len(x), "labels": None}
        write_json(staging / "metrics.json", metrics, indent=2)
        rtl_failure, report = figures.finish(model, input_type, staging, options, checked)
    firmware.raise_on_mismatch(checked.summary, target, rtl_failure)
    return BuildResult("model", target, checked.summary, metrics, report)
