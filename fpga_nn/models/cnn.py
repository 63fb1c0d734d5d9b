"""The compact layered CNN of seed 002 (43,009 parameters on 64x64x1 images) and its QKeras twin.

Three blocks of Conv2D(10, 3x3, 'same') + MaxPool(2) (+ Dropout in training), Flatten, Dense(64),
Dense(1): 100 + 910 + 910 + 41,024 + 65 = 43,009 parameters. The quantized twin uses 8-bit
weights and ReLUs (``quantized_relu``: exact in firmware) and an 8-bit logit output.
"""

from __future__ import annotations


def compact_cnn(input_shape=(64, 64, 1), dropout: float = 0.25, name: str = "compact_cnn"):
    import tensorflow as tf

    L = tf.keras.layers
    x_in = tf.keras.Input(input_shape, name="inputs")
    x = x_in
    for k in range(3):
        x = L.Conv2D(10, 3, padding="same", activation="relu", name=f"conv{k}")(x)
        x = L.MaxPooling2D(2, name=f"pool{k}")(x)
        x = L.Dropout(dropout, name=f"drop{k}")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(64, activation="relu", name="dense")(x)
    x = L.Dense(1, name="score")(x)
    return tf.keras.Model(x_in, x, name=name)


def compact_cnn_quantized(input_shape=(64, 64, 1), bits: int = 8, name: str = "compact_cnn_q"):
    """QKeras compact CNN; no Dropout (it is the identity at inference and the firmware has none)."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    def q():
        return quantized_bits(bits, 0, alpha=1)

    x_in = tf.keras.Input(input_shape, name="inputs")
    x = x_in
    for k in range(3):
        x = QConv2D(10, 3, padding="same", kernel_quantizer=q(), bias_quantizer=q(), name=f"conv{k}")(x)
        x = QActivation(quantized_relu(bits, 3), name=f"relu{k}")(x)
        x = tf.keras.layers.MaxPooling2D(2, name=f"pool{k}")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = QDense(64, kernel_quantizer=q(), bias_quantizer=q(), name="dense")(x)
    x = QActivation(quantized_relu(bits, 3), name="dense_relu")(x)
    x = QDense(1, kernel_quantizer=q(), bias_quantizer=q(), name="out")(x)
    x = QActivation(quantized_bits(bits, 3, alpha=1), name="score")(x)
    return tf.keras.Model(x_in, x, name=name)
