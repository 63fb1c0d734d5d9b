"""The precision profile of a float model, and the per-layer types chosen from it (``--precision auto``).

The profile (:func:`profile`) is hls4ml's profiling in numbers: per layer, the range of the weights and of
the float model's outputs on the user's data against the range and step the chosen type holds, and how many
values overflow it (``WRAP``: an overflowing value wraps around to the other sign).

``--precision auto`` (or ``auto<W>``) does what a designer does with that plot: every weight, bias, sum and
result gets a W-bit type (16 by default, hls4ml's default width) whose integer bits just hold the largest
magnitude seen — the weights' own, the outputs' on ``--data`` with one spare bit, since other events may go
further — and the rest of the W bits as fraction. A sum keeps its result's integer bits and gains
ceil(log2(fan-in)) fraction bits, so that the truncated products cannot add up to more than one step of
the result. Tables (softmax, sigmoid) keep hls4ml's defaults. The firmware is then checked against the
emulation of exactly these types, like any other ``--precision``.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import UserInputError
from ..fixed import FixedType

PROFILE_EVENTS = 20_000  # events of --data the activation ranges are taken from
AUTO_WIDTH = 16  # hls4ml's default width (ap_fixed<16,6>)
OUTPUT_MARGIN = 1  # spare integer bits above the largest output seen on --data
_AUTO = re.compile(r"auto(?:<(\d+)>)?")
BOUNDED = ("softmax", "sigmoid", "tanh", "hard_sigmoid", "hard_tanh")  # |output| <= 1 whatever the input
_WEIGHTED = ("Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D")


def auto_width(precision: str | None) -> int | None:
    """The width W of ``auto`` / ``auto<W>``; None for a fixed-point type (or no ``--precision``)."""
    m = _AUTO.fullmatch(str(precision).strip()) if precision is not None else None
    if m is None:
        return None
    width = int(m[1] or AUTO_WIDTH)
    if not 4 <= width <= 32:
        raise UserInputError(f"--precision {precision}: the width must be 4 to 32 bits, e.g. 'auto<16>'")
    return width


def holding(max_abs: float, width: int, margin: int = 0) -> FixedType:
    """The signed ``width``-bit type with the fewest integer bits whose range holds +-``max_abs``, plus
    ``margin`` spare integer bits (no fewer than 0 integer bits: the sign and a fraction)."""
    integer = max(0, math.floor(math.log2(max_abs)) + 1) if max_abs > 0 else 1
    while FixedType(True, width, integer).bounds[1] < max_abs:
        integer += 1
    return FixedType(True, width, min(integer + margin, width))


def auto_types(rows: list[dict], width: int) -> dict[str, dict[str, FixedType]]:
    """hls4ml layer name -> {precision key: type} from :func:`profile`'s ``rows`` (which carry the
    pre-activation range of a layer with a fused activation, and the folded batch-norm scale and bias)."""
    types: dict[str, dict[str, FixedType]] = {}
    for row in rows:
        name = row["layer"]
        own: dict[str, FixedType] = {}
        if row.get("pre_activation"):
            result = holding(row["pre_activation"]["max_abs"], width, OUTPUT_MARGIN)
        else:
            result = _output_type(row, row.get("function"), width)
        own["result"] = result
        for key, rng in row.get("weight_arrays", {}).items():
            own[key] = holding(rng["max_abs"], width)
        if "fan_in" in row:
            extra = max(0, math.ceil(math.log2(max(row["fan_in"], 1))))
            own["accum"] = FixedType(True, width + extra, result.integer)
        types[name] = own
        if row.get("pre_activation"):
            types[f"{name}_{row['activation']}"] = {"result": _output_type(row, row["activation"], width)}
        types[f"{name}_linear"] = {"result": result}  # a linear activation hls4ml keeps as a layer
    return types


def _output_type(row: dict, function: str | None, width: int) -> FixedType:
    """The type of a layer's output: +-1 for a bounded function (softmax, sigmoid, tanh: an event beyond
    --data reaches the bound, and 1.0 would wrap to -1 in a type that only held what --data showed), else
    the largest output seen with a spare bit."""
    if function in BOUNDED:
        return holding(1.0, width)
    return holding(row["output"]["max_abs"], width, OUTPUT_MARGIN)


def hls_weight_arrays(layer) -> dict[str, np.ndarray]:
    """The arrays hls4ml holds for ``layer``, by precision key: a Dense/Conv kernel and bias, a batch norm's
    folded scale gamma/sqrt(var+eps) and bias beta - mean*scale."""
    cls = type(layer).__name__
    weights = layer.get_weights()
    if cls == "BatchNormalization":
        cfg = layer.get_config()
        named = dict(zip([w.name.split("/")[-1].split(":")[0] for w in layer.weights], weights, strict=True))
        gamma = named.get("gamma", 1.0)
        beta = named.get("beta", 0.0)
        scale = gamma / np.sqrt(named["moving_variance"] + cfg["epsilon"])
        return {"scale": np.asarray(scale), "bias": np.asarray(beta - named["moving_mean"] * scale)}
    if cls in _WEIGHTED and weights:
        arrays = {"weight": weights[0]}
        if len(weights) > 1:
            arrays["bias"] = weights[-1]
        return arrays
    return {}


def _range(values: np.ndarray) -> dict:
    a = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    nz = a[a > 0]
    return {
        "max_abs": float(a.max(initial=0.0)),
        "min_abs_nonzero": float(nz.min()) if nz.size else None,
        "log2_quantiles": [round(float(q), 3) for q in np.quantile(np.log2(nz), (0.01, 0.25, 0.5, 0.75, 0.99))]
        if nz.size
        else None,
    }


def _fit(values: np.ndarray, t: FixedType) -> dict:
    """How ``values`` fit type ``t``: how many overflow its range, how many nonzero ones fall below its step."""
    v = np.asarray(values, dtype=np.float64).ravel()
    lo, hi = t.bounds
    nonzero = v != 0
    return {
        "overflow": int(np.sum((v > hi) | (v < lo))),
        "below_step": int(np.sum(nonzero & (np.abs(v) < t.lsb))),
        "values": int(v.size),
    }


def profile(outputs: list[tuple], precision: FixedType | None = None, width: int | None = None) -> tuple[list, dict]:
    """Per layer of ``outputs`` ((layer, its float output on the data, its output before a fused activation
    or None) triples): the ranges of its weights, sums and outputs, the types they get — ``precision``
    everywhere, or chosen per layer at ``width`` bits (:func:`auto_types`) — and how they fit them.
    Returns the rows and the chosen types by hls4ml layer name (empty for one ``precision``)."""
    held = [hls_weight_arrays(layer) for layer, _, _ in outputs]
    rows = [_ranges(layer, out, pre, arrays) for (layer, out, pre), arrays in zip(outputs, held, strict=True)]
    types = auto_types(rows, width) if width else {}
    for row, (layer, out, pre), arrays in zip(rows, outputs, held, strict=True):
        own = types.get(layer.name, {})
        t_pre = own.get("result", precision)
        t_out = types[f"{layer.name}_{row['activation']}"]["result"] if pre is not None and types else t_pre
        _fit_into(row["output"], out, t_out)
        if pre is not None:
            _fit_into(row["pre_activation"], pre, t_pre)
        if arrays:
            fits = [_fit(a, own.get(k, precision)) for k, a in arrays.items()]
            bands = [type_range(own.get(k, precision)) for k in arrays]
            row["weights"].update({key: sum(f[key] for f in fits) for key in ("overflow", "below_step", "values")})
            row["weights"]["types"] = {k: own.get(k, precision).to_ap() for k in arrays}
            row["weights"]["band"] = {
                "log2_step": min(b["log2_step"] for b in bands),
                "log2_max": max((b["log2_max"] for b in bands if b["log2_max"] is not None), default=None),
            }
        if "accum" in own:
            row["accum_type"] = own["accum"].to_ap()
    return rows, types


def _ranges(layer, out, pre, arrays: dict[str, np.ndarray]) -> dict:
    cls = type(layer).__name__
    row = {"layer": layer.name, "class": cls, "output": _range(out)}
    if cls in ("Activation", "Softmax"):
        row["function"] = "softmax" if cls == "Softmax" else layer.get_config()["activation"]
    if pre is not None:
        row["activation"] = layer.get_config()["activation"]
        row["pre_activation"] = _range(pre)
    if arrays:
        row["weights"] = _range(np.concatenate([np.ravel(a) for a in arrays.values()]))
        row["weight_arrays"] = {k: _range(a) for k, a in arrays.items()}
    if cls in _WEIGHTED and arrays:
        row["fan_in"] = int(np.prod(arrays["weight"].shape[:-1]))  # the kernel's inputs per output
    return row


def _fit_into(entry: dict, values: np.ndarray, t: FixedType) -> None:
    entry.update(_fit(values, t), type=t.to_ap(), band=type_range(t))


def type_range(t: FixedType) -> dict:
    """The magnitudes a type holds: its step and its largest value (log2, for the profile plot)."""
    hi = t.bounds[1]
    return {"log2_step": -t.fractional, "log2_max": float(np.log2(hi)) if hi > 0 else None}
