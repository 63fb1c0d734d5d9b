"""Models written the ways users write them: Sequential and functional, nested, reloaded from
JSON + weights, with the quantizers and heads people bring (after hls4ml's QKeras tests and its
published example models). Each entry says what the tool must do with it: build bit-exact,
build exact up to the softmax, or refuse naming a layer and a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Case(NamedTuple):
    name: str
    make: Callable  # () -> keras model (weights set deterministically)
    shape: tuple
    verdict: str  # "exact" | "softmax" | "refused"
    layer: str | None = None  # the refused layer
    reason: str | None = None  # a phrase of the refusal
    io_type: str = "io_parallel"
    data: str = "wide"  # "wide": ap_fixed<12,5> codes that saturate; "unit": [0, 1) on 10 bits;
    # "near": [-0.5, 0.5) on the same grid (every ternary threshold value occurs)


def _seq(*layers, name):
    import tensorflow as tf

    return tf.keras.Sequential(list(layers), name=name)


def _seeded(model, seed, span=1.0):
    """Deterministic weights; BatchNorm variances kept positive."""
    rng = np.random.default_rng(seed)
    weights = []
    for w, v in zip(model.weights, model.get_weights(), strict=True):
        if "moving_variance" in w.name:
            weights.append(rng.uniform(0.5, 2.0, v.shape).astype(np.float32))
        elif "gamma" in w.name:
            weights.append(rng.uniform(0.5, 1.5, v.shape).astype(np.float32))
        else:
            weights.append(rng.uniform(-span, span, v.shape).astype(np.float32))
    model.set_weights(weights)
    return model


def q(expr: str):
    """A QKeras quantizer from its string, as users write them in layer arguments."""
    from qkeras.quantizers import get_quantizer

    return get_quantizer(expr)


def _qdense(n, bits=6, integer=0, name=None, **kw):
    from qkeras import QDense

    return QDense(
        n,
        kernel_quantizer=q(f"quantized_bits({bits},{integer},alpha=1)"),
        bias_quantizer=q(f"quantized_bits({bits},{integer},alpha=1)"),
        name=name,
        **kw,
    )


def jet_tagger(softmax=True, bits=6):
    """hls4ml's published 16-64-32-32-5 jet tagger, as its tutorial writes it (Sequential)."""
    import tensorflow as tf
    from qkeras import QActivation

    layers = [
        _qdense(64, bits, name="fc1", input_shape=(16,)),
        QActivation(f"quantized_relu({bits})", name="relu1"),
        _qdense(32, bits, name="fc2"),
        QActivation(f"quantized_relu({bits})", name="relu2"),
        _qdense(32, bits, name="fc3"),
        QActivation(f"quantized_relu({bits})", name="relu3"),
        _qdense(5, bits, name="output"),
    ]
    if softmax:
        layers.append(tf.keras.layers.Activation("softmax", name="softmax"))
    return _seeded(_seq(*layers, name="jet_tagger"), 7)


def _single_quantizer(expr):
    from qkeras import QActivation

    return lambda: _seq(QActivation(expr, input_shape=(6,), name="quantizer"), name="single")


def _dense_kernel(kernel, bias="quantized_bits(5,2)", act="quantized_relu(6,2)", bn=False, seed=3):
    def make():
        import tensorflow as tf
        from qkeras import QActivation, QDense

        layers = [QDense(10, input_shape=(8,), kernel_quantizer=q(kernel), bias_quantizer=q(bias), name="dense")]
        if bn:
            layers.append(tf.keras.layers.BatchNormalization(name="bn"))
        layers.append(QActivation(act, name="act"))
        return _seeded(_seq(*layers, name="btnn"), seed)

    return make


def _functional(build, name="functional"):
    def make():
        import tensorflow as tf

        x = tf.keras.Input(build.shape, name="x_in")
        return _seeded(tf.keras.Model(x, build(x), name=name), 11)

    return make


def _skip_add(x):
    import tensorflow as tf
    from qkeras import QActivation

    a = QActivation("quantized_relu(8,3)", name="relu_a")(_qdense(8, 8, 1, name="fc_a")(x))
    b = QActivation("quantized_relu(8,3)", name="relu_b")(_qdense(8, 8, 1, name="fc_b")(a))
    s = tf.keras.layers.Add(name="add")([a, b])
    return QActivation("quantized_bits(10,4,alpha=1)", name="out")(_qdense(3, 8, 1, name="fc_out")(s))


_skip_add.shape = (6,)


def _merge(kind):
    def build(x):
        import tensorflow as tf
        from qkeras import QActivation

        a = QActivation("quantized_relu(6,2)", name="relu_a")(_qdense(4, 6, 1, name="fc_a")(x))
        b = QActivation("quantized_bits(6,2,alpha=1)", name="q_b")(_qdense(4, 6, 1, name="fc_b")(x))
        layer = {"sub": tf.keras.layers.Subtract, "mul": tf.keras.layers.Multiply, "cat": tf.keras.layers.Concatenate}[
            kind
        ](name=kind)
        return layer([a, b])

    build.shape = (6,)
    return build


