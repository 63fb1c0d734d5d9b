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

from ..fixed import FixedType
from .graph import inbound_layer_names, input_layer
from .support import activation_quantizer, quantizer_type

log = logging.getLogger(__name__)

_PARENTS_WITH_AUTO_RESULT = {"Dense", "QDense", "Conv1D", "Conv2D", "QConv1D", "QConv2D", "BatchNormalization",
                             "QBatchNormalization"}


def _is_linear_quantizer(layer) -> bool:
    if type(layer).__name__ != "QActivation":
        return False
    q = layer.activation
    return type(q).__name__ == "quantized_bits" or getattr(q, "__name__", "") == "quantized_bits"


def make_hls_config(model, input_type: FixedType, backend: str = "Vitis", reuse_factor: int = 1,
                    strategy: str = "Latency", trace: bool = False) -> dict:
    """hls4ml configuration for ``model`` whose input arrives as ``input_type``."""
    import hls4ml

    cfg = hls4ml.utils.config_from_keras_model(
        model, granularity="name", backend=backend, default_precision="fixed<32,16>",
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
