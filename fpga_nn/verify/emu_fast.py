"""The emulator's fast path for dense networks: BLAS matrix products on exact float codes, the casts fused
into a few in-place passes, blocks of events on every core.

A chain of Dense layers and ReLU/linear activations (the trigger nets, taggers, autoencoders) is compiled
once into :class:`FastPlan`. Integer codes times integer codes summed are exact in float32 while every
partial sum stays below 2^23 (one bit kept for a rounding carry, :data:`FLOAT_CODE_BITS`) and in float64
below 2^52; the bound is proved per layer from the record's types and the weights (``sum |w|`` per output
times the largest input code), so the precision is chosen per layer, never guessed. A cast that follows a
product is a power-of-two scale (folded into the weights and the bias: exact), a rounding (floor, rint
for RND_CONV, floor(v + 1/2) for RND) and, where the range analysis cannot rule overflow out, a
saturation (two in-place passes) or a wrap; a ReLU before a cast is the cast's lower bound (every
rounding is monotone and keeps 0). Anything else (another layer, an overflow mode fpga-nn has no float
form for, a sum the bound puts beyond float64) returns no plan, and the general path
(:mod:`emulator`) runs: both are checked against the C-simulation on every event.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..fixed import FixedType
from ..fixed.arith import FLOAT_CODE_BITS, _bounds, _saturated_bounds, from_float
from .emu_linear import _t, _weights

BLOCK = 8192  # events per block (fewer for wide layers: at most BLOCK_VALUES values in a layer's block)
BLOCK_VALUES = 1 << 19
_ROUNDINGS = ("TRN", "RND_CONV", "RND")
_F32, _F64 = FLOAT_CODE_BITS[np.dtype(np.float32)], FLOAT_CODE_BITS[np.dtype(np.float64)]


@dataclass
class _Cast:
    """``v *= scale`` (1.0: folded or none), a rounding, then ``clip(v, lo, hi)`` where needed; or a wrap."""

    scale: float
    rounding: str | None
    lo: float | None
    hi: float | None
    wrap: FixedType | None = None


@dataclass
class _Product:
    """``v = v @ w + b`` in ``dtype`` (the scale of the cast after it folded into w and b), then its casts."""

    w: np.ndarray
    b: np.ndarray | None
    dtype: type
    casts: list[_Cast]
    x_range: tuple[int, int] = (0, 0)  # the smallest and largest input code (the compiled kernel's int8 products)


class FastPlan:
    """A compiled dense chain: :meth:`predict` runs float inputs to the output's float values.

    Each thread keeps its buffers (one per layer, with a column of ones so that the bias is one more row of
    the weight matrix, and the saturation bounds as full blocks: NumPy's maximum against a scalar runs at a
    quarter of its speed against an array)."""

    def __init__(self, input_type: FixedType, output_type: FixedType, steps: list[_Product], dtype):
        self.input_type, self.output_type, self.steps, self.dtype = input_type, output_type, steps, dtype
        for step in steps:  # the bias as the last row, read against the ones column
            step.w = np.ascontiguousarray(with_bias_row(step), dtype=dtype)
            step.b = None
        self._workspaces: list = []
        widest = max(step.w.shape[1] for step in steps)
        self.block = max(256, min(BLOCK, BLOCK_VALUES // widest))

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x).reshape(len(x), -1)
        if x.dtype not in (np.float32, np.float64):
            x = x.astype(np.float64)
        block = self.block
        starts = list(range(0, len(x), block))
        threads = min(os.cpu_count() or 1, len(starts))
        while len(self._workspaces) < threads:
            self._workspaces.append(self._buffers())
        if threads <= 1:
            outs = [self._block(x[i : i + block], self._workspaces[0]) for i in starts]
        else:
            from threadpoolctl import threadpool_limits

            def worker(j: int) -> list[np.ndarray]:  # every thread its own blocks and its own buffers
                return [self._block(x[i : i + block], self._workspaces[j]) for i in starts[j::threads]]

            with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
                done = list(pool.map(worker, range(threads)))  # BLAS and NumPy's loops release the GIL
            outs = [done[k % threads][k // threads] for k in range(len(starts))]
        out = np.concatenate(outs) if outs else np.zeros((0, self.steps[-1].w.shape[1]))
        return out.astype(np.float64) * 2.0**-self.output_type.fractional

    def _buffers(self) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[list[tuple]]]:
        """One worker's buffers: input codes, the product inputs (with their ones column), the bounds."""
        k0, n = self.steps[0].w.shape[0], self.block
        codes = np.empty((n, k0 - 1), self.dtype)
        inp = np.ones((n, k0), self.dtype)
        outs, bounds = [], []
        for i, step in enumerate(self.steps):
            m = step.w.shape[1] + (i + 1 < len(self.steps))  # the next product's ones column
            outs.append(np.ones((n, m), self.dtype))
            full = lambda value, m=m: None if value is None else np.full((n, m), value, self.dtype)  # noqa: E731
            bounds.append([(full(c.lo), full(c.hi)) for c in step.casts])
        return codes, inp, outs, bounds

    def _block(self, x: np.ndarray, workspace) -> np.ndarray:
        codes, inp, outs, bounds = workspace
        n = len(x)
        _input_codes(x, self.input_type, codes[:n])
        v = inp[:n]
        v[:, :-1] = codes[:n]
        for step, buf, step_bounds in zip(self.steps, outs, bounds, strict=True):
            m = step.w.shape[1]
            out = buf[:n]
            np.matmul(v, step.w, out=out[:, :m])
            # the casts run over whole rows (contiguous: 3x faster than the strided columns), the ones column
            # included, which is then set back
            for c, (lo, hi) in zip(step.casts, step_bounds, strict=True):
                _apply(out, c, None if lo is None else lo[:n], None if hi is None else hi[:n])
            if out.shape[1] > m:
                out[:, m] = 1
            v = out
        return v.copy()


