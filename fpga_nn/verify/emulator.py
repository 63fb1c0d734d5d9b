"""Bit-exact NumPy emulation of an hls4ml firmware, vectorised over events.

Each layer follows the hls4ml 1.3 C++ templates: in Dense and Conv every product is assigned
to ``accum_t``, the accumulator starts from the bias in ``accum_t`` and every ``+=`` is an
``accum_t`` assignment, the sum is cast to ``result_t``; ReLU keeps positive values and casts;
sigmoid/tanh index a table of ``table_size`` entries (index = int(x * size / span) + size/2,
clipped; entries = the float function value cast to ``table_t``); BatchNormalization casts
``x * scale + bias`` once. Values travel as int64 codes (see :mod:`fixedpoint`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from . import record as rec
from .fixedpoint import FLOAT_CODE_BITS, cast, from_float

Codes = tuple[np.ndarray, FixedType]


def _t(layer: dict, key: str) -> FixedType:
    return FixedType.parse(layer["types"][key])


def _weights(layer: dict, arrays: dict, name: str) -> tuple[np.ndarray, FixedType]:
    """The layer's weight codes (reshaped once and kept, so per-array caches stay valid) and type."""
    w = layer["weights"][name]
    key = f"{w['key']}#shaped"
    if key not in arrays:
        arrays[key] = arrays[w["key"]].reshape(w["shape"])
    return arrays[key], FixedType.parse(w["type"])


def _float_weights(layer: dict, arrays: dict, w: np.ndarray) -> tuple[np.ndarray, float]:
    """float64 copy of a (K, M) weight matrix and its largest column |sum|, made once per layer."""
    key = f"{layer['name']}#float"
    if key not in arrays:
        arrays[key] = (w.astype(np.float64), float(np.abs(w).sum(axis=0).max(initial=0)))
    return arrays[key]


