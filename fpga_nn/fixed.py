"""One value type for a fixed-point format, mapped to ``ap_fixed``/``ap_ufixed`` in one place."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from .errors import UserInputError

_FIXED_RE = re.compile(
    r"\s*(?:ap_)?(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*(?:,\s*(\w+)\s*)?(?:,\s*(\w+)\s*)?(?:,\s*\d+\s*)?>\s*"
)


class FixedType(NamedTuple):
    """``ap_[u]fixed<width, integer, rounding, overflow>``; ``integer`` counts the sign bit when signed."""

    signed: bool
    width: int
    integer: int
    rounding: str = "TRN"
    overflow: str = "WRAP"

    @property
    def fractional(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return 2.0**-self.fractional

    def to_hls(self) -> str:
        """hls4ml's spelling, e.g. ``fixed<8,4,RND_CONV,SAT>`` (hls4ml adds the ``ap_`` itself)."""
        base = "fixed" if self.signed else "ufixed"
        if self.rounding == "TRN" and self.overflow == "WRAP":
            return f"{base}<{self.width},{self.integer}>"
        return f"{base}<{self.width},{self.integer},{self.rounding},{self.overflow}>"

    def to_ap(self) -> str:
        """The C++ type, e.g. ``ap_ufixed<8,0>``."""
        return "ap_" + self.to_hls()

    def representable(self, values: np.ndarray) -> np.ndarray:
        """Mask of values that this type holds exactly (no rounding, no overflow)."""
        v = np.asarray(values, dtype=np.float64)
        scaled = v * 2.0**self.fractional
        lo = -(2.0 ** (self.width - 1)) if self.signed else 0.0
        hi = (2.0 ** (self.width - 1) if self.signed else 2.0**self.width) - 1
        return (scaled == np.round(scaled)) & (scaled >= lo) & (scaled <= hi)

    @classmethod
    def parse(cls, text: str) -> FixedType:
        """Parse ``ap_fixed<16,6>``, ``ufixed<8,0,RND,SAT>`` and the like."""
        m = _FIXED_RE.fullmatch(text)
        if not m:
            raise UserInputError(f"cannot read fixed-point type {text!r}: write it as ap_fixed<W,I> or ap_ufixed<W,I>")
        unsigned, width, integer, rnd, ovf = m.groups()
        def mode(word: str) -> str:
            return word.upper().removeprefix("AP_")

        return cls(not unsigned, int(width), int(integer), mode(rnd or "TRN"), mode(ovf or "WRAP"))

    @classmethod
    def narrowest_for(cls, values: np.ndarray, max_fractional: int = 32) -> FixedType | None:
        """The narrowest type that holds every value exactly, or None if none has <= max_fractional bits."""
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0 or not np.all(np.isfinite(v)):
            return None
        for frac in range(0, max_fractional + 1):
            scaled = v * 2.0**frac
            if np.all(scaled == np.round(scaled)):
                break
        else:
            return None
        ints = np.round(v * 2.0**frac).astype(np.int64) if frac < 62 else None
        signed = bool(np.any(v < 0))
        lo, hi = int(ints.min()), int(ints.max())
        mag_bits = max(int(hi).bit_length(), int(-lo - 1).bit_length() if lo < 0 else 0, 1)
        width = mag_bits + (1 if signed else 0)
        return cls(signed, width, width - frac)