def _input_codes(x: np.ndarray, t: FixedType, out: np.ndarray) -> None:
    """``from_float(x, t)`` into ``out`` (float codes), without its guard bits where the inputs need none:
    a TRN cast of finite values inside the type is floor(x * 2^F), exact in x's own float type."""
    lo, hi = _bounds(t)
    if t.rounding == "TRN" and t.width <= FLOAT_CODE_BITS[x.dtype]:
        # x * 2^F is exact in x's own type; floored there, the codes fit out's type (t is no wider than it)
        v = out if out.dtype == x.dtype else np.empty(x.shape, x.dtype)
        np.multiply(x, x.dtype.type(2.0**t.fractional), out=v)
        np.floor(v, out=v)
        if v.size == 0 or (v.min() >= lo and v.max() <= hi):  # NaN fails both: the general cast below
            if v is not out:
                out[...] = v
            return
    out[...] = from_float(x, t)


def _apply(v: np.ndarray, c: _Cast, lo: np.ndarray | None, hi: np.ndarray | None) -> None:
    if c.scale != 1.0:
        v *= v.dtype.type(c.scale)
    if c.rounding == "TRN":
        np.floor(v, out=v)
    elif c.rounding == "RND_CONV":
        np.rint(v, out=v)
    elif c.rounding == "RND":
        v += v.dtype.type(0.5)
        np.floor(v, out=v)
    if c.wrap is not None:
        if c.lo is not None:  # a ReLU before the wrap
            np.maximum(v, v.dtype.type(0), out=v)
        low = _bounds(c.wrap)[0]
        span = float(1 << c.wrap.width)
        v -= v.dtype.type(span) * np.floor((v - low) * v.dtype.type(1.0 / span))
        return
    if lo is not None:
        np.maximum(v, lo, out=v)
    if hi is not None:
        np.minimum(v, hi, out=v)


def _cast(f_in: int, bound: float, t: FixedType, relu: bool, dtype) -> tuple[_Cast, float] | None:
    """The cast of codes with ``f_in`` fraction bits and ``|code| <= bound`` into ``t`` (after a ReLU when
    ``relu``), on codes held in ``dtype``: the op and the new bound, or None where it has no exact float
    form (a rounding mode without one, values ``dtype`` cannot hold exactly on the way)."""
    shift = f_in - t.fractional
    if shift > 0 and t.rounding not in _ROUNDINGS:
        return None
    limit = 2.0 ** (_F32 if dtype is np.float32 else _F64)
    if shift < 0 and bound * 2.0**-shift >= limit:
        return None
    if shift > 0 and t.rounding == "RND" and bound + 2.0 ** (shift - 1) >= limit:
        return None  # v + 1/2 must be exact too
    scale = 2.0**-shift
    lo_t, hi_t = _saturated_bounds(t)
    reach = bound * scale + (1 if shift > 0 else 0)  # a rounding moves a code by at most one step
    lo = 0.0 if relu else None
    hi = None
    wrap = None
    if reach > hi_t or (-reach < lo_t and not relu):
        if t.overflow in ("SAT", "SAT_SYM"):
            lo = max(lo if lo is not None else -np.inf, lo_t)
            hi = hi_t
        elif t.overflow == "WRAP":
            wrap = t
        else:
            return None
    new_bound = max(abs(lo_t), hi_t) if wrap is not None else min(reach, max(abs(lo_t), hi_t))
    rounding = t.rounding if shift > 0 else None
    return _Cast(scale, rounding, lo, hi, wrap), new_bound


