"""Fixed-point types and arithmetic: one home for what hls4ml's ap_fixed values are and do.

:mod:`.types` reads and prints every spelling of a type (``FixedType``); :mod:`.arith` holds the
vectorised ap_fixed arithmetic on integer codes (casts with every rounding and overflow mode,
float -> code exactly as the Xilinx headers convert).
"""

from .types import FixedType

__all__ = ["FixedType"]
