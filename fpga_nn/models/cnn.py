"""The compact layered CNN of seed 002 (43,009 parameters on 64x64x1 images) and its QKeras twin.

The float networks (the compact CNN and the ResNet/MobileNetV2/DenseNet/Inception-style references)
are Keras 3 and train on its backend (``KERAS_BACKEND``); the quantized twin is QKeras 0.9 (tf_keras).

Three blocks of Conv2D(10, 3x3, 'same') + MaxPool(2) (+ Dropout in training), Flatten, Dense(64),
Dense(1): 100 + 910 + 910 + 41,024 + 65 = 43,009 parameters. The quantized twin uses 8-bit
weights and ReLUs (``quantized_relu``: exact in firmware) and an 8-bit logit output.
"""

from __future__ import annotations


def _head(x, n_classes: int):
    """One logit ('score') for a binary task; n logits + a separate softmax layer for n > 1 classes."""
    import keras

    if n_classes <= 1:
        return keras.layers.Dense(1, name="score")(x)
    z = keras.layers.Dense(n_classes, name="logits")(x)
    return keras.layers.Activation("softmax", name="softmax")(z)


def compact_cnn(input_shape=(64, 64, 1), dropout: float = 0.25, name: str = "compact_cnn", n_classes: int = 1):
    import keras

    L = keras.layers
    x_in = keras.Input(input_shape, name="inputs")
    x = x_in
    for k in range(3):
        x = L.Conv2D(10, 3, padding="same", activation="relu", name=f"conv{k}")(x)
        x = L.MaxPooling2D(2, name=f"pool{k}")(x)
        x = L.Dropout(dropout, name=f"drop{k}")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(64, activation="relu", name="dense")(x)
    return keras.Model(x_in, _head(x, n_classes), name=name)


def compact_cnn_quantized(input_shape=(64, 64, 1), bits: int = 8, name: str = "compact_cnn_q", n_classes: int = 1):
    """QKeras compact CNN; no Dropout (it is the identity at inference and the firmware has none).
    With ``n_classes`` > 1: logits on ``quantized_bits(bits + 4, 5)``, then a softmax layer."""
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
    if n_classes > 1:
        x = QDense(n_classes, kernel_quantizer=q(), bias_quantizer=q(), name="out")(x)
        x = QActivation(quantized_bits(bits + 4, 5, alpha=1), name="logits")(x)
        return tf.keras.Model(x_in, tf.keras.layers.Activation("softmax", name="softmax")(x), name=name)
    x = QDense(1, kernel_quantizer=q(), bias_quantizer=q(), name="out")(x)
    x = QActivation(quantized_bits(bits, 3, alpha=1), name="score")(x)
    return tf.keras.Model(x_in, x, name=name)


# a network's layout version, part of every stored run's settings: bump it when the layout changes
ARCHITECTURE = {"densenet_style": 2, "inception_style": 2}  # 2: stride-2 stems


def architecture(name: str) -> int:
    return ARCHITECTURE.get(name, 1)


BN_MOMENTUM = 0.9  # Keras's 0.99 (0.999 in MobileNetV2) leaves the inference statistics unsettled after a
# few hundred steps on these sparse images: validation AUC stayed below 0.5 for three epochs


def resnet_style(
    input_shape=(64, 64, 1), widths=(32, 64, 128, 256), blocks: int = 2, name: str = "resnet_style", n_classes: int = 1
):
    """ResNet-18 layout (7x7/2 stem, max pool, four stages of two basic blocks, global average pool),
    widths halved for 64x64 images: about 2.8M parameters, 65x the compact CNN."""
    import functools

    import keras

    L = keras.layers
    bn = functools.partial(L.BatchNormalization, momentum=BN_MOMENTUM)

    def block(x, width, stride, tag):
        shortcut = x
        h = L.Conv2D(width, 3, strides=stride, padding="same", use_bias=False, name=f"{tag}_a")(x)
        h = bn(name=f"{tag}_a_bn")(h)
        h = L.ReLU(name=f"{tag}_a_relu")(h)
        h = L.Conv2D(width, 3, padding="same", use_bias=False, name=f"{tag}_b")(h)
        h = bn(name=f"{tag}_b_bn")(h)
        if stride != 1 or shortcut.shape[-1] != width:
            shortcut = L.Conv2D(width, 1, strides=stride, use_bias=False, name=f"{tag}_proj")(shortcut)
            shortcut = bn(name=f"{tag}_proj_bn")(shortcut)
        return L.ReLU(name=f"{tag}_out")(L.Add(name=f"{tag}_add")([h, shortcut]))

    x_in = keras.Input(input_shape, name="inputs")
    x = L.Conv2D(widths[0], 7, strides=2, padding="same", use_bias=False, name="stem")(x_in)
    x = L.ReLU(name="stem_relu")(bn(name="stem_bn")(x))
    x = L.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for s, width in enumerate(widths):
        for b in range(blocks):
            x = block(x, width, 2 if (b == 0 and s > 0) else 1, f"s{s}b{b}")
    x = L.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(x_in, _head(x, n_classes), name=name)


