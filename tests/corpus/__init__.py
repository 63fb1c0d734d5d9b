"""The corpus: models written the ways users write them (Sequential and functional, nested, reloaded from
JSON + weights, with the quantizers and heads people bring; after hls4ml's QKeras tests and its published
example models), one module per layer family of ``fpga_nn/layers/`` beside which its cases live. Each
entry says what the tool must do with it: build bit-exact, build exact up to the softmax, or refuse
naming a layer and a reason. This module holds the helpers the family modules share.
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
    data: str = "wide"  # "wide": ap_fixed<12,5> codes that saturate; "unit": [0, 1) on 10 bits; "codes:V": 0..V-1;
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


# the corpus modules, one per layer family, in the registry's order (tests/test_layers.py checks the names)
FAMILIES = (
    "dense", "embedding", "conv", "depthwise", "pooling", "merge", "shape", "activation", "normalization", "refused",
)  # fmt: skip
CASES = None


def cases() -> list[Case]:
    global CASES
    if CASES is None:
        import importlib

        CASES = [c for f in FAMILIES for c in importlib.import_module(f"{__name__}.{f}").cases()]
    return CASES


def inputs(case: Case, n: int = 1000, seed: int = 0) -> np.ndarray:
    """Inputs on the grid of ap_fixed<12,5> ([-16, 16), 1/128 steps): many values saturate a first quantizer."""
    rng = np.random.default_rng(seed)
    if case.data.startswith("codes"):  # "codes:V": integer codes 0 .. V-1 (embedding inputs)
        return rng.integers(0, int(case.data.split(":")[1]), size=(n, *case.shape)).astype(np.float32)
    if case.data == "unit":
        return (rng.integers(0, 1024, size=(n, *case.shape)) / 1024.0).astype(np.float32)
    if case.data == "near":
        return (rng.integers(-64, 64, size=(n, *case.shape)) / 128.0).astype(np.float32)
    return (rng.integers(-2048, 2048, size=(n, *case.shape)) / 128.0).astype(np.float32)


def input_type(case: Case):
    """The input type a case is built with: ap_uint<8> for integer codes, else ap_fixed<12,5>."""
    from fpga_nn.fixed import FixedType

    return FixedType(False, 8, 8) if case.data.startswith("codes") else FixedType(True, 12, 5)
