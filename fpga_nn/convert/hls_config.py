"""Build hls4ml's CamelCase configuration dictionary: the one place that speaks its dialect.

Precisions are left to hls4ml's own inference (``auto``) wherever it is exact: accumulators
and Dense results are sized from the weight and input types, which matched QKeras bit for
bit in every model we tried. Two traps of hls4ml 1.3 are closed here:

* a ``QActivation(quantized_bits(...))`` after a Dense/Conv whose result type is ``auto`` is
  merged into that layer by ``MergeLinearActivation`` *without* its quantizer (the pass looks
  for ``quantizer``, the QKeras parser stores ``activation_quantizer``): the output silently
  keeps full precision. We set the parent's result type to the quantizer's type instead.
* the ``<layer>_linear`` node inserted after such a parent would resolve to the default
  precision and stay as a cast; it gets the parent's type so that hls4ml removes it.
"""

from __future__ import annotations

import logging

import numpy as np

from ..fixed import FixedType
from ..layers import auto_result_parents
from .graph import inbound_layer_names, input_layer
from .hls_types import power_of_two, value_type, values, xnor
from .support import activation_quantizer, quantizer_type

log = logging.getLogger(__name__)

_PARENTS_WITH_AUTO_RESULT = auto_result_parents()  # a view of the layer registry (fpga_nn/layers/)


def _is_linear_quantizer(layer) -> bool:
    if type(layer).__name__ != "QActivation":
        return False
    return type(activation_quantizer(layer)).__name__ == "quantized_bits"  # object or string, from the config


def make_hls_config(
    model,
    input_type: FixedType,
    backend: str = "Vitis",
    reuse_factor: int = 1,
    strategy: str = "Latency",
    trace: bool = False,
) -> dict:
    """hls4ml configuration for ``model`` whose input arrives as ``input_type``."""
    import hls4ml

    from ..frontends import hls4ml_sees

    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(
            model,
            granularity="name",
            backend=backend,
            default_precision="fixed<32,16>",
            default_reuse_factor=reuse_factor,
        )
    cfg["Model"]["Strategy"] = strategy
    layers = cfg["LayerName"]
    input_name = input_layer(model).name  # from the graph: a Sequential model's first layer is not its input
    if input_name not in layers:
        raise KeyError(f"hls4ml's configuration has no input layer '{input_name}': normalize the model first")
    layers[input_name]["Precision"]["result"] = input_type.to_hls()

    for layer in model.layers:  # the exact type of each QActivation's quantizer (keep_negative, symmetric)
        qtype = quantizer_type(activation_quantizer(layer)) if type(layer).__name__ == "QActivation" else None
        if qtype is not None and layer.name in layers:
            layers[layer.name].setdefault("Precision", {})["result"] = qtype.to_hls()

    inbound = inbound_layer_names(model)
    for layer in model.layers:
        if not _is_linear_quantizer(layer):
            continue
        parents = inbound.get(layer.name, [])
        if len(parents) != 1:
            continue
        parent = model.get_layer(parents[0])
        if type(parent).__name__ not in _PARENTS_WITH_AUTO_RESULT:
            continue
        qtype = layers[layer.name]["Precision"]["result"]
        layers[parent.name].setdefault("Precision", {})["result"] = qtype
        if f"{parent.name}_linear" in layers:
            layers[f"{parent.name}_linear"]["Precision"]["result"] = qtype
        log.debug("result of %s set to %s (quantizer %s)", parent.name, qtype, layer.name)

    if trace:
        for layer_cfg in layers.values():
            layer_cfg["Trace"] = True
    return cfg


def producers(hls_model) -> dict:
    """For each variable of an hls4ml model, the layer that writes it."""
    return {out: layer for layer in hls_model.get_layers() for out in layer.outputs}


def plain_relus(model) -> set[str]:
    """The hls4ml names of the model's ReLUs without a quantizer (a ReLU layer, Activation('relu'), or a layer's
    activation='relu', which hls4ml splits off as NAME_relu): their result must hold their input exactly."""
    names = set()
    for layer in model.layers:
        cls, cfg = type(layer).__name__, layer.get_config()
        if cls == "ReLU" and not cfg.get("max_value") and not cfg.get("negative_slope") and not cfg.get("threshold"):
            names.add(layer.name)
        elif cfg.get("activation") == "relu":
            names.add(layer.name if cls == "Activation" else f"{layer.name}_relu")
    return names


