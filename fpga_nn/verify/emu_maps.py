"""The compiled path for feature maps: a chain of convolutions, max pooling, zero padding, flattening, Dense
layers and ReLU/linear activations (the compact CNNs, io_stream or io_parallel) written as one C function.

Each map is held as (H, W, C) vectors of events (one 64-byte vector: 16 events in float32, 8 in float64),
so that every multiply-accumulate is one vector multiply-add with the weight a constant, and every cast
runs on whole vectors. The arithmetic is :mod:`emu_fast`'s, per layer: the products on exact integer codes
in float (the bound proved from the types and the weights: ``emu_fast._product``; a convolution is a Dense
over its (kh, kw, C) window), each cast a scale, a rounding and a clip or a wrap (``emu_fast._cast``), fused
into the store of the value that precedes it; a max pooling is the maximum of codes (exact), then its cast;
a zero padding copies (zero is a code of every type). A Dense on a map is a 1x1 convolution, a reshape moves
nothing (row-major (H, W, C) order, as Keras flattens). Anything else (another layer, padded pooling,
average pooling, a product that could wrap) builds nothing and the general path runs: both are held to the
C-simulation. An input outside the input type makes the function return -1: the general path runs those
events (``fallback``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..fixed import FixedType
from ..fixed.arith import _bounds
from ..layers import emulator_steps
from . import emu_linear, emu_native, emu_window
from .emu_fast import _F32, _Cast, _cast, _product, fold_scale, with_bias_row
from .emu_linear import _t

MAX_WEIGHTS = emu_native.MAX_WEIGHTS
PARALLEL_EVENTS = 64  # a feature map is thousands of products per event: two blocks per core are worth it


@dataclass
class _Op:
    """One step on maps: ``kind`` is "conv" (``w``: (K + 1, M), the bias last), "pool", "pad" or "cast"."""

    kind: str
    shape_in: tuple[int, int, int]
    shape_out: tuple[int, int, int]
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right
    w: np.ndarray | None = None
    dtype: type = np.float32
    casts: list[_Cast] = field(default_factory=list)


@dataclass
class MapPlan:
    input_type: FixedType
    output_type: FixedType
    shape_in: tuple[int, int, int]
    ops: list[_Op]
    dtype: type

    @property
    def lanes(self) -> int:
        """Events per 64-byte vector: 16 in float32, 8 in float64."""
        return 16 if self.dtype == np.float32 else 8


def _shape(shape: list[int]) -> tuple[int, int, int]:
    return (1, 1, shape[0]) if len(shape) == 1 else (1, *shape) if len(shape) == 2 else tuple(shape)


def compile_maps(record: dict, arrays: dict) -> MapPlan | None:
    """The map plan of an emulation record, or None where a layer is not one this path proves exact."""
    layers = record["layers"]
    names = [layer["name"] for layer in layers]
    if any(layer.get("inputs", [prev])[0] != prev for layer, prev in zip(layers[1:], names, strict=False)):
        return None  # not a chain
    steps = emulator_steps()
    t_in = _t(layers[0], "result_t")
    t, bound = t_in, float(max(abs(b) for b in _bounds(t_in)))
    shape = shape_in = _shape(layers[0]["output_shape"])
    ops: list[_Op] = []
    convs = 0
    for layer in layers[1:]:
        cls, fn, attrs = layer["class"], steps.get(layer["class"]), layer["attrs"]
        out = _shape(layer["output_shape"])
        if cls == "Reshape":
            if np.prod(out) != np.prod(shape):
                return None
            shape = out
            continue
        if fn is emu_linear.conv or fn is emu_linear.dense:
            if fn is emu_linear.conv:
                _, kernel, stride, pads, _ = emu_linear._geometry(layer, np.zeros((1, *layer["output_shape"])))
            else:
                kernel, stride, pads = (1, 1), (1, 1), (0, 0, 0, 0)
            if any(pads):  # the conv's own padding as a zero padding before it
                padded = (shape[0] + pads[0] + pads[1], shape[1] + pads[2] + pads[3], shape[2])
                ops.append(_Op("pad", shape, padded, pads=pads))
                shape = padded
            made = _product(layer, arrays, t, bound)
            if made is None or made[0].w.shape[0] != kernel[0] * kernel[1] * shape[2]:
                return None
            step, t, bound = made
            fold_scale(step)
            w = with_bias_row(step)
            ops.append(_Op("conv", shape, out, kernel, stride, w=w, dtype=step.dtype, casts=list(step.casts)))
            convs += 1
        elif fn is emu_window.pooling and attrs.get("pool_op", "Max") == "Max":
            if any(attrs.get(k, 0) for k in ("pad_top", "pad_bottom", "pad_left", "pad_right")):
                return None
            one_d = cls == "Pooling1D"
            kernel = (1, attrs["pool_width"]) if one_d else (attrs["pool_height"], attrs["pool_width"])
            stride = (1, attrs["stride_width"]) if one_d else (attrs["stride_height"], attrs["stride_width"])
            ops.append(_Op("pool", shape, out, kernel, stride, dtype=ops[-1].dtype if ops else np.float32))
            made = _append_cast(ops[-1], t, bound, _t(layer, "result_t"), False)
            if made is None:
                return None
            t, bound = made
        elif fn is emu_window.zeropad:
            one_d = cls == "ZeroPadding1D"
            pads = (0, 0) if one_d else (attrs["pad_top"], attrs["pad_bottom"])
            ops.append(_Op("pad", shape, out, pads=(*pads, attrs["pad_left"], attrs["pad_right"]),
                           dtype=ops[-1].dtype if ops else np.float32))  # fmt: skip
            made = _append_cast(ops[-1], t, bound, _t(layer, "result_t"), False)
            if made is None:
                return None
            t, bound = made
        elif cls == "Activation" and attrs.get("activation") in ("relu", "linear"):
            if not ops:
                ops.append(_Op("cast", shape, shape))
            made = _append_cast(ops[-1], t, bound, _t(layer, "result_t"), attrs["activation"] == "relu")
            if made is None:
                return None
            t, bound = made
        else:
            return None
        shape = out
    if convs == 0 or sum(op.w.size for op in ops if op.w is not None) > MAX_WEIGHTS:
        return None
    if t_in.rounding != "TRN" or t_in.width > _F32:
        return None  # the input cast as from_float does it: the general path's
    wide = any(op.dtype is np.float64 for op in ops)
    return MapPlan(t_in, t, shape_in, ops, np.float64 if wide else np.float32)


def _append_cast(op: _Op, t: FixedType, bound: float, res_t: FixedType, relu: bool):
    """``op``'s value cast from ``t`` (codes up to ``bound``) into ``res_t``: the new (type, bound), or None."""
    cast = _cast(t.fractional, bound, res_t, relu, op.dtype)
    if cast is None:
        return None
    if not (cast[0].scale == 1.0 and cast[0].rounding is None and cast[0].lo is None and cast[0].hi is None
            and cast[0].wrap is None):  # fmt: skip
        op.casts.append(cast[0])
    return res_t, cast[1]