def _mac(x: np.ndarray, tx: FixedType, w: np.ndarray, tw: FixedType, b: np.ndarray | None, tb: FixedType | None,
         acc_t: FixedType, wf: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """``acc = bias; for i: acc += (accum_t)(x[i] * w[i])`` for x (N, K) and w (K, M), in accum_t codes.

    ``x`` holds integer codes, as int64 or (to save a conversion of large im2col arrays) float.
    The result is int64, or float32/float64 holding exact integers when no partial sum can leave
    the accumulator (then every ``accum_t`` assignment is the identity and the sum is one product).
    """
    fp = tx.fractional + tw.fractional
    bias = cast(b, tb.fractional, acc_t)[None, :] if b is not None else np.zeros((1, w.shape[1]), np.int64)
    if acc_t.fractional >= fp and acc_t.overflow == "WRAP":
        # Products land on the accumulator grid unchanged and WRAP sums are order-free: one matrix
        # product, in float (BLAS) while every partial sum is an exact integer.
        wf = wf if wf is not None else (w.astype(np.float64), float(np.abs(w).sum(axis=0).max(initial=0)))
        bound = 2.0 ** (tx.width + 1) * wf[1]  # |x| < 2^width: every partial sum stays below this
        if bound < 2.0**24:  # exact in single precision: half the memory traffic of float64
            prod = x.astype(np.float32, copy=False) @ wf[0].astype(np.float32)
        elif bound < 2.0**53:
            prod = x.astype(np.float64, copy=False) @ wf[0]
        else:
            prod = x.astype(np.int64, copy=False) @ w
        scale = acc_t.fractional - fp
        total = bound * 2.0**scale + float(np.abs(bias).max(initial=0))
        acc_bits = acc_t.width - 1 if acc_t.signed else acc_t.width
        if prod.dtype.kind == "f" and total < 2.0 ** min(acc_bits, FLOAT_CODE_BITS[np.dtype(np.float64)]):
            # Nothing can wrap: stay in float (exact), skipping the int64 conversion and the cast
            if total >= 2.0 ** FLOAT_CODE_BITS[prod.dtype]:
                prod = prod.astype(np.float64)
            return (prod * prod.dtype.type(2.0**scale) if scale else prod) + bias.astype(prod.dtype)
        prod = prod.astype(np.int64)
        return cast(bias + (prod << scale), acc_t.fractional, acc_t)
    acc = np.broadcast_to(bias, (x.shape[0], w.shape[1])).copy()
    x = x.astype(np.int64, copy=False)
    for k in range(x.shape[1]):
        mult = cast(x[:, k : k + 1] * w[k][None, :], fp, acc_t)
        acc = cast(acc + mult, acc_t.fractional, acc_t)  # the += of an accum_t
    return acc


def dense(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    w, tw = _weights(layer, arrays, "weight")
    b, tb = _weights(layer, arrays, "bias") if "bias" in layer["weights"] else (None, None)
    acc_t, res_t = _t(layer, "accum_t"), _t(layer, "result_t")
    flat = codes.reshape(-1, codes.shape[-1])
    w2 = w.reshape(w.shape[0], -1)
    acc = _mac(flat, tx, w2, tw, b, tb, acc_t, _float_weights(layer, arrays, w2))
    out = cast(acc, acc_t.fractional, res_t, acc_t)
    return out.reshape(*codes.shape[:-1], out.shape[-1]), res_t


def _patches(codes: np.ndarray, kh: int, kw: int, sh: int, sw: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """(N, H, W, C) -> (N, OH, OW, kh*kw*C), zero padded, ordered (kh, kw, C) as the weights."""
    top, bottom, left, right = pads
    x = np.pad(codes, ((0, 0), (top, bottom), (left, right), (0, 0)))
    n, h, w, c = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # N,OH,OW,C,kh,kw
    return np.ascontiguousarray(win[:, :oh, :ow].transpose(0, 1, 2, 4, 5, 3)).reshape(n, oh, ow, kh * kw * c)


def _geometry(layer, codes: np.ndarray):
    """(the input as an N, H, W, C image, kernel, strides, paddings, one_d) of a 1D or 2D convolution."""
    a = layer["attrs"]
    one_d = layer["class"].endswith("1D")
    c4 = codes[:, None] if one_d else codes  # a 1D convolution as a 1 x W image
    kh, kw = (1, a["filt_width"]) if one_d else (a["filt_height"], a["filt_width"])
    sh, sw = (1, a["stride_width"]) if one_d else (a["stride_height"], a["stride_width"])
    pads = (0, 0, a["pad_left"], a["pad_right"]) if one_d else (a["pad_top"], a["pad_bottom"], a["pad_left"],
                                                                 a["pad_right"])
    return c4, (kh, kw), (sh, sw), pads, one_d


def depthwise(layer, arrays, x: Codes) -> Codes:
    """nnet::depthwise_product: per channel, ``acc = bias; acc += (accum_t)(x * w)`` over the kernel taps
    in window order, cast to ``result_t`` (a SeparableConv's first half; its second is a PointwiseConv)."""
    codes, tx = x
    c4, (kh, kw), (sh, sw), pads, one_d = _geometry(layer, codes)
    w, tw = _weights(layer, arrays, "weight")
    if w.shape[-1] != 1:
        raise UnsupportedModelError(f"layer '{layer['name']}': depth_multiplier {w.shape[-1]} is not emulated")
    b, tb = _weights(layer, arrays, "bias") if "bias" in layer["weights"] else (None, None)
    acc_t, res_t = _t(layer, "accum_t"), _t(layer, "result_t")
    n_chan = c4.shape[-1]
    w = w.reshape(kh * kw, n_chan)
    outs = []
    for c in range(n_chan):
        patches = _patches(c4[..., c : c + 1].astype(np.int64), kh, kw, sh, sw, pads)
        n, oh, ow, k = patches.shape
        acc = _mac(patches.reshape(-1, k), tx, w[:, c : c + 1], tw, None if b is None else b[c : c + 1], tb, acc_t)
        outs.append(cast(acc, acc_t.fractional, res_t, acc_t).reshape(n, oh, ow))
    out = np.stack(outs, axis=-1)
    return (out[:, 0] if one_d else out), res_t


def ternary_threshold(layer, arrays, x: Codes) -> Codes:
    """nnet::normalize_ternary_tanh: 1 above ``threshold_hi``, -1 at or below ``threshold_lo``, else 0."""
    codes, tx = x
    flat = codes.reshape(len(codes), -1).astype(np.int64, copy=False)
    sides = []
    for name in ("threshold_hi", "threshold_lo"):
        t, tt = _weights(layer, arrays, name)
        t = t.reshape(-1)
        t = t[np.arange(flat.shape[1]) % len(t)]
        f = max(tx.fractional, tt.fractional)
        sides.append((flat << (f - tx.fractional), t[None, :] << (f - tt.fractional)))
    (xh, hi), (xl, lo) = sides
    out = np.where(xh > hi, 1, np.where(xl <= lo, -1, 0)).astype(np.int64)
    res_t = _t(layer, "result_t")
    return out.reshape(codes.shape), res_t


def conv(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    c4, (kh, kw), (sh, sw), pads, one_d = _geometry(layer, codes)
    # im2col in floating point (codes of up to 24 bits are exact in float32, 53 in float64): the
    # matrix product then needs no conversion of the (kernel-size times larger) patch array
    patches = _patches(c4.astype(np.float32 if tx.width <= 24 else np.float64), kh, kw, sh, sw, pads)
    w, tw = _weights(layer, arrays, "weight")
    b, tb = _weights(layer, arrays, "bias") if "bias" in layer["weights"] else (None, None)
    acc_t, res_t = _t(layer, "accum_t"), _t(layer, "result_t")
    n, oh, ow, k = patches.shape
    w2 = w.reshape(k, -1)
    acc = _mac(patches.reshape(-1, k), tx, w2, tw, b, tb, acc_t, _float_weights(layer, arrays, w2))
    out = cast(acc, acc_t.fractional, res_t, acc_t).reshape(n, oh, ow, -1)
    return (out[:, 0] if one_d else out), res_t


def _window_reduce(layer, codes: np.ndarray) -> np.ndarray:
    """The window maxima (or sums, for average pooling), before any cast."""
    a = layer["attrs"]
    average = a.get("pool_op", "Max") == "Average"
    one_d = layer["class"] == "Pooling1D"
    c4 = codes[:, None] if one_d else codes
    ph, pw = (1, a["pool_width"]) if one_d else (a["pool_height"], a["pool_width"])
    sh, sw = (1, a["stride_width"]) if one_d else (a["stride_height"], a["stride_width"])
    pads = (0, 0, a.get("pad_left", 0), a.get("pad_right", 0)) if one_d else (
        a.get("pad_top", 0), a.get("pad_bottom", 0), a.get("pad_left", 0), a.get("pad_right", 0))
    if any(pads):
        raise UnsupportedModelError(f"layer '{layer['name']}': padded pooling is not emulated")
    oh, ow = (c4.shape[1] - ph) // sh + 1, (c4.shape[2] - pw) // sw + 1
    out = None
    for i in range(ph):  # elementwise maxima over the window taps (faster than a windowed reduce)
        for j in range(pw):
            tap = c4[:, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]
            if out is None:
                out = tap.astype(np.int64) if average else tap.copy()
            else:
                out = out + tap if average else np.maximum(out, tap, out=out)
    return out[:, 0] if one_d else out


def _average(layer, total: np.ndarray, tx: FixedType, length: int) -> Codes:
    """``accum_t y = 0; y += x[i]...; y /= length``, exact for power-of-two lengths (a shift)."""
    acc_t = _t(layer, "accum_t")
    if length & (length - 1):
        raise UnsupportedModelError(f"layer '{layer['name']}': average over {length} values (not a power of two) "
                                    "is not emulated")
    # The sum of `length` values of tx cannot leave accum_t when hls4ml sized it; cast as the C++ does.
    acc = cast(total, tx.fractional, acc_t)
    shift = length.bit_length() - 1
    return cast(acc, acc_t.fractional + shift, acc_t), acc_t


def pooling(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    res_t = _t(layer, "result_t")
    pooled = _window_reduce(layer, codes)
    if layer["attrs"].get("pool_op", "Max") == "Average":
        a = layer["attrs"]
        n = a["pool_width"] * (1 if layer["class"] == "Pooling1D" else a["pool_height"])
        acc, acc_t = _average(layer, pooled, tx, n)
        return cast(acc, acc_t.fractional, res_t, acc_t), res_t
    return cast(pooled, tx.fractional, res_t, tx), res_t


def global_pooling(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    res_t = _t(layer, "result_t")
    flat = codes.reshape(len(codes), -1, codes.shape[-1]).astype(np.int64)
    if layer["attrs"].get("pool_op", "Max") == "Max":
        return cast(flat.max(axis=1), tx.fractional, res_t, tx), res_t
    acc, acc_t = _average(layer, flat.sum(axis=1), tx, flat.shape[1])
    return cast(acc, acc_t.fractional, res_t, acc_t), res_t


def merge(layer, arrays, xs: list[Codes]) -> Codes:
    """``res = a op b`` in full ap_fixed precision, then one cast to ``result_t`` (nnet_merge.h)."""
    (a, ta), (b, tb) = xs
    res_t = _t(layer, "result_t")
    op = layer["attrs"].get("op", "add")
    a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    if op == "multiply":
        return cast(a * b, ta.fractional + tb.fractional, res_t), res_t
    f = max(ta.fractional, tb.fractional)
    a, b = a << (f - ta.fractional), b << (f - tb.fractional)
    if op == "add":
        return cast(a + b, f, res_t), res_t
    if op == "subtract":
        return cast(a - b, f, res_t), res_t
    if op == "average":  # (a + b) * ap_ufixed<1,0>(0.5)
        return cast(a + b, f + 1, res_t), res_t
    if op in ("maximum", "minimum"):  # the larger (smaller) input, cast from its own type
        pick = (a > b) if op == "maximum" else (a < b)
        ca, cb = cast(a, f, res_t), cast(b, f, res_t)
        return np.where(pick, ca, cb), res_t
    raise UnsupportedModelError(f"layer '{layer['name']}': merge '{op}' is not emulated")


def concatenate(layer, arrays, xs: list[Codes]) -> Codes:
    res_t = _t(layer, "result_t")
    axis = int(layer["attrs"].get("axis", -1))
    parts = [cast(c.astype(np.int64, copy=False), t.fractional, res_t, t) for c, t in xs]
    return np.concatenate(parts, axis=axis), res_t


def resize(layer, arrays, x: Codes) -> Codes:
    """Nearest-neighbour upsampling with nnet_image.h's 16-bit fixed ratios; Keras's repeat for 1D."""
    codes, tx = x
    a = layer["attrs"]
    if a.get("algorithm", "nearest") != "nearest":
        raise UnsupportedModelError(f"layer '{layer['name']}': only nearest-neighbour resize is emulated")
    out_shape = layer["output_shape"]
    c4 = codes[:, None] if codes.ndim == 3 else codes
    h, w = c4.shape[1], c4.shape[2]
    nh, nw = (1, out_shape[0]) if codes.ndim == 3 else (out_shape[0], out_shape[1])
    ys = (np.arange(nh) * (((h << 16) // nh) + 1)) >> 16
    xs = (np.arange(nw) * (((w << 16) // nw) + 1)) >> 16
    out = c4[:, ys][:, :, xs]
    return (out[:, 0] if codes.ndim == 3 else out), tx


def _monotone_activation(layer: dict) -> bool:
    """ReLU or linear whose cast never wraps: a non-decreasing function of its input."""
    return (layer["class"] == "Activation" and layer["attrs"].get("activation", "linear") in ("relu", "linear")
            and _t(layer, "result_t").overflow in ("SAT", "SAT_SYM"))


def pool_then_activation(act_layer: dict, pool_layer: dict) -> Callable:
    """Activation followed by max pooling, computed pool first: for a non-decreasing f,
    max(f(a), f(b)) = f(max(a, b)), so the activation's cast runs on the pooled (smaller) array."""

    def step(layer, arrays, x: Codes) -> Codes:
        codes, tx = x
        return activation(act_layer, arrays, (_window_reduce(pool_layer, codes), tx))

    return step


def batchnorm(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    codes = codes.astype(np.int64, copy=False)
    s, ts = _weights(layer, arrays, "scale")
    b, tb = _weights(layer, arrays, "bias")
    f = max(tx.fractional + ts.fractional, tb.fractional)
    val = (codes * s) << (f - tx.fractional - ts.fractional)
    val = val + (b << (f - tb.fractional))
    res_t = _t(layer, "result_t")
    return cast(val, f, res_t), res_t


def _table(name: str, size: int, table_t: FixedType) -> np.ndarray:
    """The table the C++ fills at first call: float32 arithmetic as in nnet_activation.h."""
    ii = np.arange(size, dtype=np.float64)
    span = 16.0 if name == "sigmoid" else 8.0
    in_val = (span * (ii - size / 2.0) / size).astype(np.float32)
    if name == "sigmoid":
        denom = np.float32(1) + np.exp(-in_val, dtype=np.float32)
        values = (1.0 / denom.astype(np.float64)).astype(np.float32)
    else:
        values = np.tanh(in_val, dtype=np.float32)
    return from_float(values.astype(np.float64), table_t)


def activation(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    act = layer["attrs"].get("activation", "linear")
    res_t = _t(layer, "result_t")
    if act == "linear":
        return cast(codes, tx.fractional, res_t, tx), res_t
    if act == "relu":
        return cast(np.maximum(codes, 0), tx.fractional, res_t, tx), res_t
    codes = codes.astype(np.int64, copy=False)
    if act in ("sigmoid", "tanh"):
        size = int(layer["attrs"]["table_size"])
        table_t = _t(layer, "table_t")
        span = 16 if act == "sigmoid" else 8
        num = codes * size
        den = span << tx.fractional
        index = np.sign(num) * (np.abs(num) // den) + size // 2  # C int(): truncation toward zero
        index = np.clip(index, 0, size - 1)
        return cast(_table(act, size, table_t)[index], table_t.fractional, res_t), res_t
    raise UnsupportedModelError(f"layer '{layer['name']}': activation '{act}' is not emulated")


def zeropad(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    a = layer["attrs"]
    res_t = _t(layer, "result_t")
    if layer["class"] == "ZeroPadding1D":
        out = np.pad(codes, ((0, 0), (a["pad_left"], a["pad_right"]), (0, 0)))
    else:
        out = np.pad(codes, ((0, 0), (a["pad_top"], a["pad_bottom"]), (a["pad_left"], a["pad_right"]), (0, 0)))
    return cast(out, tx.fractional, res_t, tx), res_t


def _top_bits(codes: np.ndarray, t: FixedType, n_bits: int) -> np.ndarray:
    """``ap_uint<N>(x(W-1, W-N))``: the top N bits of the two's-complement code, as an index."""
    return (codes & ((1 << t.width) - 1)) >> (t.width - n_bits)


def _from_index(index: np.ndarray, t: FixedType, n_bits: int) -> np.ndarray:
    """``softmax_real_val_from_idx``: a value of type t whose top N bits are the index, as float32."""
    code = index.astype(np.int64) << (t.width - n_bits)
    if t.signed:
        code = np.where(code >= 1 << (t.width - 1), code - (1 << t.width), code)
    return (code * 2.0**-t.fractional).astype(np.float32)


def _reduce_add(values: list[np.ndarray], acc_t: FixedType) -> np.ndarray:
    """hls4ml's ``reduce`` with ``Op_add<accum_t>``: the same binary tree, each sum an accum_t."""
    n = len(values)
    if n == 1:
        return values[0]
    if n == 2:
        return cast(values[0] + values[1], acc_t.fractional, acc_t)
    left = 1 << ((n - 1).bit_length() - 1)
    return cast(_reduce_add(values[:left], acc_t) + _reduce_add(values[left:], acc_t), acc_t.fractional, acc_t)


def softmax(layer, arrays, x: Codes) -> Codes:
    """nnet::softmax_stable / softmax_latency (exp and inverse tables indexed by top bits)."""
    codes, tx = x
    codes = codes.astype(np.int64, copy=False)
    a = layer["attrs"]
    exp_t, inv_t = _t(layer, "exp_table_t"), _t(layer, "inv_table_t")
    acc_t, inv_inp_t, res_t = _t(layer, "accum_t"), _t(layer, "inv_inp_t"), _t(layer, "result_t")
    n_exp, n_inv = int(a["exp_table_size"]), int(a["inv_table_size"])
    b_exp, b_inv = (n_exp - 1).bit_length(), (n_inv - 1).bit_length()
    stable = a["implementation"] == "stable"
    key_t = FixedType.parse(a["inp_norm_t"]) if stable else tx

    cache = f"{layer['name']}#tables"
    if cache not in arrays:
        xs = _from_index(np.arange(n_exp), key_t, b_exp) * np.float32(a["exp_scale"])
        if stable:
            xs = -xs
        exp_table = from_float(np.exp(xs, dtype=np.float32).astype(np.float64), exp_t)
        inv_in = _from_index(np.arange(n_inv), inv_inp_t, b_inv)
        with np.errstate(divide="ignore"):
            inv_table = from_float((np.float32(1) / inv_in).astype(np.float64), inv_t)
        arrays[cache] = (exp_table, inv_table)
    exp_table, inv_table = arrays[cache]

    if stable:
        x_max = codes.max(axis=-1, keepdims=True)
        keys = cast(x_max - codes, tx.fractional, key_t)
    else:
        keys = codes
    exp_res = cast(exp_table[_top_bits(keys, key_t, b_exp)], exp_t.fractional, acc_t)
    total = _reduce_add([exp_res[..., i] for i in range(exp_res.shape[-1])], acc_t)
    total = cast(total, acc_t.fractional, inv_inp_t)
    inv = inv_table[_top_bits(total, inv_inp_t, b_inv)]
    prod = exp_res * inv[..., None]
    return cast(prod, acc_t.fractional + inv_t.fractional, res_t), res_t


_MULTI_INPUT = {"Merge", "Concatenate"}
_LAYERS: dict[str, Callable] = {
    "Merge": merge, "Concatenate": concatenate, "GlobalPooling1D": global_pooling, "GlobalPooling2D": global_pooling,
    "Resize": resize,
    "Softmax": softmax,
    "ZeroPadding1D": zeropad, "ZeroPadding2D": zeropad,
    "Dense": dense, "Conv1D": conv, "Conv2D": conv, "Conv2DBatchnorm": conv, "PointwiseConv1D": conv,
    "PointwiseConv2D": conv, "DepthwiseConv1D": depthwise, "DepthwiseConv2D": depthwise,
    "BatchNormalizationQuantizedTanh": ternary_threshold, "Pooling1D": pooling, "Pooling2D": pooling,
    "BatchNormalization": batchnorm, "ApplyAlpha": batchnorm, "Activation": activation,
}


class Emulator:
    """Load a project's emulation record once; :meth:`predict` runs any number of events."""

    def __init__(self, project: str | Path):
        self.record, self.arrays = rec.load(Path(project))
        self.output_type = FixedType.parse(self.record["output_type"])
        first = self.record["layers"][0]
        self.input_type = _t(first, "result_t")
        self.input_shape = tuple(first["output_shape"])
        self.input_name = first["name"]
        self.steps = self._plan(self.record["layers"])
        self.output_name = self.record["layers"][-1]["name"]

    @staticmethod
    def _plan(layers: list[dict]) -> list[tuple[dict, Callable | None, list[str]]]:
        """(layer, function, input names) per step; None reshapes. A monotone activation followed by a
        max pooling with the same result type, and read by nothing else, becomes one pool-first step
        (bit-identical, 4x less casting). Records without input names (fpga-nn < 0.2) are chains."""
        for prev, layer in zip(layers, layers[1:], strict=False):
            layer.setdefault("inputs", [prev["name"]])
        readers: dict[str, int] = {}
        for layer in layers:
            for name in layer["inputs"]:
                readers[name] = readers.get(name, 0) + 1
        steps, i, body = [], 0, layers[1:]
        while i < len(body):
            layer, nxt = body[i], body[i + 1] if i + 1 < len(body) else None
            if (nxt is not None and _monotone_activation(layer) and nxt["class"] in ("Pooling1D", "Pooling2D")
                    and nxt["attrs"].get("pool_op", "Max") == "Max" and nxt["inputs"] == [layer["name"]]
                    and readers.get(layer["name"]) == 1 and _t(nxt, "result_t") == _t(layer, "result_t")):
                steps.append((nxt, pool_then_activation(layer, nxt), layer["inputs"]))
                i += 2
                continue
            if layer["class"] not in _LAYERS and layer["class"] != "Reshape":
                raise UnsupportedModelError(f"the emulator has no model of layer '{layer['name']}' ({layer['class']})")
            steps.append((layer, _LAYERS.get(layer["class"]), layer["inputs"]))
            i += 1
        return steps

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Firmware outputs, shape (N, n_outputs), in float64 (exactly the fixed-point values)."""
        # Work in cache-sized passes; images expand into im2col patches, so bound the input values
        # per pass (2^15 for vectors, 2^16 for images: measured fastest for the compact CNN).
        size = int(np.prod(self.input_shape))
        step = max(1, (1 << (16 if len(self.input_shape) > 1 else 15)) // size)
        if len(x) > step:
            return np.concatenate([self._predict(x[i : i + step]) for i in range(0, len(x), step)])
        return self._predict(x)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), *self.input_shape)
        values: dict[str, Codes] = {self.input_name: (from_float(x, self.input_type), self.input_type)}
        for layer, fn, inputs in self.steps:
            if fn is None:  # Reshape of a row-major array: data order unchanged
                codes, t = values[inputs[0]]
                values[layer["name"]] = (codes.reshape(len(x), *layer["output_shape"]), t)
            elif layer["class"] in _MULTI_INPUT:
                values[layer["name"]] = fn(layer, self.arrays, [values[n] for n in inputs])
            else:
                values[layer["name"]] = fn(layer, self.arrays, values[inputs[0]])
        codes, t = values[self.output_name]
        return (codes.reshape(len(x), -1) * 2.0**-t.fractional).astype(np.float64)
