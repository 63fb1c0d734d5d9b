"""The two hls4ml weight and variable kinds that are not fixed-point numbers, in one place: power-of-two weights
(``ExponentPrecisionType``: the type is the exponent's) and 1-bit binary codes (``XnorPrecisionType``: 0 stands
for -1). The hls4ml configuration, the threshold solver, the reference rule and the emulation record ask here."""

from __future__ import annotations

from ..fixed import FixedType


def power_of_two(precision) -> bool:
    """Whether an hls4ml weight type is QKeras's power-of-two (``quantized_po2``) kind: its text reads ``int<E>``,
    the exponent's type, not the weights' (``FixedType.from_precision`` must not be given it)."""
    from hls4ml.model.types import ExponentPrecisionType

    return isinstance(precision, ExponentPrecisionType)


def xnor(precision) -> bool:
    """Whether an hls4ml type holds 1-bit binary codes (1 for +1, 0 for -1)."""
    from hls4ml.model.types import XnorPrecisionType

    return isinstance(precision, XnorPrecisionType)


def values(data, precision):
    """Weight data as the values they stand for (float64): 1-bit codes (stored 0/1 or -1/+1) as -1/+1."""
    import numpy as np

    data = np.asarray(data, np.float64)
    return np.where(data > 0, 1.0, -1.0) if xnor(precision) else data


def value_type(precision) -> FixedType:
    """The type of the values a variable holds: ±1 in int<2> for 1-bit binary codes."""
    return FixedType(True, 2, 2) if xnor(precision) else FixedType.from_precision(precision)
