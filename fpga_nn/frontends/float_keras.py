"""Float Keras 2 models (Dense, Conv1D/2D, BatchNormalization, activations; no quantizers) at a fixed-point
precision the user chooses: hls4ml's most common starting point.

hls4ml is configured as its users do (``config_from_keras_model(granularity='name')``), with every weight,
bias, sum and result of every layer at ``--precision`` (``ap_fixed<16,6>``: hls4ml's default) and the input
at ``--input-precision`` or the same type. The firmware then computes a fixed-point network that differs from
the float model: the bit-exact reference is fpga-nn's emulation of those types (C-simulation == emulator on
every event), and the float model's agreement is measured beside it (``build/float_model.py``).

``--precision auto`` chooses a type per layer from the precision profile instead (``float_profile.py``).
"""

from __future__ import annotations

from ..errors import UnsupportedModelError, UserInputError, first_line
from ..fixed import FixedType
from ..layers.activation import set_softmax_tables

FAMILY = "float"


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
    return chosen(precision)


def chosen(precision: str) -> FixedType:
    """The one type of ``--precision TYPE``; for ``auto``/``auto<W>`` the W-bit type every layer starts
    from before the profile chooses its integer bits (it types what has no profile, e.g. a dropped layer)."""
    from .float_profile import auto_width

    width = auto_width(precision)
    return FixedType(True, width, min(6, width)) if width else FixedType.parse(precision)


def hls_config(
    model,
    input_name: str,
    precision: FixedType,
    input_type: FixedType,
    backend: str,
    reuse_factor: int,
    types: dict | None = None,
) -> dict:
    """hls4ml's per-layer configuration with every type at ``precision`` — or, given ``types`` (hls4ml layer
    name -> {precision key: type}, ``--precision auto``), each layer's own, tables at hls4ml's defaults —
    and the input (layer ``input_name``) at ``input_type``."""
    import hls4ml

    from . import hls4ml_sees

    text = precision.to_hls()
    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(
            model, granularity="name", backend=backend, default_precision=text, default_reuse_factor=reuse_factor
        )
    cfg["Model"]["Strategy"] = "Latency"
    for name, layer_cfg in cfg["LayerName"].items():
        p = layer_cfg.get("Precision")
        if types:
            own = {k: t.to_hls() for k, t in types.get(name, {}).items()}
            fallback = own.get("result", text)
            if isinstance(p, dict):
                layer_cfg["Precision"] = {k: own.get(k, fallback if v == "auto" else v) for k, v in p.items()}
            elif p is not None:
                layer_cfg["Precision"] = fallback
        elif isinstance(p, dict):
            layer_cfg["Precision"] = {k: text for k in p}  # weight, bias, accum, result, table: 'auto' included
        elif p is not None:
            layer_cfg["Precision"] = text
    cfg["LayerName"][input_name]["Precision"] = {"result": input_type.to_hls()}
    return cfg


def convert(
    model,
    input_name: str,
    output_dir,
    options,
    precision: FixedType,
    input_type: FixedType,
    weights_txt: bool,
    types: dict | None = None,
):
    """hls4ml's ModelGraph (not written) of the float ``model`` at ``precision`` or per-layer ``types``
    (``weights_txt``: weights in text files, as ``convert.project.write_project`` decides for large models);
    a failure is one line."""
    import hls4ml

    from . import hls4ml_sees

    config = hls_config(model, input_name, precision, input_type, options.backend, options.reuse_factor, types)
    set_softmax_tables(config["LayerName"], *options.softmax_tables())
    with hls4ml_sees(model):
        try:
            return hls4ml.converters.convert_from_keras_model(
                model, hls_config=config, output_dir=str(output_dir), project_name=options.name,
                backend=options.backend, io_type=options.io_type, part=options.part,
                clock_period=options.clock_period, write_weights_txt=weights_txt,
            )  # fmt: skip
        except (AttributeError, KeyError, ValueError, NotImplementedError, TypeError) as exc:
            raise UnsupportedModelError(f"hls4ml 1.3.0 cannot convert {model.name}: {first_line(exc)}") from None
