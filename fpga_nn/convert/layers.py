"""Which Keras/QKeras layers the firmware flow accepts, checked before any conversion work."""

from __future__ import annotations

from ..errors import UnsupportedModelError

SUPPORTED = frozenset({
    "InputLayer", "Dense", "QDense", "Activation", "QActivation", "ReLU", "BatchNormalization",
    "QBatchNormalization", "Dropout", "Flatten", "Conv1D", "Conv2D", "QConv1D", "QConv2D", "MaxPooling1D",
    "MaxPooling2D",
})


def check_supported(model) -> None:
    """Raise naming the first layer whose class the flow cannot convert bit-exactly."""
    for layer in model.layers:
        cls = type(layer).__name__
        if cls not in SUPPORTED:
            raise UnsupportedModelError(
                f"layer '{layer.name}' of type {cls} is not supported; supported layer types: "
                + ", ".join(sorted(SUPPORTED))
            )


def inbound_layer_names(model) -> dict[str, list[str]]:
    """For each layer, the names of the layers feeding it (functional and sequential models)."""
    inbound: dict[str, list[str]] = {}
    for layer in model.layers:
        names = []
        for node in layer._inbound_nodes:
            for t in getattr(node, "keras_inputs", None) or []:
                names.append(t._keras_history.layer.name)
        inbound[layer.name] = names
    return inbound
