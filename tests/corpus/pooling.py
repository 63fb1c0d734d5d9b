"""Corpus cases of the pooling family (``fpga_nn/layers/pooling.py``)."""

from __future__ import annotations

from . import Case, _conv2d_stack, _functional, _img_seq


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QActivation, QConv1D

    L = tf.keras.layers

    return [
        Case(
            "conv1d_avgpool_global",
            _img_seq(
                QConv1D(
                    4,
                    3,
                    input_shape=(16, 2),
                    name="c1",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
                QActivation("quantized_relu(6,2)", name="r"),
                L.AveragePooling1D(2, name="avg"),
                L.GlobalMaxPooling1D(name="gmax"),
            ),
            (16, 2),
            "exact",
        ),
        Case(
            "conv2d_avgpool",
            _functional(_conv2d_stack(lambda h: L.AveragePooling2D(2, name="avg")(h))),
            (8, 8, 1),
            "exact",
        ),
        Case(
            "conv2d_global_avg_36",
            _functional(_conv2d_stack(lambda h: L.GlobalAveragePooling2D(name="gavg")(h))),
            (8, 8, 1),
            "refused",
            "gavg",
            "mean over 36 values",
        ),
        Case(
            "conv2d_global_avg_16",
            _functional(
                _conv2d_stack(lambda h: L.GlobalAveragePooling2D(name="gavg")(h), shape=(6, 6, 1)), name="gavg16"
            ),
            (6, 6, 1),
            "exact",
        ),
        Case(
            "conv2d_global_max_stream",
            _functional(_conv2d_stack(lambda h: L.GlobalMaxPooling2D(name="gmax")(h))),
            (8, 8, 1),
            "exact",
            io_type="io_stream",
        ),
    ]
