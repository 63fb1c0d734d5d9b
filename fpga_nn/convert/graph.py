"""A user's Keras model as the one flat graph hls4ml and the emulator expect.

Users write Sequential models, functional models, Sequential models nested inside functional
ones, and reload them from JSON + weights. :func:`normalize` rebuilds any of these as one flat
functional model over the *same layer objects* (weights shared, names kept, so every message
names the user's layers), with a single input whose name the generated C++ can use. The input
is found from the model's graph (``model.inputs``), never by position in ``model.layers``.
"""

from __future__ import annotations

import re

from ..errors import UnsupportedModelError

CPP_RESERVED = frozenset(
    {
        "class",
        "int",
        "float",
        "double",
        "void",
        "struct",
        "union",
        "template",
        "namespace",
        "in",
        "out",
        "const",
        "static",
        "return",
        "if",
        "else",
        "for",
        "while",
        "switch",
        "case",
        "default",
        "char",
        "long",
        "short",
        "unsigned",
        "signed",
        "auto",
        "bool",
        "new",
        "delete",
        "this",
        "operator",
        "private",
        "public",
        "typedef",
    }
)


def cpp_safe(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) and name not in CPP_RESERVED


def input_layer(model):
    """The model's InputLayer, found from its graph."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModelError(
            f"model '{model.name}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs: the firmware flow "
            "takes one input tensor and one output tensor (concatenate inputs before the model)"
        )
    return model.inputs[0]._keras_history.layer


def _is_model(layer) -> bool:
    import tensorflow as tf

    return isinstance(layer, tf.keras.Model)


def _rebuild(model, new_inputs: list):
    """Call every layer of ``model`` again, in graph order, on ``new_inputs``; nested models are inlined."""
    import tensorflow as tf

    mapping = {id(t): new for t, new in zip(model.inputs, new_inputs, strict=True)}

    def fetch(t):
        return mapping[id(t)] if id(t) in mapping else t

    outputs = {id(t) for t in model.outputs}
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            layer = node.layer
            if type(layer).__name__ == "InputLayer":
                continue
            args = tf.nest.map_structure(fetch, node.call_args)
            kwargs = tf.nest.map_structure(fetch, node.call_kwargs)
            if _is_model(layer):
                out = _rebuild(layer, tf.nest.flatten(args))
                out = out[0] if len(out) == 1 else out
            elif any(id(t) in outputs for t in tf.nest.flatten(node.outputs)) and _table_activation(layer):
                out = _split_activation(layer, args[0])
            else:
                out = layer(*args, **kwargs)
            for old, new in zip(tf.nest.flatten(node.outputs), tf.nest.flatten(out), strict=True):
                mapping[id(old)] = new
    return [mapping[id(t)] for t in model.outputs]


TABLE_ACTIVATIONS = ("softmax", "sigmoid", "tanh")


def table_function(layer) -> str | None:
    """'softmax', 'sigmoid' or 'tanh' when ``layer`` applies that table activation (an Activation, a
    Softmax layer, or a Dense/Conv with ``activation=``), else None."""
    cls = type(layer).__name__
    if cls == "Softmax":
        return "softmax"
    if cls not in ("Activation", "Dense", "QDense", "Conv1D", "Conv2D", "QConv1D", "QConv2D"):
        return None
    act = layer.get_config().get("activation")
    return act if act in TABLE_ACTIVATIONS else None


def _table_activation(layer) -> str | None:
    """'softmax'/'sigmoid'/'tanh' when a Dense/Conv layer applies one itself (Dense(5, activation='softmax'))."""
    return None if type(layer).__name__ in ("Activation", "Softmax") else table_function(layer)


def _split_activation(layer, x):
    """The layer without its activation (same name and weights), then the activation as its own layer,
    so that the logits exist as a tensor to verify against (the softmax contract)."""
    import tensorflow as tf

    act = _table_activation(layer)
    cfg = dict(layer.get_config(), activation=None if type(layer).__name__.startswith("Q") else "linear")
    linear = type(layer).from_config(cfg)
    y = linear(x)
    linear.set_weights(layer.get_weights())
    return tf.keras.layers.Activation(act, name=f"{layer.name}_{act}")(y)


def normalize(model, input_name: str | None = None):
    """One flat functional model over the same layers with a C++-safe input name.

    Returns ``model`` itself when it is already flat, functional and safely named.
    """
    import tensorflow as tf

    inp = input_layer(model)
    nested = any(_is_model(layer) for layer in model.layers)
    sequential = isinstance(model, tf.keras.Sequential)
    name = input_name or inp.name
    if not cpp_safe(name):
        name = "inputs" if all(layer.name != "inputs" for layer in model.layers) else "model_inputs"
    split = _table_activation(model.layers[-1]) is not None
    if not nested and not sequential and not split and name == inp.name:
        return model
    x = tf.keras.Input(shape=model.inputs[0].shape[1:], dtype=model.inputs[0].dtype, name=name)
    out = _rebuild(model, [x])
    return tf.keras.Model(x, out[0], name=model.name)


def inbound_layer_names(model) -> dict[str, list[str]]:
    """For each layer of a (flat) model, the names of the layers feeding it."""
    inbound: dict[str, list[str]] = {}
    for layer in model.layers:
        names = []
        for i, node in enumerate(layer._inbound_nodes):
            if f"{layer.name}_ib-{i}" not in model._network_nodes:  # a node of another model using the layer
                continue
            for t in node.keras_inputs or []:
                names.append(t._keras_history.layer.name)
        inbound[layer.name] = names
    return inbound


def _node(model, layer):
    for i, node in enumerate(layer._inbound_nodes):
        if f"{layer.name}_ib-{i}" in model._network_nodes:
            return node
    raise KeyError(f"layer '{layer.name}' is not part of model '{model.name}'")


def layer_input(model, layer):
    """The tensor feeding ``layer`` inside ``model`` (``layer.input`` is that of the layer's first use,
    which after :func:`normalize` belongs to the user's original model)."""
    return _node(model, layer).input_tensors


def layer_output(model, layer):
    return _node(model, layer).outputs


def submodel(model, layer, at_input: bool = False):
    """``model`` cut at the output (or the input) of ``layer``."""
    import tensorflow as tf

    return tf.keras.Model(model.inputs, layer_input(model, layer) if at_input else layer_output(model, layer))
