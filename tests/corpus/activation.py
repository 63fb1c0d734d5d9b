"""Corpus cases of the activation family (``fpga_nn/layers/activation.py``)."""

from __future__ import annotations

from . import Case, _qdense, _seeded, _seq, _single_quantizer, ternary_network


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QActivation

    L = tf.keras.layers

    cases = [
        Case(
            "dense_sigmoid_head",
            lambda: _seeded(
                _seq(
                    _qdense(6, 8, 1, input_shape=(5,), name="fc"),
                    QActivation("quantized_relu(8,3)", name="r"),
                    _qdense(1, 8, 1, name="o"),
                    L.Activation("sigmoid", name="sig"),
                    name="sig_head",
                ),
                2,
            ),
            (5,),
            "softmax",
        ),
    ]
    for expr in [
        "quantized_bits(8,0)",
        "quantized_bits(8,4)",
        "quantized_bits(4,2)",
        "quantized_bits(4,0)",
        "quantized_bits(10,0)",
        "quantized_bits(6,2,keep_negative=False)",
        "quantized_bits(6,2,symmetric=1)",
        "quantized_relu(4)",
        "quantized_relu(4,2)",
        "quantized_relu(8)",
        "quantized_relu(8,4)",
        "quantized_relu(10)",
        "quantized_relu(10,5)",
    ]:
        cases.append(Case(f"qact_{expr}", _single_quantizer(expr), (6,), "exact"))
    cases += [
        Case(
            "qact_quantized_relu_leaky",
            _single_quantizer("quantized_relu(8,3,negative_slope=0.25)"),
            (6,),
            "refused",
            "quantizer",
            "negative_slope",
        ),
        Case("qact_binary", _single_quantizer("binary()"), (6,), "exact"),
        Case("qact_ternary", _single_quantizer("ternary()"), (6,), "exact"),
        Case("qact_quantized_tanh", _single_quantizer("quantized_tanh(8)"), (6,), "exact", data="near"),
        Case("qact_quantized_tanh_sym", _single_quantizer("quantized_tanh(4,symmetric=1)"), (6,), "exact"),
        Case("qact_quantized_sigmoid", _single_quantizer("quantized_sigmoid(6)"), (6,), "exact", data="near"),
        Case(
            "qact_quantized_tanh_real",
            _single_quantizer("quantized_tanh(8,use_real_tanh=True)"),
            (6,),
            "refused",
            "quantizer",
            "use_real_tanh",
        ),
        Case(
            "qdense_quantized_tanh_kwarg",
            lambda: _seeded(
                _seq(_qdense(8, 6, 0, input_shape=(10,), name="fc", activation="quantized_tanh(6)"), name="tanh_kw"), 17
            ),
            (10,),
            "exact",
        ),
        Case("qact_stochastic", _single_quantizer("stochastic_ternary()"), (6,), "refused", "quantizer", "stochastic"),
        Case("qact_po2", _single_quantizer("quantized_po2(4)"), (6,), "refused", "quantizer", "quantized_po2"),
        Case("ternary_threshold_on_grid", _single_quantizer("ternary(threshold=0.25)"), (6,), "exact", data="near"),
        Case(
            "ternary_threshold_half",
            _single_quantizer("ternary(threshold=0.5)"),
            (6,),
            "refused",
            "quantizer",
            "threshold=0.5",
        ),
        Case("ternary_network", ternary_network, (6,), "exact"),
    ]
    return cases
