"""Trace a dense QKeras model into da4ml's symbolic fixed-point graph (da4ml has no QKeras importer).

Each layer is replayed on da4ml's ``FixedVariableArray``: QDense as a constant matrix-vector
product with the *quantized* weights (full precision, as hls4ml's ``auto`` accumulators),
QActivation as a clip-and-round to the quantizer's type. QKeras rounds half to even
(``tf.round``) while da4ml offers truncation and round-half-up only: :func:`quantize_half_even`
builds the tie-to-even correction from a small lookup on the discarded bits.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType

_PASS_THROUGH = {"InputLayer", "Flatten", "Dropout"}


def quantize_half_even(x, k: int, i: int, f: int, overflow: str = "SAT"):
    """Round ``x`` to ``f`` fractional bits with ties to even (AP_RND_CONV), then saturate or wrap.

    A tie with an even truncated value must round down; round-half-up would round it up. The
    bits of ``x`` below weight 2^-(f-1) decide: the value ``x mod 2^-(f-1)`` equals exactly
    2^-(f+1) only for such ties. A lookup on that value subtracts one LSB of ``x`` there, after
    which round-half-up gives the round-half-even result.
    """
    from da4ml.trace import FixedVariableArray

    out = []
    for v in x._vars.ravel():
        _, _, vf = v.kif
        if vf <= f:
            out.append(v.quantize(k, i, f, overflow, "TRN"))
            continue
        low = v.quantize(0, -(f - 1), vf, "WRAP", "TRN")
        table = np.zeros(2 ** (vf - f + 1))
        table[2 ** (vf - f - 1)] = -(2.0**-vf)
        first = round(float(low.low) * 2**vf)
        last = round(float(low.high) * 2**vf)
        correction = low.lookup(table[first : last + 1])
        out.append((v + correction).quantize(k, i, f, overflow, "RND"))
    return FixedVariableArray(np.array(out).reshape(x._vars.shape), x.solver_options)


def _activation_type(layer) -> tuple[int, int, int]:
    """(k, i, f) of a QActivation's output, i without the sign bit as da4ml counts it."""
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
    """Return da4ml's combinational logic (``CombLogic``) of ``model`` for inputs of ``input_type``."""
    from da4ml.trace import FixedVariableArray, comb_trace
    from da4ml.trace.fixed_variable import HWConfig

    n_in = int(np.prod(model.input_shape[1:]))
    k = int(input_type.signed)
    inp = FixedVariableArray.from_kif(
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
            x = quantize_half_even(x, *_activation_type(layer), overflow="SAT")
        elif cls == "ReLU" or (cls == "Activation" and layer.get_config()["activation"] == "relu"):
            x = x.relu()
        else:
            raise UnsupportedModelError(f"layer '{layer.name}' of type {cls} has no RTL tracing (dense QKeras only)")
    return comb_trace(inp, x)
