"""The float reference networks of seed 004 and the quantized FNN/DFNN that go into firmware.

All output one logit. N is the number of input features.
  FNN   N -> 3N -> 1                  (one hidden layer, ReLU)
  DFNN  N -> 3N -> 9N -> 3N -> 1      (seed 004's deep feed-forward network)
  ETN   event classifier transformer: every feature is embedded by its own small feed-forward
        network (1 -> d -> d) into a token; a learned class token joins them; pre-norm transformer
        encoder blocks (multi-head self-attention, feed-forward 2d, residuals); the class token's
        final state -> logit.

The float networks are Keras 3 (``keras`` and ``keras.ops`` only: they train on the TensorFlow, JAX
or PyTorch backend, ``fpga_nn.training.backend``); the quantized FNN/DFNN are QKeras 0.9 (tf_keras).
"""

from __future__ import annotations

from typing import NamedTuple

FNN_WIDTHS = (3,)
DFNN_WIDTHS = (3, 9, 3)


def feed_forward(n_inputs: int, widths: tuple[int, ...], name: str):
    import keras

    x_in = keras.Input((n_inputs,), name="features")
    h = x_in
    for k, m in enumerate(widths):
        h = keras.layers.Dense(m * n_inputs, activation="relu", name=f"dense{k}")(h)
    z = keras.layers.Dense(1, name="logit", dtype="float32")(h)
    return keras.Model(x_in, z, name=name)


class QuantSpec(NamedTuple):
    """Fixed-point choices of the firmware FNN/DFNN (quantized_bits with alpha=1: plain fixed point)."""

    weight_bits: int = 8
    weight_integer: int = 1
    hidden_bits: int = 8
    hidden_integer: int = 3
    output_bits: int = 12
    output_integer: int = 5


def quantized_feed_forward(n_inputs: int, widths: tuple[int, ...], name: str, spec: QuantSpec | None = None):
    """QKeras twin of :func:`feed_forward`: the inputs arrive as ``ap_fixed`` standardised features."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    spec = spec or QuantSpec()
    wq = quantized_bits(spec.weight_bits, spec.weight_integer, alpha=1)
    x_in = tf.keras.Input((n_inputs,), name="features")
    h = x_in
    for k, m in enumerate(widths):
        h = QDense(m * n_inputs, kernel_quantizer=wq, bias_quantizer=wq, name=f"dense{k}")(h)
        h = QActivation(quantized_relu(spec.hidden_bits, spec.hidden_integer), name=f"relu{k}")(h)
    z = QDense(1, kernel_quantizer=wq, bias_quantizer=wq, name="logit")(h)
    z = QActivation(quantized_bits(spec.output_bits, spec.output_integer, alpha=1), name="score")(z)
    return tf.keras.Model(x_in, z, name=name)


def etn(n_inputs: int, d_model: int = 32, n_blocks: int = 2, n_heads: int = 4, name: str = "etn"):
    import keras
    from keras import ops

    layers = keras.layers

    class FeatureEmbedding(layers.Layer):
        """Per-feature FFN 1 -> d -> d (separate weights for each feature), plus the class token."""

        def build(self, input_shape):
            init = keras.initializers.GlorotUniform()
            self.w1 = self.add_weight(name="w1", shape=(n_inputs, d_model), initializer=init)
            self.b1 = self.add_weight(name="b1", shape=(n_inputs, d_model), initializer="zeros")
            self.w2 = self.add_weight(name="w2", shape=(n_inputs, d_model, d_model), initializer=init)
            self.b2 = self.add_weight(name="b2", shape=(n_inputs, d_model), initializer="zeros")
            self.cls = self.add_weight(name="class_token", shape=(1, 1, d_model), initializer=init)

        def call(self, x):
            h = ops.relu(x[:, :, None] * self.w1[None] + self.b1[None])  # (B, N, d)
            tokens = ops.einsum("bnd,nde->bne", h, self.w2) + self.b2[None]
            cls = ops.broadcast_to(ops.cast(self.cls, tokens.dtype), (ops.shape(x)[0], 1, d_model))
            return ops.concatenate([cls, tokens], axis=1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], n_inputs + 1, d_model)

    x_in = keras.Input((n_inputs,), name="features")
    t = FeatureEmbedding(name="embedding")(x_in)
    for k in range(n_blocks):
        h = layers.LayerNormalization(epsilon=1e-5, name=f"ln_att{k}")(t)
        h = layers.MultiHeadAttention(n_heads, d_model // n_heads, name=f"attention{k}")(h, h)
        t = layers.Add(name=f"res_att{k}")([t, h])
        h = layers.LayerNormalization(epsilon=1e-5, name=f"ln_ffn{k}")(t)
        h = layers.Dense(2 * d_model, activation="gelu", name=f"ffn{k}_a")(h)
        h = layers.Dense(d_model, name=f"ffn{k}_b")(h)
        t = layers.Add(name=f"res_ffn{k}")([t, h])
    cls = layers.Lambda(lambda v: v[:, 0], output_shape=(d_model,), name="class_state")(t)
    cls = layers.LayerNormalization(epsilon=1e-5, name="ln_out")(cls)
    z = layers.Dense(1, name="logit", dtype="float32")(cls)
    return keras.Model(x_in, z, name=name)
