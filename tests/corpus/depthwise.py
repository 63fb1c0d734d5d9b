"""Corpus cases of the depthwise family (``fpga_nn/layers/depthwise.py``)."""

from __future__ import annotations

from . import _DW, Case, _img_seq, _on_grid


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QActivation, QDepthwiseConv2D, QSeparableConv1D, QSeparableConv2D

    L = tf.keras.layers

    return [
        Case(
            "qdepthwise2d",
            _img_seq(
                QDepthwiseConv2D(
                    (3, 3),
                    input_shape=(8, 8, 3),
                    name="dw",
                    depthwise_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(4,0,alpha=1)",
                    activation="quantized_relu(6,2)",
                )
            ),
            (8, 8, 3),
            "exact",
            io_type="io_stream",
        ),
        Case(
            "qseparable2d",
            _img_seq(
                QSeparableConv2D(
                    4,
                    (3, 3),
                    input_shape=(8, 8, 2),
                    name="sep",
                    depthwise_quantizer="quantized_bits(6,0,alpha=1)",
                    pointwise_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
                QActivation("quantized_relu(8,3)", name="r"),
            ),
            (8, 8, 2),
            "exact",
            io_type="io_stream",
        ),
        Case(
            "qdepthwise2d_quantized_bits",
            _img_seq(
                QDepthwiseConv2D((3, 3), input_shape=(8, 8, 2), name="dw", **_DW),
                QActivation("quantized_bits(6,2)", name="q"),
            ),
            (8, 8, 2),
            "exact",
            io_type="io_stream",
        ),
        Case(
            "qseparable1d_quantized_bits",
            _img_seq(
                QSeparableConv1D(
                    3, 3, input_shape=(12, 2), name="sep", **_DW, pointwise_quantizer="quantized_bits(6,0,alpha=1)"
                ),
                QActivation("quantized_bits(6,2)", name="q"),
            ),
            (12, 2),
            "exact",
            io_type="io_stream",
        ),
        Case(
            "depthwise1d_grid_weights",
            _on_grid(
                _img_seq(
                    L.DepthwiseConv1D(3, input_shape=(12, 2), name="dw"), QActivation("quantized_bits(8,3)", name="q")
                ),
                32,
            ),
            (12, 2),
            "exact",
            io_type="io_stream",
        ),
        Case(
            "depth_multiplier_2",
            _img_seq(QDepthwiseConv2D((3, 3), input_shape=(8, 8, 2), name="dw2", depth_multiplier=2, **_DW)),
            (8, 8, 2),
            "refused",
            "dw2",
            "depth_multiplier=2",
            io_type="io_stream",
        ),
    ]
