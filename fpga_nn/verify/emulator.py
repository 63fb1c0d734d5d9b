"""Bit-exact NumPy emulation of an hls4ml firmware, vectorised over events.

Each layer follows the hls4ml 1.3 C++ templates: in Dense and Conv every product is assigned
to ``accum_t``, the accumulator starts from the bias in ``accum_t`` and every ``+=`` is an
``accum_t`` assignment, the sum is cast to ``result_t``; ReLU keeps positive values and casts;
sigmoid/tanh index a table of ``table_size`` entries (index = int(x * size / span) + size/2,
clipped; entries = the float function value cast to ``table_t``); BatchNormalization casts
``x * scale + bias`` once. Values travel as int64 codes (see :mod:`fpga_nn.fixed.arith`). The multiply-
accumulate layers live in :mod:`emu_linear`, the tables and thresholds in :mod:`emu_tables`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import UnsupportedModelError, UserInputError
from ..fixed import FixedType
from ..fixed.arith import cast, from_float
from ..layers import emulator_steps, multi_input
from . import emu_maps, emu_native
from . import record as rec
from .emu_fast import compile_plan
from .emu_linear import Codes, _t, _weights
from .emu_tables import activation
from .emu_window import _window_reduce


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


def _monotone_activation(layer: dict) -> bool:
    """ReLU or linear whose cast never wraps: a non-decreasing function of its input."""
    return (
        layer["class"] == "Activation"
        and layer["attrs"].get("activation", "linear") in ("relu", "linear")
        and _t(layer, "result_t").overflow in ("SAT", "SAT_SYM")
    )


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


class Emulator:
    """Load a project's emulation record once; :meth:`predict` runs any number of events."""

    def __init__(self, project: str | Path):
        self.record, self.arrays = rec.load(Path(project))
        try:
            self._setup()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise UserInputError(
                f"{project}/emulation.json is damaged ({type(exc).__name__}: {exc}): rebuild it with 'fpga-nn build'"
            ) from None

    def _setup(self) -> None:
        self.output_type = FixedType.parse(self.record["output_type"])
        first = self.record["layers"][0]
        self.input_type = _t(first, "result_t")
        self.input_shape = tuple(first["output_shape"])
        self.input_name = first["name"]
        self.steps = self._plan(self.record["layers"])
        self.output_name = self.record["layers"][-1]["name"]
        # FPGA_NN_EMULATOR=general: the layer-by-layer path; =numpy: the dense chain's BLAS plan, not compiled
        # (and feature maps on the general path)
        mode = os.environ.get("FPGA_NN_EMULATOR", "")
        self.fast = None if mode == "general" else compile_plan(self.record, self.arrays)
        if self.fast is not None and mode != "numpy":
            self.fast = emu_native.build(self.fast) or self.fast
        if self.fast is None and mode not in ("general", "numpy"):  # a CNN: its maps compiled, else the general path
            self.fast = emu_maps.build(self.record, self.arrays, self._general)

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
            if (
                nxt is not None
                and _monotone_activation(layer)
                and nxt["class"] in ("Pooling1D", "Pooling2D")
                and nxt["attrs"].get("pool_op", "Max") == "Max"
                and nxt["inputs"] == [layer["name"]]
                and readers.get(layer["name"]) == 1
                and _t(nxt, "result_t") == _t(layer, "result_t")
            ):
                steps.append((nxt, pool_then_activation(layer, nxt), layer["inputs"]))
                i += 2
                continue
            if layer["class"] not in emulator_steps() and layer["class"] != "Reshape":
                raise UnsupportedModelError(f"the emulator has no model of layer '{layer['name']}' ({layer['class']})")
            steps.append((layer, emulator_steps().get(layer["class"]), layer["inputs"]))
            i += 1
        return steps

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Firmware outputs, shape (N, n_outputs), in float64 (exactly the fixed-point values)."""
        if self.fast is not None:  # a dense chain or feature maps, compiled (emu_native, emu_maps), or BLAS (emu_fast)
            return self.fast.predict(x)
        return self._general(x)

    def _general(self, x: np.ndarray) -> np.ndarray:
        """The layer-by-layer path (the fallback of the compiled maps: inputs outside the input type)."""
        # Work in cache-sized passes; images expand into im2col patches, so bound the input values per pass
        # (2^15 for vectors, 2^16 for images: measured fastest for the compact CNN).
        size = int(np.prod(self.input_shape))
        step = max(1, (1 << (16 if len(self.input_shape) > 1 else 15)) // size)
        if len(x) <= step:
            return self._predict(x)
        chunks = [x[i : i + step] for i in range(0, len(x), step)]
        threads = min(os.cpu_count() or 1, len(chunks))
        if threads <= 1:
            return np.concatenate([self._predict(c) for c in chunks])
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        # the passes on every core, each with one BLAS thread (NumPy's loops and BLAS release the GIL)
        first = self._predict(chunks[0])  # fills the per-layer caches (weights, tables) before the threads read them
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
            return np.concatenate([first, *pool.map(self._predict, chunks[1:])])

    def _predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), *self.input_shape)
        values: dict[str, Codes] = {self.input_name: (from_float(x, self.input_type), self.input_type)}
        for layer, fn, inputs in self.steps:
            if fn is None:  # Reshape of a row-major array: data order unchanged
                codes, t = values[inputs[0]]
                values[layer["name"]] = (codes.reshape(len(x), *layer["output_shape"]), t)
            elif layer["class"] in multi_input():
                values[layer["name"]] = fn(layer, self.arrays, [values[n] for n in inputs])
            else:
                values[layer["name"]] = fn(layer, self.arrays, values[inputs[0]])
        codes, t = values[self.output_name]
        return (codes.reshape(len(x), -1) * 2.0**-t.fractional).astype(np.float64)