def _conv2d_stack(pool, extra=None, shape=(8, 8, 1)):
    def build(x):
        from qkeras import QActivation, QConv2D

        h = QConv2D(
            3,
            (3, 3),
            kernel_quantizer=q("quantized_bits(6,0,alpha=1)"),
            bias_quantizer=q("quantized_bits(6,0,alpha=1)"),
            name="conv",
        )(x)
        h = QActivation("quantized_relu(6,2)", name="relu")(h)
        if extra is not None:
            h = extra(h)
        h = pool(h)
        return h

    build.shape = shape
    return build


_DW = {"depthwise_quantizer": "quantized_bits(6,0,alpha=1)", "bias_quantizer": "quantized_bits(6,0,alpha=1)"}


def _on_grid(make, steps):
    """A float model whose weights are multiples of 1/steps (weights a float layer's firmware holds exactly)."""

    def rounded():
        model = make()
        model.set_weights([np.round(w * steps) / steps for w in model.get_weights()])
        return model

    return rounded


def ternary_network():
    """hls4ml's ternary test network: ternary activations around a dense layer with ternary weights."""
    from qkeras import QActivation, QDense

    return _seeded(
        _seq(
            QActivation("ternary()", input_shape=(6,), name="t_in"),
            QDense(8, kernel_quantizer="ternary(alpha=1)", bias_quantizer="quantized_bits(4,2,alpha=1)", name="fc"),
            QActivation("ternary()", name="t_out"),
            name="ternary_net",
        ),
        13,
        span=2.0,
    )


def _img_seq(*layers, name="cnn"):
    return lambda: _seeded(_seq(*layers, name=name), 5)


def reloaded(make):
    """The model saved as JSON + weights and loaded back with model_from_json, as hls4ml's examples ship."""

    def load():
        import tempfile
        from pathlib import Path

        import tensorflow as tf
        from qkeras.utils import _add_supported_quantized_objects

        model = make()
        objects: dict = {}
        _add_supported_quantized_objects(objects)
        with tempfile.TemporaryDirectory() as tmp:
            w = Path(tmp) / "weights.h5"
            model.save_weights(str(w))
            again = tf.keras.models.model_from_json(model.to_json(), custom_objects=objects)
            again.load_weights(str(w))
        return again

    return load


def nested():
    """A Sequential trunk inside a functional model, with a C++ keyword as the input name."""
    import tensorflow as tf
    from qkeras import QActivation

    trunk = _seq(
        _qdense(12, 8, 1, input_shape=(5,), name="t_fc"),
        QActivation("quantized_relu(8,3)", name="t_relu"),
        name="trunk",
    )
    x = tf.keras.Input((5,), name="in")
    y = QActivation("quantized_bits(8,3,alpha=1)", name="score")(_qdense(1, 8, 1, name="head")(trunk(x)))
    return _seeded(tf.keras.Model(x, y, name="nested"), 9)


