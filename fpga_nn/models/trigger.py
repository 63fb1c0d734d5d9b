"""The one-hidden-layer trigger network of E. Won, NIM A 581 (2007) 816, and its float twin.

5 inputs (8-bit codes / 256, i.e. ``ap_ufixed<8,0>``) -> 6 hidden nodes -> 1 output (8-bit).

The hidden activation is a quantized ReLU rather than the paper's tanh: hls4ml evaluates
tanh and sigmoid through lookup tables whose entries and indexing differ from the float
function QKeras trains with, so a tanh network's firmware cannot equal its offline model.
``quantized_relu(8, 3)`` is a clip-and-round that ``ap_ufixed<8,3,AP_RND_CONV,AP_SAT>``
reproduces exactly. The output is an 8-bit logit, ``quantized_bits(8, 3)`` =
``ap_fixed<8,4,AP_RND_CONV,AP_SAT>`` in [-8, 8) with an LSB of 1/16; the trigger fires above a
threshold on it, so no sigmoid is needed in firmware.
"""

from __future__ import annotations

from typing import NamedTuple


class TriggerNetSpec(NamedTuple):
    n_inputs: int = 5
    n_hidden: int = 6
    weight_bits: int = 8
    weight_integer: int = 1  # quantized_bits integer bits (sign not counted): weights in [-2, 2)
    bias_integer: int = 3
    hidden_bits: int = 8
    hidden_integer: int = 3
    output_bits: int = 8
    output_integer: int = 3


def trigger_network(spec: TriggerNetSpec = TriggerNetSpec(), name: str = "trigger"):
    """QKeras model; quantizers with alpha=1 so weights are plain fixed-point numbers."""
    return trigger_mlp(
        n_inputs=spec.n_inputs,
        hidden=(spec.n_hidden,),
        weight_bits=spec.weight_bits,
        weight_integer=spec.weight_integer,
        bias_integer=spec.bias_integer,
        activation_bits=spec.hidden_bits,
        activation_integer=spec.hidden_integer,
        output_bits=spec.output_bits,
        output_integer=spec.output_integer,
        name=name,
    )


def float_twin(spec: TriggerNetSpec = TriggerNetSpec(), name: str = "trigger_float"):
    """The same architecture in floating point: the reference the quantized network is judged against."""
    import tensorflow as tf

    x_in = tf.keras.Input((spec.n_inputs,), name="inputs")
    x = tf.keras.layers.Dense(spec.n_hidden, activation="relu", name="hidden")(x_in)
    x = tf.keras.layers.Dense(1, name="score")(x)
    return tf.keras.Model(x_in, x, name=name)


def trigger_mlp(
    n_inputs: int = 5,
    hidden: tuple[int, ...] = (6,),
    weight_bits: int = 8,
    weight_integer: int = 1,
    bias_integer: int = 3,
    activation_bits: int | tuple[int, ...] = 8,
    activation_integer: int | tuple[int, ...] = 3,
    output_bits: int = 8,
    output_integer: int = 3,
    name: str = "trigger",
):
    """The trigger network with any number of hidden layers; per-layer activation widths may be lists.

    With one hidden layer the layers are named as in the paper's network: hidden, hidden_relu, output, score.
    """
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    hidden = tuple(int(h) for h in hidden)

    def per_layer(value, what):
        values = tuple(value) if isinstance(value, (list, tuple)) else (value,) * len(hidden)
        if len(values) != len(hidden):
            raise ValueError(f"{what} has {len(values)} entries for {len(hidden)} hidden layers")
        return values

    a_bits, a_int = per_layer(activation_bits, "activation_bits"), per_layer(activation_integer, "activation_integer")

    def wq(integer):
        return quantized_bits(weight_bits, integer, alpha=1)

    x_in = tf.keras.Input((n_inputs,), name="inputs")
    x = x_in
    for k, width in enumerate(hidden):
        suffix = "" if len(hidden) == 1 else str(k + 1)
        x = QDense(width, kernel_quantizer=wq(weight_integer), bias_quantizer=wq(bias_integer), name=f"hidden{suffix}")(
            x
        )
        x = QActivation(quantized_relu(a_bits[k], a_int[k]), name=f"hidden{suffix}_relu")(x)
    x = QDense(1, kernel_quantizer=wq(weight_integer), bias_quantizer=wq(bias_integer), name="output")(x)
    x = QActivation(quantized_bits(output_bits, output_integer, alpha=1), name="score")(x)
    return tf.keras.Model(x_in, x, name=name)
