"""Corpus cases of the normalization family (``fpga_nn/layers/normalization.py``): a batch normalization of
its own is refused; between a Dense/Conv and a binary or ternary activation it ends in the activation's
threshold (``fpga_nn/convert/thresholds.py``). The binary and ternary networks are written as hls4ml's
QKeras tests and BNNs write them: binary/ternary kernels (alpha=1 and alpha='auto'), a batch
normalization per layer with scales of both signs, the activation as a string or a quantizer object,
max pooling on the binary codes, a quantized_bits output layer; reloaded from JSON + weights (but for the
quantizer objects, which QKeras cannot read back from JSON)."""

from __future__ import annotations

import numpy as np

from . import Case, _dense_kernel, _seq, reloaded


def _signed_bn(model, seed):
    """Deterministic weights with batch-norm scales of both signs (a trained BNN has them)."""
    rng = np.random.default_rng(seed)
    weights = []
    for w, v in zip(model.weights, model.get_weights(), strict=True):
        if "moving_variance" in w.name:
            weights.append(rng.uniform(0.5, 2.0, v.shape))
        elif "gamma" in w.name:
            weights.append(rng.uniform(0.5, 1.5, v.shape) * np.where(np.arange(v.size) % 3 == 1, -1, 1))
        elif "moving_mean" in w.name or "beta" in w.name:
            weights.append(rng.normal(0, 1.0, v.shape))
        else:
            weights.append(rng.uniform(-1, 1, v.shape))
    model.set_weights([np.asarray(w, np.float32) for w in weights])
    return model


def _binary_layers(widths: tuple[int, ...]) -> list:
    """16 quantized inputs, then per width a binary Dense, a batch norm and binary_tanh (strings, as BNNs write)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    layers = [QActivation("quantized_bits(8,3,alpha=1)", input_shape=(16,), name="in_q")]
    for i, n in enumerate(widths):
        layers += [
            QDense(n, kernel_quantizer="binary(alpha=1)", bias_quantizer="quantized_bits(6,2,alpha=1)", name=f"fc{i}"),
            tf.keras.layers.BatchNormalization(name=f"bn{i}"),
            QActivation("binary_tanh", name=f"act{i}"),
        ]
    return layers


def binary_mlp():
    """16 -> 24 -> 12 -> 5: binary kernels, batch norms, binary_tanh activations (strings)."""
    from qkeras import QDense

    layers = _binary_layers((24, 12))
    bits = "quantized_bits(6,0,alpha=1)"
    layers.append(QDense(5, kernel_quantizer=bits, bias_quantizer="quantized_bits(6,2,alpha=1)", name="out"))
    return _signed_bn(_seq(*layers, name="bnn"), 21)


def ternary_auto():
    """hls4ml's btnn tests, two deep: ternary(alpha='auto') kernels, batch norms, ternary(threshold=0.3) then
    binary() activations (quantizer objects)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, binary, quantized_bits, ternary

    return _signed_bn(
        _seq(
            QDense(10, input_shape=(10,), kernel_quantizer=ternary(alpha="auto"), bias_quantizer=quantized_bits(5, 2),
                   name="fc0"),
            tf.keras.layers.BatchNormalization(name="bn0"),
            QActivation(ternary(threshold=0.3), name="act0"),
            QDense(6, kernel_quantizer=ternary(alpha="auto"), bias_quantizer=quantized_bits(5, 2), name="fc1"),
            tf.keras.layers.BatchNormalization(name="bn1"),
            QActivation(binary(), name="act1"),
            name="tnn",
        ),
        23,
    )  # fmt: skip


def conv_bnn():
    """8x8 images: a ternary(alpha='auto') QConv2D, batch norm, binary_tanh, max pooling of the binary codes,
    then a binary Dense, batch norm, binary_tanh and a quantized_bits output."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense

    L = tf.keras.layers
    return _signed_bn(
        _seq(
            QConv2D(4, (3, 3), input_shape=(8, 8, 1), kernel_quantizer="ternary(alpha='auto')",
                    bias_quantizer="quantized_bits(6,2,alpha=1)", name="conv"),
            L.BatchNormalization(name="bn0"),
            QActivation("binary_tanh", name="act0"),
            L.MaxPooling2D(name="pool"),
            L.Flatten(name="flat"),
            QDense(8, kernel_quantizer="binary(alpha=1)", bias_quantizer="quantized_bits(6,2,alpha=1)", name="fc"),
            L.BatchNormalization(name="bn1"),
            QActivation("binary_tanh", name="act1"),
            QDense(3, kernel_quantizer="quantized_bits(6,0,alpha=1)", bias_quantizer="quantized_bits(6,2,alpha=1)",
                   name="out"),
            name="conv_bnn",
        ),
        25,
    )  # fmt: skip


def trained_bnn():
    """16 -> 16 -> 8 -> 1, binary kernels, batch norms and binary_tanh, trained (3 epochs, Adam) on a toy
    task, the sign of a fixed mix of the inputs: batch-norm statistics and binary kernels as training leaves
    them. Float training differs between CPUs; the case checks the firmware against this model, whatever its
    weights came out as."""
    import tensorflow as tf
    from qkeras import QDense

    tf.keras.utils.set_random_seed(31)
    layers = _binary_layers((16, 8))
    layers.append(QDense(1, kernel_quantizer="quantized_bits(8,2,alpha=1)", name="out"))
    model = _seq(*layers, name="bnn_trained")
    rng = np.random.default_rng(31)
    x = np.round(rng.normal(0, 4, (4096, 16)) * 16) / 16
    y = (x @ rng.normal(0, 1, 16) > 0).astype(np.float32)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss=tf.keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(x.astype(np.float32), y, epochs=3, batch_size=128, verbose=0)
    return model


def cases() -> list[Case]:
    return [
        Case(
            "kernel_binary_bn",
            _dense_kernel("binary()", act="quantized_bits(8,3,alpha=1)", bn=True),
            (8,),
            "refused",
            "bn",
            "float scale and shift",
        ),
        Case("bnn_binary_mlp", reloaded(binary_mlp), (16,), "exact"),
        Case("bnn_ternary_auto", ternary_auto, (10,), "exact"),  # quantizer objects: QKeras cannot reload it
        Case("bnn_conv", reloaded(conv_bnn), (8, 8, 1), "exact"),
        Case("bnn_trained", reloaded(trained_bnn), (16,), "exact"),
    ]