def source(plan: MapPlan) -> str:
    """The C source of ``plan``: ``int run64(const double* x, long n, double* y)`` and ``run32``."""
    ct = "float" if plan.dtype == np.float32 else "double"
    lit = emu_native._literal
    sizes = [int(np.prod(plan.shape_in))] + [int(np.prod(op.shape_out)) for op in plan.ops]
    lines = ["#include <math.h>", "#include <stdlib.h>", "#include <string.h>", f"typedef {ct} T;",
             "typedef T V __attribute__((vector_size(64)));", f"#define L {plan.lanes}"]  # fmt: skip
    for n, op in enumerate(plan.ops):
        if op.w is not None:
            rows = ",\n".join("{" + ",".join(lit(v, ct) for v in row) + "}" for row in op.w)
            lines.append(f"static const T W{n}[{op.w.shape[0]}][{op.w.shape[1]}] = {{\n{rows}}};")
    for kind, xt in (("64", "double"), ("32", "float")):
        body = [f"int run{kind}(const {xt}* restrict x, long n, double* restrict y) {{", "  int rc = 0;"]
        body += [f"  V* m{k} = (V*)aligned_alloc(64, sizeof(V) * {s});" for k, s in enumerate(sizes)]
        body += [f"  memset(m{k + 1}, 0, sizeof(V) * {sizes[k + 1]});" for k, op in enumerate(plan.ops)
                 if op.kind == "pad"]  # fmt: skip
        body += [
            "  for (long e0 = 0; e0 < n; e0 += L) {",
            *emu_native.input_lines(plan.input_type, xt, sizes[0], "m0[i][e]", "{ rc = -1; break; }"),
        ]
        for n, op in enumerate(plan.ops):
            body += ["    {", *("      " + line for line in _op_lines(n, op, f"m{n}", f"m{n + 1}", ct)), "    }"]
        body += [
            *emu_native.output_lines(plan.output_type, sizes[-1], f"m{len(plan.ops)}[j][e]"),
            "  }",
            *[f"  free(m{k});" for k in range(len(sizes))],
            "  return rc;",
            "}",
        ]
        lines += body
    return "\n".join(lines) + "\n"


