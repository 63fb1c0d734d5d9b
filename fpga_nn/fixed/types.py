"""One value type for a fixed-point format, mapped to ``ap_fixed``/``ap_ufixed`` in one place."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple, get_args

import numpy as np

from ..errors import UserInputError

# The grammar of every type hls4ml writes or reads, with or without the ``ap_`` prefix:
#   [ap_][u]fixed<W, I[, Q[, O[, N]]]>   and   [ap_][u]int<W>
# Q and O may carry an AP_ prefix; N (saturation bits) is accepted only as 0, the one value
# hls4ml writes (a wrap with N > 0 saturates the top N bits, which nothing here models).
_FIXED_RE = re.compile(
    r"\s*(?:ap_)?(?P<u>u?)fixed\s*<\s*(?P<w>\d+)\s*,\s*(?P<i>-?\d+)\s*(?:,\s*(?P<q>\w+)\s*)?"
    r"(?:,\s*(?P<o>\w+)\s*)?(?:,\s*(?P<n>\d+)\s*)?>\s*",
    re.IGNORECASE,
)
_INT_RE = re.compile(r"\s*(?:ap_)?(?P<u>u?)int\s*<\s*(?P<w>\d+)\s*>\s*", re.IGNORECASE)
Rounding = Literal["TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"]
Overflow = Literal["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]
ROUNDING_MODES: tuple[str, ...] = get_args(Rounding)
OVERFLOW_MODES: tuple[str, ...] = get_args(Overflow)
_SPELLING = "ap_fixed<W,I>, ap_ufixed<W,I>, ap_fixed<W,I,RND_CONV,SAT>, ap_int<W> or ap_uint<W>"


class FixedType(NamedTuple):
    """``ap_[u]fixed<width, integer, rounding, overflow>``; ``integer`` counts the sign bit when signed."""

    signed: bool
    width: int
    integer: int
    rounding: Rounding = "TRN"
    overflow: Overflow = "WRAP"

    @property
    def fractional(self) -> int:
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        return 2.0**-self.fractional

    def to_hls(self) -> str:
        """hls4ml's spelling, e.g. ``fixed<8,4,RND_CONV,SAT>`` (hls4ml adds the ``ap_`` itself).

        Integer types stay fixed-point here (``int<4>`` prints as ``fixed<4,4>``): the same value set.
        """
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
        """Read any spelling of the grammar above: ``ap_fixed<16,6>``, ``fixed<8,4,RND_CONV,SAT,0>``, ``int<2>``."""
        text = str(text)
        m = _INT_RE.fullmatch(text)
        if m:
            width = int(m["w"])
            return cls(not m["u"], width, width)
        m = _FIXED_RE.fullmatch(text)
        if not m:
            raise UserInputError(f"cannot read fixed-point type {text!r}: write it as {_SPELLING}")

        def mode(word: str | None, default: str, allowed: tuple[str, ...]) -> str:
            word = (word or default).upper().removeprefix("AP_")
            if word not in allowed:
                raise UserInputError(f"type {text!r}: unknown mode {word}; use one of {', '.join(allowed)}")
            return word

        if m["n"] not in (None, "0"):
            raise UserInputError(f"type {text!r}: saturation bits N={m['n']} are not supported; drop the fifth field")
        width = int(m["w"])
        if width < 1:
            raise UserInputError(f"type {text!r}: the width must be at least 1 bit")
        return cls(
            not m["u"], width, int(m["i"]), mode(m["q"], "TRN", ROUNDING_MODES), mode(m["o"], "WRAP", OVERFLOW_MODES)
        )

    @classmethod
    def from_precision(cls, precision) -> FixedType:
        """An hls4ml precision object (FixedPrecisionType, IntegerPrecisionType, ...) as a FixedType.

        XnorPrecisionType (1-bit binary, 0 meaning -1) and ExponentPrecisionType (power-of-two
        weights) print like integers but mean something else: callers check for them first.
        """
        return cls.parse(str(precision))

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

    @property
    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value of the type."""
        if self.signed:
            return -(2.0 ** (self.integer - 1)), 2.0 ** (self.integer - 1) - self.lsb
        return 0.0, 2.0**self.integer - self.lsb

    @classmethod
    def covering(cls, lo: float, hi: float, fractional: int) -> FixedType:
        """The narrowest type with ``fractional`` bits whose range holds [lo, hi]."""
        signed = lo < 0
        integer = 1 if signed else 0
        while True:
            t = cls(signed, integer + fractional, integer)
            t_lo, t_hi = t.bounds
            if t.width >= 1 and t_lo <= lo and hi <= t_hi:
                return t
            integer += 1
