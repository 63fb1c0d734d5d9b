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


def _split(y_true):
    import tensorflow as tf

    y_true = tf.cast(y_true, tf.float32)
    return y_true[:, 0], y_true[:, 1]


def bce_terms(label, z):
    import tensorflow as tf

    return tf.nn.sigmoid_cross_entropy_with_logits(labels=label, logits=z)


def extreme_terms(label, z):
    import tensorflow as tf

    zc = tf.clip_by_value(z, -EXP_CLIP, EXP_CLIP)
    return label * (1.0 + tf.exp(-zc) - z) + (1.0 - label) * (1.0 + tf.exp(zc) + z)


def disco(x, y, weight):
    """Weighted squared distance correlation of two 1-D tensors (weights >= 0, any normalisation)."""
    import tensorflow as tf

    p = weight / tf.maximum(tf.reduce_sum(weight), 1e-12)
    a = tf.abs(x[:, None] - x[None, :])
    b = tf.abs(y[:, None] - y[None, :])
    a_row = tf.reduce_sum(a * p[None, :], axis=1)
    b_row = tf.reduce_sum(b * p[None, :], axis=1)
    a_c = a - a_row[:, None] - a_row[None, :] + tf.reduce_sum(p * a_row)
    b_c = b - b_row[:, None] - b_row[None, :] + tf.reduce_sum(p * b_row)
    pp = p[:, None] * p[None, :]
    ab = tf.reduce_sum(pp * a_c * b_c)
    aa = tf.reduce_sum(pp * a_c * a_c)
    bb = tf.reduce_sum(pp * b_c * b_c)
    return ab / tf.sqrt(tf.maximum(aa * bb, 1e-20))


def make_loss(kind: str, disco_lambda: float = 0.0):
    """Keras loss ``f(y_true, z)`` with ``y_true = [label, mass]`` (the mass is used only by DisCo)."""
    import tensorflow as tf

    if kind not in LOSSES:
        raise ValueError(f"unknown loss '{kind}': choose one of {', '.join(LOSSES)}")
    terms = bce_terms if kind == "bce" else extreme_terms

    def loss(y_true, z):
        label, mass = _split(y_true)
        z = tf.cast(tf.reshape(z, [-1]), tf.float32)
        value = tf.reduce_mean(terms(label, z))
        if disco_lambda:
            value = value + disco_lambda * disco(mass, tf.sigmoid(z), 1.0 - label)
        return value

    loss.__name__ = f"{kind}{'_disco' if disco_lambda else ''}"
    return loss
