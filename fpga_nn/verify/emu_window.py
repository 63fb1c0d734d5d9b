"""The emulator's window and shape layers: max and average pooling (global too), zero padding, resize.

hls4ml 1.3's templates: a pooling takes the window's maximum (or its sum in ``accum_t``, then a shift for the
mean), then casts to ``result_t``; a zero padding casts its input and puts zeros around it.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..fixed.arith import cast
from .emu_linear import Codes, _t


def _window_reduce(layer, codes: np.ndarray) -> np.ndarray:
    """The window maxima (or sums, for average pooling), before any cast."""
    a = layer["attrs"]
    average = a.get("pool_op", "Max") == "Average"
    one_d = layer["class"] == "Pooling1D"
    c4 = codes[:, None] if one_d else codes
    ph, pw = (1, a["pool_width"]) if one_d else (a["pool_height"], a["pool_width"])
    sh, sw = (1, a["stride_width"]) if one_d else (a["stride_height"], a["stride_width"])
    pads = (
        (0, 0, a.get("pad_left", 0), a.get("pad_right", 0))
        if one_d
        else (a.get("pad_top", 0), a.get("pad_bottom", 0), a.get("pad_left", 0), a.get("pad_right", 0))
    )
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
        raise UnsupportedModelError(
            f"layer '{layer['name']}': average over {length} values (not a power of two) is not emulated"
        )
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


def zeropad(layer, arrays, x: Codes) -> Codes:
    codes, tx = x
    a = layer["attrs"]
    res_t = _t(layer, "result_t")
    if layer["class"] == "ZeroPadding1D":
        out = np.pad(codes, ((0, 0), (a["pad_left"], a["pad_right"]), (0, 0)))
    else:
        out = np.pad(codes, ((0, 0), (a["pad_top"], a["pad_bottom"]), (a["pad_left"], a["pad_right"]), (0, 0)))
    return cast(out, tx.fractional, res_t, tx), res_t


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
