"""Layers outside the verified set, each with the reason the build gives."""

from .base import BOTH, Family, Support

_RNN = (
    "hls4ml computes a recurrent layer's tanh and sigmoid gates from lookup tables inside the recurrence, where "
    "QKeras computes them in float (or, quantized, without tables): the state differs from the first step and the "
    "table errors feed back, so no choice of types makes hls4ml's recurrent layers exact"
)
_NOT_VERIFIED = Support("refused", BOTH, "not in the verified set")
FAMILY = Family(
    name="refused",
    keras={
        "LSTM": Support("refused", BOTH, _RNN),
        "GRU": Support("refused", BOTH, _RNN),
        "SimpleRNN": Support("refused", BOTH, _RNN),
        "QLSTM": Support("refused", BOTH, _RNN),
        "QGRU": Support("refused", BOTH, _RNN),
        "QSimpleRNN": Support("refused", BOTH, _RNN),
        "Lambda": Support("refused", BOTH, "arbitrary Python code has no hardware: write it as Keras layers"),
        "TFOpLambda": Support(
            "refused",
            BOTH,
            "a TensorFlow operation applied to a tensor (x * 2, tf.concat, ...) has no converter: write it as "
            "Keras layers",
        ),
        "Permute": _NOT_VERIFIED,
        "Cropping1D": _NOT_VERIFIED,
        "Cropping2D": _NOT_VERIFIED,
    },
)
