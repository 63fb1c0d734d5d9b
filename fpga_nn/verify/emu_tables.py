"""The emulator's table and threshold layers: sigmoid/tanh tables, softmax (stable and latency), binary and
ternary thresholds.

The tables are filled as the C++ fills them at first call (float32 arithmetic of nnet_activation.h
and nnet_activation.h's softmax), and indexed by the same integer arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from ..fixed.arith import cast, from_float
from .emu_linear import Codes, _t, _weights


def ternary_threshold(layer, arrays, x: Codes) -> Codes:
    """nnet::normalize_ternary_tanh: 1 above ``threshold_hi``, -1 at or below ``threshold_lo``, else 0;
    nnet::normalize_binary_tanh: 1 at or above ``threshold``, else -1 (the firmware's 1-bit code 0 stands for
    -1: the emulator keeps the values, in int<2>)."""
    codes, tx = x
    flat = codes.reshape(len(codes), -1).astype(np.int64, copy=False)

    def side(name):  # the inputs and the per-channel threshold on one grid
        t, tt = _weights(layer, arrays, name)
        t = t.reshape(-1)[np.arange(flat.shape[1]) % t.size]
        f = max(tx.fractional, tt.fractional)
        return flat << (f - tx.fractional), t[None, :] << (f - tt.fractional)

    if "threshold" in layer["weights"]:
        xs, t = side("threshold")
        return np.where(xs >= t, 1, -1).astype(np.int64).reshape(codes.shape), FixedType(True, 2, 2)
    (xh, hi), (xl, lo) = side("threshold_hi"), side("threshold_lo")
    out = np.where(xh > hi, 1, np.where(xl <= lo, -1, 0)).astype(np.int64)
    return out.reshape(codes.shape), _t(layer, "result_t")


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


def hard_activation(layer, arrays, x: Codes) -> Codes:
    """nnet::hard_sigmoid / hard_tanh: ``clip(slope * x + shift, 0, 1)`` (tanh: twice that, minus 1), exact in
    the C++'s ``auto`` type (slope and shift are ap_ufixed<2,0>: quarters), then cast to the result type."""
    codes, tx = x
    slope, shift = float(layer["attrs"]["slope"]), float(layer["attrs"]["shift"])
    if slope * 4 != round(slope * 4) or shift * 4 != round(shift * 4):
        raise UnsupportedModelError(f"layer '{layer['name']}': slope {slope} / shift {shift} are not quarters")
    f = tx.fractional + 2
    one = 1 << f
    v = np.clip(codes.astype(np.int64) * round(slope * 4) + (round(shift * 4) << tx.fractional), 0, one)
    if layer["attrs"].get("activation") == "hard_tanh":
        v = 2 * v - one
    res_t = _t(layer, "result_t")
    return cast(v, f, res_t), res_t


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
