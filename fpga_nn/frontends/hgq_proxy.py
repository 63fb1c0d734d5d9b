"""HGQ proxy models: Keras 2 models whose ``FixedPointQuantizer`` layers fix every fixed-point type.

HGQ v1 exports a trained network as a "proxy": plain Keras 2 layers (Dense, Conv2D, Activation,
pooling) with a ``FixedPointQuantizer`` after each, holding per-value ``keep_negative``, ``bits``
and ``integers`` and the rounding (``RND``) and overflow (``SAT``) modes. hls4ml 1.3.0 converts such a
model itself (its Keras 2 parser's proxy handlers), taking every type from those quantizers.

HGQ v1 (``HGQ`` 0.2.6) needs Keras < 3 as a package, so it cannot share this environment with HGQ2;
its quantizer layer is small and fully specified by its saved configuration and weights, so fpga-nn
carries its own implementation (:class:`FixedPointQuantizer`, registered under HGQ's names) for
loading a proxy file and computing its reference output: ap_fixed semantics, element-wise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UserInputError, first_line
from .qkeras import save  # noqa: F401 - a proxy is a Keras 2 model: saved as QKeras models are (.h5)

MODEL_FILE = "model.h5"  # what the project keeps (loads with frontends.hgq_proxy.custom_objects())
LAYERS = frozenset(
    {"InputLayer", "FixedPointQuantizer", "Dense", "Conv1D", "Conv2D", "Activation", "ReLU", "MaxPooling1D",
     "MaxPooling2D", "Reshape", "Flatten"}
)  # fmt: skip


def _layer_class():
    import tensorflow as tf

    class FixedPointQuantizer(tf.keras.layers.Layer):
        """x -> the nearest value of ap_(u)fixed<bits, integers> per element, with HGQ's RND and SAT modes."""

        def __init__(self, keep_negative=1, bits=8, integers=0, RND="TRN", SAT="WRAP", overrides=None, shape=None,  # noqa: N803
                     fusible=None, **kwargs):  # fmt: skip
            kwargs.pop("trainable", None)
            super().__init__(trainable=False, **kwargs)
            self.RND, self.SAT, self.overrides = RND, SAT, overrides or {"layers": {}}
            self._fusible = fusible  # as saved: hls4ml folds a fusible quantizer into the layer before it
            self._shape = tuple(shape) if shape is not None else tuple(np.shape(bits)) or (1,)
            init = {"keep_negative": keep_negative, "bits": bits, "integers": integers}
            for name in ("keep_negative", "bits", "integers"):  # HGQ's order: the file's weights load by order
                value = np.broadcast_to(np.asarray(init[name], dtype=np.int8), self._shape)
                setattr(self, name, self.add_weight(
                    name=name, shape=self._shape, dtype="int8", trainable=False,
                    initializer=tf.keras.initializers.Constant(value),
                ))  # fmt: skip

        def call(self, x):
            k = tf.cast(self.keep_negative, tf.float64)
            b = tf.cast(self.bits, tf.float64)
            scale = tf.pow(tf.constant(2.0, tf.float64), b - tf.cast(self.integers, tf.float64))
            v = tf.cast(x, tf.float64) * scale
            v = _ROUND[self.RND](v)
            high = tf.pow(tf.constant(2.0, tf.float64), b - k) - 1.0
            low = -(high + 1.0) * k
            if self.SAT == "WRAP":
                v = tf.math.floormod(v - low, high - low + 1.0) + low
            elif self.SAT == "SAT":
                v = tf.clip_by_value(v, low, high)
            elif self.SAT == "SAT_SYM":
                v = tf.clip_by_value(v, -high * k, high)
            else:
                raise UnsupportedModelError(f"quantizer '{self.name}': overflow mode {self.SAT} is not supported")
            return tf.cast(tf.where(b > 0, v / scale, tf.zeros_like(v)), x.dtype)

        def fusible(self) -> bool:
            """One type for every value, and the only reader of the layer before it (HGQ's rule)."""
            if self._fusible is not None:
                return bool(self._fusible)
            same = all(len(np.unique(w.numpy())) == 1 for w in (self.keep_negative, self.bits, self.integers))
            before = self._inbound_nodes[0].inbound_layers if self._inbound_nodes else None
            return same and not isinstance(before, list) and len(getattr(before, "_outbound_nodes", [])) == 1

        def get_config(self):
            return {**super().get_config(), "RND": self.RND, "SAT": self.SAT, "overrides": self.overrides,
                    "shape": list(self._shape), "fusible": self.fusible()}  # fmt: skip

    return FixedPointQuantizer


def _rounders():
    import tensorflow as tf

    return {
        "TRN": tf.floor,  # towards minus infinity
        "RND": lambda v: tf.floor(v + 0.5),  # half up
        "RND_CONV": tf.round,  # half to even
        "TRN_ZERO": lambda v: tf.sign(v) * tf.floor(tf.abs(v)),
        "RND_ZERO": lambda v: -tf.sign(v) * tf.floor(-tf.abs(v) + 0.5),
        "RND_INF": lambda v: tf.sign(v) * tf.floor(tf.abs(v) + 0.5),
        "RND_MIN_INF": lambda v: -tf.floor(-v + 0.5),
    }


_ROUND: dict = {}


def custom_objects() -> dict:
    if not _ROUND:
        _ROUND.update(_rounders())
    cls = _layer_class()
    return {"FixedPointQuantizer": cls, "HGQ>FixedPointQuantizer": cls}


def load(path: Path, weights: Path | None = None):
    """A proxy model from ``model.save`` (.h5) or ``to_json()`` + weights; a failure is one line."""
    import tensorflow as tf

    path = Path(path)
    objects = custom_objects()
    try:
        if path.suffix == ".json":
            if weights is None:
                raise UserInputError(f"{path} holds only the architecture: give its weights with --weights FILE.h5")
            model = tf.keras.models.model_from_json(path.read_text(), custom_objects=objects)
            model.load_weights(str(weights))
            return model
        return tf.keras.models.load_model(str(path), custom_objects=objects, compile=False)
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise UnsupportedModelError(f"cannot load the HGQ proxy model {path}: {first_line(exc)}") from None


def check_layers(model) -> list[dict]:
    rows = []
    for layer in model.layers:
        cls = type(layer).__name__
        if cls not in LAYERS:
            raise UnsupportedModelError(
                f"layer '{layer.name}' ({cls}) is not one hls4ml's proxy path takes exactly here; known: "
                + ", ".join(sorted(LAYERS))
            )
        if cls == "FixedPointQuantizer" and (layer.RND not in _ROUND or layer.SAT not in ("WRAP", "SAT", "SAT_SYM")):
            raise UnsupportedModelError(f"quantizer '{layer.name}': modes {layer.RND}/{layer.SAT} are not supported")
        note = "its quantizers fix the types" if cls == "FixedPointQuantizer" else "typed by the next quantizer"
        rows.append({"name": layer.name, "class": cls, "verdict": "exact", "note": note})
    return rows
