"""QKeras 0.9 / Keras 2 (tf_keras) model files: ``.h5``, a SavedModel folder, or ``to_json()`` + weights.

The core build path (``build/user_model.py``) converts these; this module only turns a user's file
into a Keras 2 model with QKeras's custom objects, and names any other family in one line before
Keras tries to read it (``frontends.sniff``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UnsupportedModelError, UserInputError, first_line


def load(path: Path, weights: Path | None = None):
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

    objects = custom_objects()
    try:
        return tf.keras.models.load_model(str(path), custom_objects=objects, compile=False)
    except (ValueError, TypeError, KeyError) as exc:
        raise UnsupportedModelError(
            f"cannot load {path}: {first_line(exc)}: save the model with model.save('x.h5') from the code that built it"
        ) from None
    except OSError as exc:
        raise UserInputError(
            f"{path} is not a Keras model file ({first_line(exc)}): save it with model.save('x.h5')"
        ) from None


def refuse_other_families(path: Path) -> None:
    """One line naming a model family ``build`` does not convert yet (read from the file, before loading)."""
    from .sniff import family

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


def custom_objects() -> dict:
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

    objects = custom_objects()
    try:
        model = tf.keras.models.model_from_json(_readable_json(path.read_text()), custom_objects=objects)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise UnsupportedModelError(f"cannot read the architecture {path}: {first_line(exc)}") from None
    try:
        model.load_weights(str(weights))
    except (ValueError, OSError, KeyError) as exc:
        raise UserInputError(
            f"cannot load weights {weights} into {path.name}: {first_line(exc)}: save them with "
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


def save(model, path: Path) -> None:
    """HDF5 model loadable with QKeras's custom objects (``qkeras.utils.load_qmodel``)."""
    model.save(str(path), save_format="h5", include_optimizer=False)
