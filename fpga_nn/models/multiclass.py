"""Multi-class classifiers for firmware: a float feed-forward reference and its QKeras twin.

Both end in ``Activation("softmax")`` on a separate layer, so the logits exist as a tensor: the
firmware is checked on them bit for bit (the softmax contract), and ``--no-softmax`` builds them alone.
"""

from __future__ import annotations


def feed_forward(n_inputs: int, hidden: tuple[int, ...], n_classes: int, name: str = "fnn"):
    import tensorflow as tf

    x_in = tf.keras.Input((n_inputs,), name="features")
    h = x_in
    for k, width in enumerate(hidden):
        h = tf.keras.layers.Dense(width, activation="relu", name=f"dense{k}")(h)
    z = tf.keras.layers.Dense(n_classes, name="logits")(h)
    return tf.keras.Model(x_in, tf.keras.layers.Activation("softmax", name="softmax")(z), name=name)


def quantized_feed_forward(
    n_inputs: int,
    hidden: tuple[int, ...],
    n_classes: int,
    bits: int = 8,
    name: str = "qfnn",
):
    """Weights and biases ``quantized_bits(bits, 1)``, ReLUs ``quantized_relu(bits, 3)``, logits on
    ``quantized_bits(bits + 4, 5)`` (the table softmax's input), then the softmax."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    wq = quantized_bits(bits, 1, alpha=1)
    x_in = tf.keras.Input((n_inputs,), name="features")
    h = x_in
    for k, width in enumerate(hidden):
        h = QDense(width, kernel_quantizer=wq, bias_quantizer=wq, name=f"dense{k}")(h)
        h = QActivation(quantized_relu(bits, 3), name=f"relu{k}")(h)
    z = QDense(n_classes, kernel_quantizer=wq, bias_quantizer=wq, name="logits")(h)
    z = QActivation(quantized_bits(bits + 4, 5, alpha=1), name="logits_q")(z)
    return tf.keras.Model(x_in, tf.keras.layers.Activation("softmax", name="softmax")(z), name=name)
