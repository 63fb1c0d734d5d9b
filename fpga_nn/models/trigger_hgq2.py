"""The trigger network in HGQ2 (Keras 3): the same five inputs and hidden widths as the QKeras
trigger MLP, with every bit width trained instead of chosen.

Written the way HGQ2's documentation writes models: weights and biases under ``kbi`` quantizers
(sign, bits, integer bits; saturating), the data path under ``kif`` quantizers (sign, integer and
fractional bits per value; wrapping, with the integer bits fixed after training by
``hgq.utils.trace_minmax`` on the training set: :func:`fpga_nn.frontends.hgq2.calibrate`). The
first layer's input quantizer learns how many of the five 8-bit input codes' bits the network uses.
``beta`` weighs the EBOPs (effective bit operations, HGQ2's differentiable estimate of the LUTs the
multiplications cost) in the loss: 0 trains for accuracy alone; larger values trade accuracy for
fewer bits. The output is a logit, as the QKeras trigger's: the trigger fires above a threshold.
"""

from __future__ import annotations


def trigger_hgq2(hidden=(6,), beta: float = 1e-5, n_inputs: int = 5, name: str = "trigger_hgq2"):
    """The HGQ2 trigger MLP: ``n_inputs`` -> ReLU layers of widths ``hidden`` -> one logit."""
    import keras
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    with (
        QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"),
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="WRAP"),
        LayerConfigScope(enable_ebops=True, beta0=float(beta)),
    ):
        layers = [keras.layers.Input((n_inputs,), name="inputs")]
        layers += [QDense(int(w), activation="relu", name=f"hidden{i + 1}") for i, w in enumerate(hidden)]
        layers.append(QDense(1, name="score"))
        return keras.Sequential(layers, name=name)