def exact_result_types(hls_model, relus: set[str] = frozenset()) -> dict[str, dict[str, str]]:
    """Result (and accumulator) types that hold merges, average pools, plain ReLUs (``relus``) and sums of
    power-of-two weights exactly.

    hls4ml gives a Merge or Concatenate the type of one input (a signed input concatenated to an
    unsigned one loses its sign) and an average pool its input type (the mean's extra fractional
    bits are cut). The exact type follows from the input types' ranges; :func:`write_project`
    converts once, reads them, and converts again with these in the configuration.
    """
    by_output = producers(hls_model)
    out: dict[str, dict[str, str]] = {}
    for layer in hls_model.get_layers():
        ins = [value_type(by_output[i].get_output_variable().type.precision) for i in layer.inputs if i in by_output]
        if not ins:
            continue
        cls = layer.class_name
        if cls in ("Merge", "Concatenate") and len(ins) == 2:
            (a_lo, a_hi), (b_lo, b_hi) = ins[0].bounds, ins[1].bounds
            f = max(ins[0].fractional, ins[1].fractional)
            op = layer.get_attr("op", "concatenate") if cls == "Merge" else "concatenate"
            if op == "add":
                t = FixedType.covering(a_lo + b_lo, a_hi + b_hi, f)
            elif op == "subtract":
                t = FixedType.covering(a_lo - b_hi, a_hi - b_lo, f)
            elif op == "multiply":
                p = [a * b for a in (a_lo, a_hi) for b in (b_lo, b_hi)]
                t = FixedType.covering(min(p), max(p), ins[0].fractional + ins[1].fractional)
            elif op == "average":
                t = FixedType.covering((a_lo + b_lo) / 2, (a_hi + b_hi) / 2, f + 1)
            else:  # concatenate, maximum, minimum: the union of the ranges
                t = FixedType.covering(min(a_lo, b_lo), max(a_hi, b_hi), f)
            out[layer.name] = {"result": t.to_hls()}
        elif layer.name in relus and cls == "Activation":  # max(0, x): the input's grid and positive range
            t = FixedType.covering(0.0, max(ins[0].bounds[1], 0.0), ins[0].fractional)
            out[layer.name] = {"result": t.to_hls()}
        elif "weight" in layer.weights and (
            power_of_two(layer.weights["weight"].type.precision) or xnor(layer.weights["weight"].type.precision)
        ):
            out[layer.name] = _po2_sum_types(layer, ins[0])
            if "result" in out[layer.name]:  # the linear node hls4ml inserts once the result type is set
                out[f"{layer.name}_linear"] = {"result": out[layer.name]["result"]}
        elif (
            cls in ("Pooling1D", "Pooling2D", "GlobalPooling1D", "GlobalPooling2D")
            and layer.get_attr("pool_op") == "Average"
        ):
            n = _pool_count(layer)
            if n & (n - 1):
                continue  # refused by the support table before conversion
            lo, hi = ins[0].bounds
            shift = n.bit_length() - 1
            acc = FixedType.covering(lo * n, hi * n, ins[0].fractional + shift)
            out[layer.name] = {
                "result": FixedType.covering(lo, hi, ins[0].fractional + shift).to_hls(),
                "accum": acc.to_hls(),
            }
    return out


def exact_po2_products(hls_model) -> list[str]:
    """Widen the exponent type of power-of-two weights until hls4ml's products hold ``x * 2^e`` exactly.

    hls4ml's ``weight_exponential`` shifts x inside ``ap_fixed<2S, S>``, S the width of the exponent's type plus
    x's width: with ``quantized_po2(4)`` weights (exponents down to -7) and 2-bit inputs that is 6 fractional bits,
    and ``x * 2^-7`` loses its low bits (hls4ml's MNIST po2 example ``qkeras_mnist_dense``). A wider exponent
    type holds the same exponents and widens the product; returns the layers changed."""
    import numpy as np
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from hls4ml.model.types import ExponentPrecisionType

    changed = []
    for layer in hls_model.get_layers():
        w = layer.weights.get("weight")
        if w is None or not power_of_two(w.type.precision):
            continue
        a = np.abs(np.asarray(w.data, np.float64))
        e = np.round(np.log2(a[a != 0])) if np.any(a != 0) else np.zeros(1)
        x = value_type(layer.get_input_variable().type.precision)
        need = max(x.fractional - int(e.min()), x.integer + int(e.max()) + (0 if x.signed else 1))
        width = max(w.type.precision.width, need - x.width, int(np.abs(e).max()).bit_length() + 1)
        if width > w.type.precision.width:
            w.type.precision = APTypeConverter().convert(ExponentPrecisionType(width=width, signed=True))
            changed.append(layer.name)
    return changed


