"""The emulator's multiply-accumulate layers: Dense, Conv1D/2D (pointwise included), depthwise convolutions.

hls4ml 1.3's templates: every product is assigned to ``accum_t``, the accumulator starts from the
bias in ``accum_t``, every ``+=`` is an ``accum_t`` assignment, the sum is cast to ``result_t``.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..fixed.arith import FLOAT_CODE_BITS, cast

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


def _mac(
    x: np.ndarray,
    tx: FixedType,
    w: np.ndarray,
    tw: FixedType,
    b: np.ndarray | None,
    tb: FixedType | None,
    acc_t: FixedType,
    wf: tuple[np.ndarray, float] | None = None,
) -> np.ndarray:
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
    pads = (
        (0, 0, a["pad_left"], a["pad_right"])
        if one_d
        else (a["pad_top"], a["pad_bottom"], a["pad_left"], a["pad_right"])
    )
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


def embedding(layer, arrays, x: Codes) -> Codes:
    """``res[j, i] = embeddings[data[j], i]``: the vector of each integer code, assigned to the result type."""
    from ..errors import UnsupportedModelError

    codes, tx = x
    if tx.fractional > 0:
        raise UnsupportedModelError(
            f"layer '{layer['name']}': embedding codes must be integers, not {tx.to_ap()}: give --input-precision "
            "ap_uint<N>"
        )
    table, te = _weights(layer, arrays, "embeddings")
    res_t = _t(layer, "result_t")
    idx = np.asarray(codes, dtype=np.int64) << -tx.fractional if tx.fractional < 0 else np.asarray(codes, np.int64)
    return cast(table[idx], te.fractional, res_t, te), res_t
