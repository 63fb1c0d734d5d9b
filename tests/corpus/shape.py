"""Corpus cases of the shape family (``fpga_nn/layers/shape.py``)."""

from __future__ import annotations

from . import Case, _img_seq


def cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import QConv1D, QConv2D

    L = tf.keras.layers

    return [
        Case(
            "upsample_pad_reshape",
            _img_seq(
                L.Reshape((4, 4, 1), input_shape=(16,), name="reshape"),
                L.UpSampling2D(2, name="up"),
                L.ZeroPadding2D(1, name="pad"),
                QConv2D(
                    2,
                    (3, 3),
                    name="conv",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
                L.Flatten(name="flat"),
            ),
            (16,),
            "exact",
        ),
        Case(
            "upsample1d_pad1d",
            _img_seq(
                L.UpSampling1D(2, input_shape=(6, 2), name="up"),
                L.ZeroPadding1D(1, name="pad"),
                QConv1D(
                    2,
                    3,
                    name="conv",
                    kernel_quantizer="quantized_bits(6,0,alpha=1)",
                    bias_quantizer="quantized_bits(6,0,alpha=1)",
                ),
            ),
            (6, 2),
            "exact",
            io_type="io_stream",
        ),
    ]
