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
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    def wq(integer):
        return quantized_bits(spec.weight_bits, integer, alpha=1)

    x_in = tf.keras.Input((spec.n_inputs,), name="inputs")
    x = QDense(
        spec.n_hidden, kernel_quantizer=wq(spec.weight_integer), bias_quantizer=wq(spec.bias_integer), name="hidden"
    )(x_in)
    x = QActivation(quantized_relu(spec.hidden_bits, spec.hidden_integer), name="hidden_relu")(x)
    x = QDense(1, kernel_quantizer=wq(spec.weight_integer), bias_quantizer=wq(spec.bias_integer), name="output")(x)
    x = QActivation(quantized_bits(spec.output_bits, spec.output_integer, alpha=1), name="score")(x)
    return tf.keras.Model(x_in, x, name=name)


def float_twin(spec: TriggerNetSpec = TriggerNetSpec(), name: str = "trigger_float"):
    """The same architecture in floating point: the reference the quantized network is judged against."""
    import tensorflow as tf

    x_in = tf.keras.Input((spec.n_inputs,), name="inputs")
    x = tf.keras.layers.Dense(spec.n_hidden, activation="relu", name="hidden")(x_in)
    x = tf.keras.layers.Dense(1, name="score")(x)
    return tf.keras.Model(x_in, x, name=name)