def compile_plan(record: dict, arrays: dict) -> FastPlan | None:
    """The fast plan of an emulation record, or None when it is not a dense chain this path proves exact."""
    layers = record["layers"]
    names = [layer["name"] for layer in layers]
    if any(layer.get("inputs", [prev])[0] != prev for layer, prev in zip(layers[1:], names, strict=False)):
        return None  # not a chain
    t_in = _t(layers[0], "result_t")
    t, bound = t_in, float(max(abs(b) for b in _bounds(t_in)))
    steps: list[_Product] = []
    for layer in layers[1:]:
        cls = layer["class"]
        if cls == "Reshape" and len(layer["output_shape"]) == 1:
            continue
        if cls == "Dense":
            made = _product(layer, arrays, t, bound)
            if made is None:
                return None
            made[0].x_range = _bounds(t_in) if not steps else code_range(steps[-1].casts, bound)
            step, t, bound = made
            steps.append(step)
        elif cls == "Activation" and layer["attrs"].get("activation") in ("relu", "linear") and steps:
            res_t = _t(layer, "result_t")
            cast = _cast(t.fractional, bound, res_t, layer["attrs"]["activation"] == "relu", steps[-1].dtype)
            if cast is None:
                return None
            steps[-1].casts.append(cast[0])
            t, bound = res_t, cast[1]
        else:
            return None
    if not steps:
        return None
    for step in steps:
        fold_scale(step)
    wide = t_in.width > _F32 or any(step.dtype is np.float64 for step in steps)
    return FastPlan(t_in, t, steps, np.float64 if wide else np.float32)


def fold_scale(step: _Product) -> None:
    """The scale of the cast after a product goes into its weights and bias (a power of two: exact)."""
    if step.casts and step.casts[0].scale != 1.0 and step.casts[0].wrap is None:
        s = step.casts[0].scale
        step.w = step.w * s
        step.b = None if step.b is None else step.b * s
        step.casts[0].scale = 1.0


def with_bias_row(step: _Product) -> np.ndarray:
    """The product's weights with its bias (or zeros) as one more row: (K + 1, M)."""
    b = step.b if step.b is not None else np.zeros(step.w.shape[1])
    return np.vstack([step.w, b[None, :]])


def code_range(casts: list[_Cast], bound: float) -> tuple[int, int]:
    """The codes a product's casts can leave, ``|code| <= bound``: the last cast's clip or wrap narrows it."""
    lo, hi = -bound, bound
    if casts and casts[-1].wrap is not None:
        w_lo, w_hi = _bounds(casts[-1].wrap)
        lo, hi = max(lo, w_lo), min(hi, w_hi)
    elif casts:
        lo = lo if casts[-1].lo is None else max(lo, casts[-1].lo)
        hi = hi if casts[-1].hi is None else min(hi, casts[-1].hi)
    return int(np.ceil(lo)), int(np.floor(hi))


def _product(layer, arrays, tx: FixedType, x_bound: float):
    """A Dense (or a convolution's window) as a matrix product and its result cast: (step, result type, bound),
    or None."""
    if any("kind" in w for w in layer["weights"].values()):
        return None  # power-of-two or 1-bit weights: the general path
    w, tw = _weights(layer, arrays, "weight")
    w = w.reshape(-1, w.shape[-1])  # a convolution's (kh, kw, C, M): its window's Dense, in the patches' order
    acc_t, res_t = _t(layer, "accum_t"), _t(layer, "result_t")
    fp = tx.fractional + tw.fractional
    if acc_t.overflow != "WRAP" or acc_t.fractional < fp:
        return None
    s = acc_t.fractional - fp
    bias = None
    b_bound = 0.0
    if "bias" in layer["weights"]:
        b, tb = _weights(layer, arrays, "bias")
        if tb.fractional > acc_t.fractional:
            return None  # the bias itself is cut into accum_t: the general path
        bias = b.astype(np.float64) * 2.0 ** (acc_t.fractional - tb.fractional)
        b_bound = float(np.abs(bias).max(initial=0))
    total = x_bound * float(np.abs(w).sum(axis=0).max(initial=0)) * 2.0**s + b_bound
    if total >= 2.0 ** ((acc_t.width - 1) if acc_t.signed else acc_t.width):
        return None  # the accumulator could wrap: the general path
    dtype = np.float32 if total < 2.0**_F32 else np.float64 if total < 2.0**_F64 else None
    if dtype is None:
        return None
    step = _Product((w.astype(np.float64) * 2.0**s).astype(dtype), None, dtype, [])
    if bias is not None:
        step.b = bias.astype(dtype)
    cast = _cast(acc_t.fractional, total, res_t, False, dtype)
    if cast is None:
        return None
    if not (cast[0].scale == 1.0 and cast[0].lo is None and cast[0].hi is None and cast[0].wrap is None):
        step.casts.append(cast[0])
    return step, res_t, cast[1]