def mobilenet_style(input_shape=(64, 64, 1), alpha: float = 1.0, name: str = "mobilenetv2_style", n_classes: int = 1):
    """keras.applications.MobileNetV2 (weights=None) on the image, one logit (or a softmax head) out."""
    import keras

    base = keras.applications.MobileNetV2(
        input_shape=input_shape, alpha=alpha, include_top=False, weights=None, pooling="avg"
    )
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    x_in = keras.Input(input_shape, name="inputs")
    return keras.Model(x_in, _head(base(x_in), n_classes), name=name)


def densenet_style(
    input_shape=(32, 32, 3), growth: int = 16, layers=(4, 4, 4), name: str = "densenet_style", n_classes: int = 1
):
    """DenseNet layout (Huang et al.): a 3x3 stem of stride 2 (the original's stem downsamples 4x; a
    full-resolution stem cost 4x the operations), dense blocks of BN-ReLU-Conv(1x1, 4k)-BN-ReLU-
    Conv(3x3, k) layers whose outputs are concatenated, transitions (BN-ReLU-Conv 1x1 halving the
    channels, 2x2 average pool) between blocks, global average pool."""
    import functools

    import keras

    L = keras.layers
    bn = functools.partial(L.BatchNormalization, momentum=BN_MOMENTUM)
    x_in = keras.Input(input_shape, name="inputs")
    x = L.Conv2D(2 * growth, 3, strides=2, padding="same", use_bias=False, name="stem")(x_in)
    for b, n_layers in enumerate(layers):
        for k in range(n_layers):
            h = L.ReLU()(bn(name=f"b{b}l{k}_bn1")(x))
            h = L.Conv2D(4 * growth, 1, use_bias=False, name=f"b{b}l{k}_c1")(h)
            h = L.ReLU()(bn(name=f"b{b}l{k}_bn2")(h))
            h = L.Conv2D(growth, 3, padding="same", use_bias=False, name=f"b{b}l{k}_c3")(h)
            x = L.Concatenate(name=f"b{b}l{k}_cat")([x, h])
        if b < len(layers) - 1:
            x = L.ReLU()(bn(name=f"t{b}_bn")(x))
            x = L.Conv2D(x.shape[-1] // 2, 1, use_bias=False, name=f"t{b}_conv")(x)
            x = L.AveragePooling2D(2, name=f"t{b}_pool")(x)
    x = L.GlobalAveragePooling2D(name="gap")(L.ReLU()(bn(name="final_bn")(x)))
    return keras.Model(x_in, _head(x, n_classes), name=name)


def inception_style(
    input_shape=(32, 32, 3), width: int = 32, modules: int = 3, name: str = "inception_style", n_classes: int = 1
):
    """InceptionV3 ideas at small size: a 3x3 stem of stride 2 (InceptionV3's stem downsamples 8x),
    Inception modules with parallel 1x1, 1x1-3x3,
    1x1-3x3-3x3 (the factorised 5x5) and 3x3-pool-1x1 branches, concatenated, a max pool after every
    module but the last, global average pool."""
    import functools

    import keras

    L = keras.layers
    bn = functools.partial(L.BatchNormalization, momentum=BN_MOMENTUM)

    def conv(x, filters, size, tag, strides=1):
        x = L.Conv2D(filters, size, strides=strides, padding="same", use_bias=False, name=tag)(x)
        return L.ReLU(name=f"{tag}_relu")(bn(name=f"{tag}_bn")(x))

    x_in = keras.Input(input_shape, name="inputs")
    x = conv(x_in, width, 3, "stem", strides=2)
    for m in range(modules):
        w = width * (m + 1)
        a = conv(x, w, 1, f"m{m}_1x1")
        b = conv(conv(x, w, 1, f"m{m}_3x3r"), w, 3, f"m{m}_3x3")
        c = conv(conv(conv(x, w // 2, 1, f"m{m}_5x5r"), w, 3, f"m{m}_5x5a"), w, 3, f"m{m}_5x5b")
        d = conv(L.MaxPooling2D(3, strides=1, padding="same", name=f"m{m}_pool")(x), w // 2, 1, f"m{m}_proj")
        x = L.Concatenate(name=f"m{m}_cat")([a, b, c, d])
        if m < modules - 1:
            x = L.MaxPooling2D(2, name=f"m{m}_down")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(x_in, _head(x, n_classes), name=name)