def _po2_sum_types(layer, x: FixedType) -> dict[str, str]:
    """Exact accumulator (and, where hls4ml left its default, result) type of a layer with power-of-two or
    1-bit binary weights. hls4ml's precision inference skips exponent- and xnor-typed weights, leaving the
    default fixed<32,16>, which wraps sums of large weights (hls4ml's own po2 test: 500 / 500 events wrong).
    Each product ``x * 2^e`` is exact on the grid ``2^(e_min - f_x)`` (binary weights: ``x * ±1``, the 1-bit
    code 0 standing for -1); the sum's range is bounded output by output from the weights and the input's
    range, the bias added."""
    import numpy as np

    w = values(layer.weights["weight"].data, layer.weights["weight"].type.precision)
    w = w.reshape(-1, w.shape[-1])
    nonzero = np.abs(w[w != 0])
    lo, hi = x.bounds
    low = np.minimum(w * lo, w * hi).sum(axis=0)
    high = np.maximum(w * lo, w * hi).sum(axis=0)
    frac = x.fractional - int(np.floor(np.log2(nonzero.min()))) if len(nonzero) else x.fractional
    if "bias" in layer.weights:
        b = np.asarray(layer.weights["bias"].data, np.float64).reshape(-1)
        low, high = low + b, high + b
        from hls4ml.model.types import FixedPrecisionType

        btype = layer.weights["bias"].type.precision
        if isinstance(btype, FixedPrecisionType):  # the finest grid the bias values use, within their type
            fb = FixedType.from_precision(btype).fractional
            grid = FixedType.narrowest_for(b, max_fractional=fb)
            frac = max(frac, grid.fractional if grid is not None else fb)
    t = FixedType.covering(float(min(low.min(), 0.0)), float(max(high.max(), 0.0)), max(frac, 0)).to_hls()
    types = {"accum": t}
    result = FixedType.from_precision(layer.get_output_variable().type.precision)
    if (result.width, result.integer, result.signed) == (32, 16, True):  # hls4ml's default: nothing set it
        types["result"] = t
    return types


def _pool_count(layer) -> int:
    a = layer.get_attr
    if layer.class_name == "Pooling1D":
        return a("pool_width")
    if layer.class_name == "Pooling2D":
        return a("pool_width") * a("pool_height")
    if layer.class_name == "GlobalPooling1D":
        return a("n_in")
    return a("in_height") * a("in_width")


MAX_FLOAT_WEIGHT_FRACTION = 32  # fraction bits a quantizer-less weight may need (float32 values of magnitude >= 2^-8)
_WEIGHT_QUANTIZERS = {"weight": "kernel_quantizer_internal", "bias": "bias_quantizer_internal"}


def float_weight_types(hls_model, model) -> dict[str, dict[str, str]]:
    """Types that hold exactly the float kernels and biases of layers without a quantizer for them (a QDense
    without ``bias_quantizer``, a plain Dense among QKeras layers). hls4ml gives them the default precision
    (``fixed<32,16>``), which cuts a trained float bias such as -0.0195549 (29 fraction bits): the firmware
    then differs from QKeras by part of an LSB. A weight no type of :data:`MAX_FLOAT_WEIGHT_FRACTION` fraction
    bits holds is refused, naming the layer and the quantizer to add."""
    from ..errors import UnsupportedModelError

    keras = {layer.name: layer for layer in model.layers}
    out: dict[str, dict[str, str]] = {}
    for layer in hls_model.get_layers():
        source = keras.get(layer.name)
        if source is None:
            continue
        for key, attr in _WEIGHT_QUANTIZERS.items():
            w = layer.weights.get(key)
            if w is None or getattr(source, attr, None) is not None or not _plain_fixed(w.type.precision):
                continue
            data = np.asarray(w.data, dtype=np.float64)
            if FixedType.from_precision(w.type.precision).representable(data).all():
                continue
            grid = FixedType.narrowest_for(data, max_fractional=MAX_FLOAT_WEIGHT_FRACTION)
            if grid is None:
                what = "kernel" if key == "weight" else key
                raise UnsupportedModelError(
                    f"layer '{layer.name}': its {what} has no {attr.removesuffix('_internal')} and float values "
                    f"that no fixed-point type of {MAX_FLOAT_WEIGHT_FRACTION} fraction bits holds: give it "
                    f"{attr.removesuffix('_internal')}=quantized_bits(...)"
                )
            t = FixedType.covering(float(data.min(initial=0.0)), float(data.max(initial=0.0)), grid.fractional)
            out.setdefault(layer.name, {})[key] = t.to_hls()
    return out


def _plain_fixed(precision) -> bool:
    return not (power_of_two(precision) or xnor(precision)) and ("fixed" in str(precision) or "int<" in str(precision))