def _cases() -> list[Case]:
    import tensorflow as tf
    from qkeras import (
        QActivation,
        QConv1D,
        QConv2D,
        QConv2DBatchnorm,
        QDepthwiseConv2D,
        QSeparableConv1D,
        QSeparableConv2D,
    )

    L = tf.keras.layers
    cases = [
        Case("jet_tagger_softmax", jet_tagger, (16,), "softmax"),
        Case("jet_tagger_logits", lambda: jet_tagger(softmax=False), (16,), "exact"),
        Case("jet_tagger_reloaded", reloaded(jet_tagger), (16,), "softmax"),
        Case("nested_sequential_input_named_in", nested, (5,), "exact"),
        Case(
            "dense_sigmoid_head",
            lambda: _seeded(
                _seq(
                    _qdense(6, 8, 1, input_shape=(5,), name="fc"),
                    QActivation("quantized_relu(8,3)", name="r"),
                    _qdense(1, 8, 1, name="o"),
                    L.Activation("sigmoid", name="sig"),
                    name="sig_head",
                ),
                2,
            ),
            (5,),
            "softmax",
        ),
    ]
    for expr in [
        "quantized_bits(8,0)",
        "quantized_bits(8,4)",
        "quantized_bits(4,2)",
        "quantized_bits(4,0)",
        "quantized_bits(10,0)",
        "quantized_bits(6,2,keep_negative=False)",
        "quantized_bits(6,2,symmetric=1)",
        "quantized_relu(4)",
        "quantized_relu(4,2)",
        "quantized_relu(8)",
        "quantized_relu(8,4)",
        "quantized_relu(10)",
        "quantized_relu(10,5)",
    ]:
        cases.append(Case(f"qact_{expr}", _single_quantizer(expr), (6,), "exact"))
    cases += [
        Case(
            "qact_quantized_relu_leaky",
            _single_quantizer("quantized_relu(8,3,negative_slope=0.25)"),
            (6,),
            "refused",
            "quantizer",
            "negative_slope",
        ),
        Case("qact_binary", _single_quantizer("binary()"), (6,), "refused", "quantizer", "0/1 codes"),
        Case("qact_ternary", _single_quantizer("ternary()"), (6,), "exact"),
        Case(
            "qact_quantized_tanh",
            _single_quantizer("quantized_tanh(8)"),
            (6,),
            "refused",
            "quantizer",
            "quantized_tanh",
        ),
        Case(
            "qact_quantized_sigmoid",
            _single_quantizer("quantized_sigmoid(6)"),
            (6,),
            "refused",
            "quantizer",
            "quantized_sigmoid",
        ),
        Case("qact_stochastic", _single_quantizer("stochastic_ternary()"), (6,), "refused", "quantizer", "stochastic"),
        Case("qact_po2", _single_quantizer("quantized_po2(4)"), (6,), "refused", "quantizer", "quantized_po2"),
        Case("kernel_ternary", _dense_kernel("ternary(alpha=1)"), (8,), "exact"),
        Case("kernel_binary", _dense_kernel("binary()"), (8,), "exact"),
        Case(
            "kernel_binary_bn",
            _dense_kernel("binary()", act="quantized_bits(8,3,alpha=1)", bn=True),
            (8,),
            "refused",
            "bn",
            "float scale and shift",
        ),
        Case("kernel_po2", _dense_kernel("quantized_po2(4,1)", bias="quantized_bits(8,3,alpha=1)"), (8,), "exact"),
        Case("kernel_auto_po2", _dense_kernel("quantized_bits(6,0,alpha='auto_po2')"), (8,), "exact"),
        Case(
            "kernel_alpha_auto",
            _dense_kernel("quantized_bits(6,0,alpha='auto')"),
            (8,),
            "refused",
            "dense",
            "alpha='auto'",
        ),
        Case("kernel_stochastic", _dense_kernel("stochastic_binary()"), (8,), "refused", "dense", "stochastic"),
        Case(
            "qdense_activation_kwarg",
            lambda: _seeded(
                _seq(
                    _qdense(10, 4, 0, input_shape=(10,), name="qdense", activation=q("quantized_relu(4,0)")),
                    name="kwarg",
                ),
                4,
            ),
            (10,),
            "exact",
        ),
        Case("skip_add", _functional(_skip_add), (6,), "exact"),
        Case("merge_subtract", _functional(_merge("sub")), (6,), "exact"),
        Case("merge_multiply", _functional(_merge("mul")), (6,), "exact"),
        Case("merge_concatenate", _functional(_merge("cat")), (6,), "exact"),
        Case(
            "float_dense_refused_mid",
            lambda: _seeded(
                _seq(
                    L.Dense(4, input_shape=(5,), name="float_fc"),
                    L.Activation("tanh", name="tanh"),
                    _qdense(1, 8, 1, name="o"),
                    name="mid",
                ),
                1,
            ),
            (5,),
            "refused",
            "tanh",
            "inside the network",
        ),
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
        Case(
            "depth_multiplier_2",
            _img_seq(QDepthwiseConv2D((3, 3), input_shape=(8, 8, 2), name="dw2", depth_multiplier=2, **_DW)),
            (8, 8, 2),
            "refused",
            "dw2",
            "depth_multiplier=2",
            io_type="io_stream",
        ),
        Case("ternary_threshold_on_grid", _single_quantizer("ternary(threshold=0.25)"), (6,), "exact", data="near"),
        Case(
            "ternary_threshold_half",
            _single_quantizer("ternary(threshold=0.5)"),
            (6,),
            "refused",
            "quantizer",
            "threshold=0.5",
        ),
        Case("ternary_network", ternary_network, (6,), "exact"),
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
        Case(
            "lstm_refused",
            lambda: _seq(L.LSTM(4, input_shape=(5, 3), name="lstm"), name="rnn"),
            (5, 3),
            "refused",
            "lstm",
            "LSTM",
        ),
        Case(
            "lambda_refused",
            lambda: _seq(L.Lambda(lambda t: t * 2, input_shape=(4,), name="times2"), name="lam"),
            (4,),
            "refused",
            "times2",
            "Lambda",
        ),
    ]
    return cases


CASES = None


def cases() -> list[Case]:
    global CASES
    if CASES is None:
        CASES = _cases()
    return CASES


def inputs(case: Case, n: int = 1000, seed: int = 0) -> np.ndarray:
    """Inputs on the grid of ap_fixed<12,5> ([-16, 16), 1/128 steps): many values saturate a first quantizer."""
    rng = np.random.default_rng(seed)
    if case.data == "unit":
        return (rng.integers(0, 1024, size=(n, *case.shape)) / 1024.0).astype(np.float32)
    if case.data == "near":
        return (rng.integers(-64, 64, size=(n, *case.shape)) / 128.0).astype(np.float32)
    return (rng.integers(-2048, 2048, size=(n, *case.shape)) / 128.0).astype(np.float32)
