"""Training losses of seed 004 on logits: binary cross-entropy, the "extreme" loss, and DisCo.

The model outputs a logit ``z``; ``p = sigmoid(z)``. The extreme loss of seed 004,

    E(p, y) = -y [-1/p - ln(1-p) + ln p] - (1-y) [1/(p-1) + ln(1-p) - ln p],

is, written in the logit (ln p = -softplus(-z), ln(1-p) = -softplus(z), 1/p = 1 + e^-z),

    E = y (1 + e^-z - z) + (1-y) (1 + e^z + z),

so a background event with a high score costs e^z rather than BCE's z: a proper scoring rule
(its expectation is smallest at p = P(signal)) that works harder on the high-score background.

DisCo (arXiv:2001.05310) adds ``lambda * dCor^2(m(llg), p)`` over the background events of the
batch: the targets carry the mass in a second column, ``y_true = [label, mass]``.
"""

from __future__ import annotations

LOSSES = ("bce", "extreme")
EXP_CLIP = 30.0  # e^30 ~ 1e13: beyond it the gradient is only numerical trouble


def ops_for(keras_name: str = "keras"):
    """The tensor operations of one Keras: ``keras.ops`` (Keras 3, any backend) or TensorFlow's under the
    same names (tf_keras, whose QKeras models compute in TensorFlow whatever Keras 3's backend is)."""
    if keras_name == "keras":
        import keras

        return keras.ops
    import types

    import tensorflow as tf

    return types.SimpleNamespace(
        abs=tf.abs,
        sum=tf.reduce_sum,
        mean=tf.reduce_mean,
        exp=tf.exp,
        clip=tf.clip_by_value,
        sqrt=tf.sqrt,
        maximum=tf.maximum,
        sigmoid=tf.sigmoid,
        softplus=tf.nn.softplus,
        reshape=tf.reshape,
        cast=tf.cast,
        ones_like=tf.ones_like,
    )


def bce_terms(label, z, ops=None):
    """Binary cross-entropy on the logit, softplus(z) - y z (= -y ln p - (1-y) ln(1-p))."""
    ops = ops or ops_for()
    return ops.softplus(z) - label * z


def extreme_terms(label, z, ops=None):
    ops = ops or ops_for()
    zc = ops.clip(z, -EXP_CLIP, EXP_CLIP)
    return label * (1.0 + ops.exp(-zc) - z) + (1.0 - label) * (1.0 + ops.exp(zc) + z)


def disco(x, y, weight, ops=None):
    """Weighted squared distance correlation of two 1-D tensors (weights >= 0, any normalisation)."""
    ops = ops or ops_for()
    p = weight / ops.maximum(ops.sum(weight), 1e-12)
    a = ops.abs(x[:, None] - x[None, :])
    b = ops.abs(y[:, None] - y[None, :])
    a_row = ops.sum(a * p[None, :], axis=1)
    b_row = ops.sum(b * p[None, :], axis=1)
    a_c = a - a_row[:, None] - a_row[None, :] + ops.sum(p * a_row)
    b_c = b - b_row[:, None] - b_row[None, :] + ops.sum(p * b_row)
    pp = p[:, None] * p[None, :]
    ab = ops.sum(pp * a_c * b_c)
    aa = ops.sum(pp * a_c * a_c)
    bb = ops.sum(pp * b_c * b_c)
    return ab / ops.sqrt(ops.maximum(aa * bb, 1e-20))


def make_loss(kind: str, disco_lambda: float = 0.0, keras_name: str = "keras"):
    """Loss ``f(y_true, z)`` with ``y_true = [label, mass]`` (the mass is used only by DisCo), in the
    operations of ``keras_name`` ("keras": Keras 3 on its backend; "tf_keras": QKeras models)."""
    if kind not in LOSSES:
        raise ValueError(f"unknown loss '{kind}': choose one of {', '.join(LOSSES)}")
    terms = bce_terms if kind == "bce" else extreme_terms
    ops = ops_for(keras_name)

    def loss(y_true, z):
        y_true = ops.cast(y_true, "float32")
        label, mass = y_true[:, 0], y_true[:, 1]
        z = ops.cast(ops.reshape(z, (-1,)), "float32")
        value = ops.mean(terms(label, z, ops))
        if disco_lambda:
            value = value + disco_lambda * disco(mass, ops.sigmoid(z), 1.0 - label, ops)
        return value

    loss.__name__ = f"{kind}{'_disco' if disco_lambda else ''}"
    return loss