def _store(op: _Op, ct: str, value: str, target: str) -> str:
    """``target = value`` through the op's casts, one lane ``e``."""
    ops = [line for c in op.casts for line in emu_native.cast_ops(c, ct)]
    return f"{{ T t = {value}; {' '.join(ops)} {target} = t; }}"


def _op_lines(n: int, op: _Op, src: str, dst: str, ct: str) -> list[str]:
    (ih, iw, c), (oh, ow, m) = op.shape_in, op.shape_out
    kh, kw = op.kernel
    sh, sw = op.stride
    if op.kind == "cast":
        return [f"for (int i = 0; i < {ih * iw * c}; ++i) for (int e = 0; e < L; ++e) "
                + _store(op, ct, f"{src}[i][e]", f"{dst}[i][e]")]  # fmt: skip
    if op.kind == "pad":
        top, _, left, _ = op.pads
        target = f"{dst}[((r + {top}) * {ow} + {left}) * {c} + i][e]"
        return [f"for (int r = 0; r < {ih}; ++r) for (int i = 0; i < {iw * c}; ++i) for (int e = 0; e < L; ++e) "
                + _store(op, ct, f"{src}[r * {iw * c} + i][e]", target)]  # fmt: skip
    if op.kind == "pool":
        taps = [f"{src}[((oy * {sh} + {py}) * {iw} + ox * {sw} + {px}) * {c} + k][e]"
                for py in range(kh) for px in range(kw)]  # fmt: skip
        lines = [f"for (int oy = 0; oy < {oh}; ++oy) for (int ox = 0; ox < {ow}; ++ox) for (int k = 0; k < {c}; ++k)",
                 "  for (int e = 0; e < L; ++e) {", f"    T u = {taps[0]};"]  # fmt: skip
        lines += [f"    {{ T v = {tap}; u = v > u ? v : u; }}" for tap in taps[1:]]
        lines += ["    " + _store(op, ct, "u", f"{dst}[(oy * {ow} + ox) * {c} + k][e]"), "  }"]
        return lines
    # conv (a Dense on a map is a 1x1 convolution): the window's products, the outputs in register blocks
    k = kh * kw * c
    jb = 12 if ct == "float" else 8
    lines = [f"for (int oy = 0; oy < {oh}; ++oy) for (int ox = 0; ox < {ow}; ++ox) {{",
             f"  const V* s0 = {src} + (oy * {sh * iw} + ox * {sw}) * {c};",
             f"  V* d = {dst} + (oy * {ow} + ox) * {m};"]  # fmt: skip
    for j0 in range(0, m, jb):
        b = min(jb, m - j0)
        lines += [
            "  {",
            f"    V a[{b}];",
            f"    for (int b = 0; b < {b}; ++b) a[b] = (V){{}} + W{n}[{k}][{j0} + b];  /* the bias */",
            f"    for (int ky = 0; ky < {kh}; ++ky) for (int kx = 0; kx < {kw}; ++kx) {{",
            f"      const V* s = s0 + (ky * {iw} + kx) * {c};",
            f"      const T (*w)[{m}] = W{n} + (ky * {kw} + kx) * {c};",
            f"      for (int i = 0; i < {c}; ++i) {{",
            "        const V v = s[i];",
            f"        for (int b = 0; b < {b}; ++b) a[b] += w[i][{j0} + b] * v;",
            "      }",
            "    }",
            f"    for (int b = 0; b < {b}; ++b) for (int e = 0; e < L; ++e) "
            + _store(op, ct, "a[b][e]", f"d[{j0} + b][e]"),
            "  }",
        ]
    return [*lines, "}"]


def build(record: dict, arrays: dict, fallback) -> emu_native.NativePlan | None:
    """The compiled map plan of a record (``predict`` as the emulator's), or None: the general path runs."""
    plan = compile_maps(record, arrays)
    if plan is None:
        return None
    lib = emu_native.library(source(plan))
    if lib is None:
        return None
    n_in, n_out = int(np.prod(plan.shape_in)), int(np.prod(plan.ops[-1].shape_out))
    native = emu_native.NativePlan(lib, n_in, n_out, plan.lanes, fallback, PARALLEL_EVENTS)
    native.input_type, native.output_type, native.map_plan = plan.input_type, plan.output_type, plan
    return native
