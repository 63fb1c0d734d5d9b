"""Corpus cases of the refused family (``fpga_nn/layers/refused.py``)."""

from __future__ import annotations

from . import Case, _seq


def cases() -> list[Case]:
    import tensorflow as tf

    L = tf.keras.layers

    return [
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
