"""Small QKeras models with deterministic random weights, for the bit-exactness tests."""

import numpy as np


def make_model(n_in=5, hidden=(6,), n_out=1, wbits=8, wint=0, relu=(8, 3), out=(8, 3), seed=0, name="m"):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    x_in = tf.keras.Input((n_in,), name="inputs")
    x = x_in
    for i, width in enumerate(hidden):
        x = QDense(
            width,
            kernel_quantizer=quantized_bits(wbits, wint, alpha=1),
            bias_quantizer=quantized_bits(wbits, wint, alpha=1),
            name=f"dense{i}",
        )(x)
        x = QActivation(quantized_relu(*relu), name=f"relu{i}")(x)
    x = QDense(
        n_out,
        kernel_quantizer=quantized_bits(wbits, wint, alpha=1),
        bias_quantizer=quantized_bits(wbits, wint, alpha=1),
        name="dense_out",
    )(x)
    x = QActivation(quantized_bits(out[0], out[1], alpha=1), name="score")(x)
    model = tf.keras.Model(x_in, x, name=name)
    rng = np.random.default_rng(seed)
    span = 2.0**wint
    model.set_weights([rng.uniform(-span, span, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


def signed_inputs(n_events, n_in, seed=0):
    """Values of ap_fixed<10,4>: [-8, 8) in steps of 1/64, wide enough to saturate the activations."""
    rng = np.random.default_rng(seed)
    return (rng.integers(-512, 512, size=(n_events, n_in)) / 64.0).astype(np.float32)
