"""Corpus cases of the dense family (``fpga_nn/layers/dense.py``)."""

from __future__ import annotations

from . import Case, _dense_kernel, _qdense, _seeded, _seq, jet_tagger, nested, q, reloaded


def cases() -> list[Case]:
    import tensorflow as tf

    L = tf.keras.layers

    return [
        Case("jet_tagger_softmax", jet_tagger, (16,), "softmax"),
        Case("jet_tagger_logits", lambda: jet_tagger(softmax=False), (16,), "exact"),
        Case("jet_tagger_reloaded", reloaded(jet_tagger), (16,), "softmax"),
        Case("nested_sequential_input_named_in", nested, (5,), "exact"),
        Case("kernel_ternary", _dense_kernel("ternary(alpha=1)"), (8,), "exact"),
        Case("kernel_binary", _dense_kernel("binary()"), (8,), "exact"),
        Case("kernel_po2", _dense_kernel("quantized_po2(4,1)", bias="quantized_bits(8,3,alpha=1)"), (8,), "exact"),
        Case("kernel_auto_po2", _dense_kernel("quantized_bits(6,0,alpha='auto_po2')"), (8,), "exact"),
        Case(
            "kernel_alpha_auto",
            _dense_kernel("quantized_bits(6,0,alpha='auto')"),
            (8,),
            "refused",
            "dense",
            "alpha='auto'",
        ),
        Case("kernel_stochastic", _dense_kernel("stochastic_binary()"), (8,), "refused", "dense", "stochastic"),
        Case(
            "qdense_activation_kwarg",
            lambda: _seeded(
                _seq(
                    _qdense(10, 4, 0, input_shape=(10,), name="qdense", activation=q("quantized_relu(4,0)")),
                    name="kwarg",
                ),
                4,
            ),
            (10,),
            "exact",
        ),
        Case(
            "float_dense_refused_mid",
            lambda: _seeded(
                _seq(
                    L.Dense(4, input_shape=(5,), name="float_fc"),
                    L.Activation("tanh", name="tanh"),
                    _qdense(1, 8, 1, name="o"),
                    name="mid",
                ),
                1,
            ),
            (5,),
            "refused",
            "tanh",
            "inside the network",
        ),
    ]
