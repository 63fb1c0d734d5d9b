"""Float Keras 2 models (Dense, Conv1D/2D, BatchNormalization, activations; no quantizers) at a fixed-point
precision the user chooses: hls4ml's most common starting point.

hls4ml is configured as its users do (``config_from_keras_model(granularity='name')``), with every weight,
bias, sum and result of every layer at ``--precision`` (``ap_fixed<16,6>``: hls4ml's default) and the input
at ``--input-precision`` or the same type. The firmware then computes a fixed-point network that differs from
the float model: the bit-exact reference is fpga-nn's emulation of those types (C-simulation == emulator on
every event), and the float model's agreement is measured beside it (``build/float_model.py``).

The precision profile (:func:`profile`) is hls4ml's profiling in numbers: per layer, the range of the
weights and of the float model's outputs on the user's data against the range and step the chosen type
holds, and how many values overflow it (``WRAP``: an overflowing value wraps around to the other sign).
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError, UserInputError, first_line
from ..fixed import FixedType

FAMILY = "float"
PROFILE_EVENTS = 20_000  # events of --data the activation ranges are taken from


def quantized_layers(model) -> list[str]:
    """The layers that carry quantizers (QKeras, HGQ): a float model has none."""
    return [
        layer.name
        for layer in model.layers
        if type(layer).__module__.split(".")[0] in ("qkeras", "HGQ", "hgq") or type(layer).__name__.startswith("Q")
    ]


def check_float(model, precision: str) -> FixedType:
    """The chosen type, after checking that ``model`` is a float model (its quantizers would fix the types)."""
    q = quantized_layers(model)
    if q:
        raise UserInputError(
            f"--precision is for float models; '{q[0]}' is quantized and fixes its own types: drop --precision"
        )
    return FixedType.parse(precision)


def hls_config(
    model, input_name: str, precision: FixedType, input_type: FixedType, backend: str, reuse_factor: int
) -> dict:
    """hls4ml's per-layer configuration with every type at ``precision`` and the input (layer ``input_name``)
    at ``input_type``."""
    import hls4ml

    from . import hls4ml_sees

    text = precision.to_hls()
    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(
            model, granularity="name", backend=backend, default_precision=text, default_reuse_factor=reuse_factor
        )
    cfg["Model"]["Strategy"] = "Latency"
    for layer_cfg in cfg["LayerName"].values():
        p = layer_cfg.get("Precision")
        if isinstance(p, dict):
            layer_cfg["Precision"] = {k: text for k in p}  # weight, bias, accum, result, table: 'auto' included
        elif p is not None:
            layer_cfg["Precision"] = text
    cfg["LayerName"][input_name]["Precision"] = {"result": input_type.to_hls()}
    return cfg


def convert(
    model, input_name: str, output_dir, options, precision: FixedType, input_type: FixedType, weights_txt: bool
):
    """hls4ml's ModelGraph (not written) of the float ``model`` at ``precision`` (``weights_txt``: weights in
    text files, as ``convert.project.write_project`` decides for large models); a failure is one line."""
    import hls4ml

    from . import hls4ml_sees

    config = hls_config(model, input_name, precision, input_type, options.backend, options.reuse_factor)
    with hls4ml_sees(model):
        try:
            return hls4ml.converters.convert_from_keras_model(
                model, hls_config=config, output_dir=str(output_dir), project_name=options.name,
                backend=options.backend, io_type=options.io_type, part=options.part,
                clock_period=options.clock_period, write_weights_txt=weights_txt,
            )  # fmt: skip
        except (AttributeError, KeyError, ValueError, NotImplementedError, TypeError) as exc:
            raise UnsupportedModelError(f"hls4ml 1.3.0 cannot convert {model.name}: {first_line(exc)}") from None


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


def profile(outputs: list[tuple], precision: FixedType) -> list[dict]:
    """Per layer of ``outputs`` ((layer, its float output on the data) pairs): the ranges of its weights and
    outputs and how they fit ``precision``."""
    rows = []
    for layer, out in outputs:
        row = {"layer": layer.name, "class": type(layer).__name__, "output": {**_range(out), **_fit(out, precision)}}
        weights = layer.get_weights()
        if weights:
            w = np.concatenate([np.ravel(a) for a in weights])
            row["weights"] = {**_range(w), **_fit(w, precision)}
        rows.append(row)
    return rows


def type_range(t: FixedType) -> dict:
    """The magnitudes a type holds: its step and its largest value (log2, for the profile plot)."""
    hi = t.bounds[1]
    return {"log2_step": -t.fractional, "log2_max": float(np.log2(hi)) if hi > 0 else None}
