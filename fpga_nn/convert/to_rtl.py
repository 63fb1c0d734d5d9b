"""Trace a dense QKeras model into alkaid's symbolic fixed-point graph (alkaid has no QKeras importer).

Each layer is replayed on alkaid's ``FVArray``: QDense as a constant matrix-vector product with the
*quantized* weights (full precision, as hls4ml's ``auto`` accumulators), QActivation as a
round-and-saturate to the quantizer's type. QKeras rounds half to even (``tf.round``); alkaid's
``RND_CONV`` does the same natively (da4ml 0.5, its predecessor, needed a correction table).
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType

_PASS_THROUGH = {"InputLayer", "Flatten", "Dropout"}


def _activation_type(layer) -> tuple[int, int, int]:
    """(k, i, f) of a QActivation's output, i without the sign bit as alkaid counts it."""
    from .support import activation_quantizer

    q = activation_quantizer(layer)  # given as an object or as a string ("quantized_relu(6)", JSON-reloaded models)
    name = type(q).__name__
    cfg = q.get_config() if hasattr(q, "get_config") else {}
    if name == "quantized_relu":
        if cfg.get("negative_slope", 0) or cfg.get("use_sigmoid", 0):
            raise UnsupportedModelError(f"layer '{layer.name}': leaky or sigmoid quantized_relu is not traced to RTL")
        bits, integer = int(cfg["bits"]), int(cfg["integer"])
        return 0, integer, bits - integer
    if name == "quantized_bits":
        if cfg.get("alpha") not in (1, 1.0, None) or cfg.get("symmetric"):
            raise UnsupportedModelError(f"layer '{layer.name}': quantized_bits needs alpha=1 and symmetric=0 for RTL")
        bits, integer, signed = int(cfg["bits"]), int(cfg["integer"]), int(cfg.get("keep_negative", True))
        return signed, integer, bits - integer - signed
    raise UnsupportedModelError(f"layer '{layer.name}': activation {name} is not traced to RTL")


def quantized_weights(layer) -> tuple[np.ndarray, np.ndarray | None]:
    kernel, *rest = layer.get_weights()
    kq, bq = (layer.quantizers + [None, None])[:2]
    k = np.asarray(kq(kernel), dtype=np.float64) if kq is not None else kernel.astype(np.float64)
    if not rest:
        return k, None
    b = np.asarray(bq(rest[0]), dtype=np.float64) if bq is not None else rest[0].astype(np.float64)
    return k, b


def trace_model(model, input_type: FixedType):
    """Return alkaid's combinational logic (``CombLogic``) of ``model`` for inputs of ``input_type``."""
    from alkaid.trace import FVArray, HWConfig, trace

    n_in = int(np.prod(model.input_shape[1:]))
    k = int(input_type.signed)
    inp = FVArray.from_kif(
        np.full(n_in, k),
        np.full(n_in, input_type.integer - k),
        np.full(n_in, input_type.fractional),
        hwconf=HWConfig(1, -1, -1),
    )
    x = inp
    for layer in model.layers:
        cls = type(layer).__name__
        if cls in _PASS_THROUGH:
            continue
        if cls == "QDense":
            if layer.get_config().get("activation") not in ("linear", None):
                raise UnsupportedModelError(f"layer '{layer.name}': put the activation in its own QActivation")
            kernel, bias = quantized_weights(layer)
            for w in (kernel, bias):
                if w is not None and FixedType.narrowest_for(w, max_fractional=24) is None:
                    raise UnsupportedModelError(f"layer '{layer.name}': weights are not on a fixed-point grid")
            x = x @ kernel
            if bias is not None:
                x = x + bias
        elif cls == "QActivation":
            x = x.quantize(*_activation_type(layer), overflow_mode="SAT", round_mode="RND_CONV")
        elif cls == "ReLU" or (cls == "Activation" and layer.get_config()["activation"] == "relu"):
            x = x.relu()
        else:
            raise UnsupportedModelError(f"layer '{layer.name}' of type {cls} has no RTL tracing (dense QKeras only)")
    return trace(inp, x)


def trace(model, input_type=None):
    """alkaid's combinational logic (``CombLogic``) of ``model``: fpga-nn's own tracer for a tf_keras
    (QKeras) model on inputs of ``input_type``; alkaid's Keras 3 tracer (with HGQ2's plugin) for a Keras 3
    model, whose input quantizers fix the input type themselves."""
    from ..frontends import keras_of

    if keras_of(model) == "tf_keras":
        return trace_model(model, input_type)
    from alkaid.converter import trace_model as alkaid_trace
    from alkaid.trace import trace as close

    try:
        inp, out = alkaid_trace(model)
    except Exception as exc:  # noqa: BLE001 - any failure of alkaid's third-party tracer means: no trace
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise UnsupportedModelError(f"alkaid 0.8.2 cannot trace {model.name} ({type(exc).__name__}: {text})") from None
    return close(inp, out)
