"""Corpus cases of the conv family (``fpga_nn/layers/conv.py``)."""

from __future__ import annotations

from . import Case, _img_seq, _qdense


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QConv2DBatchnorm

    L = tf.keras.layers

    return [
        Case(
            "qconv2d_bn",
            _img_seq(
                QConv2DBatchnorm(
                    4,
                    (3, 3),
                    input_shape=(8, 8, 1),
                    name="convbn",
                    kernel_quantizer="quantized_bits(8,0,alpha=1)",
                    bias_quantizer="quantized_bits(8,0,alpha=1)",
                    activation="quantized_relu(8,0)",
                )
            ),
            (8, 8, 1),
            "exact",
        ),
        Case(
            "qconv2d_bn_quantized_bits",
            _img_seq(
                QConv2DBatchnorm(
                    3,
                    (3, 3),
                    input_shape=(8, 8, 1),
                    name="convbn",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
                QActivation("quantized_bits(6,2)", name="q"),
            ),
            (8, 8, 1),
            "exact",
        ),
        Case(  # hls4ml's QKeras tests write the ReLU as the conv's Keras activation: a plain ReLU after the sum
            "qconv2d_plain_relu",
            _img_seq(
                QConv2D(
                    3,
                    (3, 3),
                    input_shape=(6, 6, 2),
                    name="conv",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                    activation="relu",
                ),
                L.Flatten(name="flat"),
                _qdense(3, 6, 0, name="fc"),
                QActivation("quantized_bits(8,3,alpha=1)", name="q"),
            ),
            (6, 6, 2),
            "exact",
        ),
        Case(
            "mnist_style_cnn",
            _img_seq(
                QConv2D(
                    4,
                    (3, 3),
                    input_shape=(12, 12, 1),
                    name="conv1",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
                QActivation("quantized_relu(6)", name="relu1"),
                L.MaxPooling2D(2, name="pool1"),
                L.Flatten(name="flat"),
                _qdense(10, 6, 0, name="fc"),
                L.Activation("softmax", name="softmax"),
            ),
            (12, 12, 1),
            "softmax",
            io_type="io_stream",
        ),
    ]
