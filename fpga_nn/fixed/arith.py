"""Vectorised ap_fixed arithmetic on int64 codes: exactly what an assignment ``dst = src`` does in C++.

A value of type ``ap_[u]fixed<W, I, Q, O>`` is held as the integer ``code = value * 2^F`` with
``F = W - I``. :func:`cast` re-quantizes codes with fractional bits ``f_in`` into a type:
first the quantization mode Q decides the dropped bits (TRN, TRN_ZERO, RND, RND_ZERO,
RND_MIN_INF, RND_INF, RND_CONV), then the overflow mode O fits the result into W bits
(WRAP, SAT, SAT_ZERO, SAT_SYM), as the Xilinx ap_fixed headers do.
"""

from __future__ import annotations

import numpy as np

from .types import FixedType

MAX_CODE_BITS = 62
# Integers below 2^bits are exact in these float types, with room for one carry of a rounding step
FLOAT_CODE_BITS = {np.dtype(np.float32): 23, np.dtype(np.float64): 52}


def _bounds(t: FixedType) -> tuple[int, int]:
    if t.signed:
        return -(1 << (t.width - 1)), (1 << (t.width - 1)) - 1
    return 0, (1 << t.width) - 1


def _round_shift(codes: np.ndarray, shift: int, mode: str) -> np.ndarray:
    """Divide by 2^shift (shift > 0) with the ap_fixed quantization mode, branch-free.

    Each mode is ``(codes + offset) >> shift`` (an arithmetic shift floors) with an offset that
    moves exactly the right remainders over the next multiple: e.g. RND_CONV adds half - 1 plus the
    lowest kept bit, so a tie rounds up only from an odd quotient.
    """
    half = 1 << (shift - 1)
    if mode == "TRN":
        return codes >> shift
    if mode == "RND":
        return (codes + half) >> shift
    if mode == "RND_MIN_INF":
        return (codes + (half - 1)) >> shift
    if mode == "RND_CONV":
        return (codes + (half - 1) + ((codes >> shift) & 1)) >> shift
    negative = codes < 0
    if mode == "TRN_ZERO":
        return (codes + negative * ((1 << shift) - 1)) >> shift
    if mode == "RND_INF":
        return (codes + half - negative) >> shift
    if mode == "RND_ZERO":
        return (codes + (half - 1) + negative) >> shift
    raise ValueError(f"unknown quantization mode {mode}")


def _saturated_bounds(t: FixedType) -> tuple[int, int]:
    """The codes a cast into ``t`` can give: ap_fixed's SAT_SYM counts a signed type's most negative code as an
    underflow and gives -max instead (ap_fixed_base.h: ``underflow |= neg_src && low bits == 0``)."""
    lo, hi = _bounds(t)
    return (-hi, hi) if t.overflow == "SAT_SYM" and t.signed else (lo, hi)


def _overflow(codes: np.ndarray, t: FixedType) -> np.ndarray:
    lo, hi = _saturated_bounds(t)
    if codes.size and lo <= codes.min() and codes.max() <= hi:
        return codes  # nothing overflows: every mode is the identity
    mode = t.overflow
    if mode == "WRAP":
        wrapped = codes & ((1 << t.width) - 1)
        return wrapped - (1 << t.width) * (wrapped > hi) if t.signed else wrapped
    if mode in ("SAT", "SAT_SYM"):  # SAT_SYM's symmetric lower bound is in lo
        return np.clip(codes, lo, hi)
    if mode == "SAT_ZERO":
        return np.where((codes < lo) | (codes > hi), 0, codes)
    raise ValueError(f"unknown overflow mode {mode}")


def _round_float(v: np.ndarray, mode: str) -> np.ndarray:
    """The quantization modes on exactly scaled float codes ``v = code / 2^shift``."""
    if mode == "TRN":
        return np.floor(v)
    if mode == "RND":
        return np.floor(v + 0.5)
    if mode == "RND_CONV":
        return np.rint(v)  # IEEE round-half-to-even: ties go to the even quotient
    if mode == "RND_MIN_INF":
        return np.ceil(v - 0.5)
    if mode == "TRN_ZERO":
        return np.trunc(v)
    if mode == "RND_INF":
        return np.where(v < 0, np.ceil(v - 0.5), np.floor(v + 0.5))
    if mode == "RND_ZERO":
        return np.where(v < 0, np.floor(v + 0.5), np.ceil(v - 0.5))
    raise ValueError(f"unknown quantization mode {mode}")


def _overflow_float(v: np.ndarray, t: FixedType) -> np.ndarray:
    lo, hi = _saturated_bounds(t)
    if v.size and lo <= v.min() and v.max() <= hi:
        return v
    if t.overflow == "WRAP":
        return v - float(1 << t.width) * np.floor((v - lo) * 2.0**-t.width)
    if t.overflow in ("SAT", "SAT_SYM"):
        return np.clip(v, lo, hi)
    if t.overflow == "SAT_ZERO":
        return np.where((v < lo) | (v > hi), 0, v)
    raise ValueError(f"unknown overflow mode {t.overflow}")


def cast(codes: np.ndarray, f_in: int, t: FixedType, src: FixedType | None = None) -> np.ndarray:
    """Codes with ``f_in`` fractional bits -> codes of type ``t``.

    ``src``, when given, is the type the codes hold (``f_in`` is then its fractional bits): a cast
    into a type that contains it returns the codes unchanged. Codes may be int64 or, to spare
    conversions of large arrays, float32/float64 holding integers: they stay float (every step is
    exact: power-of-two scaling, floor/rint, clip) when ``src`` bounds them well inside the
    mantissa, move to float64 when only that is wide enough, and to int64 otherwise.
    """
    if t.width > MAX_CODE_BITS:
        raise ValueError(f"{t.to_ap()} is wider than the emulator's {MAX_CODE_BITS}-bit codes")
    shift = f_in - t.fractional
    if src is not None and shift == 0:
        lo, hi = _bounds(src)
        t_lo, t_hi = _saturated_bounds(t)
        if t_lo <= lo and hi <= t_hi:
            return codes
    if isinstance(codes, np.ndarray) and codes.dtype in FLOAT_CODE_BITS and src is not None:
        need = max(src.width + max(0, -shift), t.width)
        if need > FLOAT_CODE_BITS[codes.dtype] and need <= FLOAT_CODE_BITS[np.dtype(np.float64)]:
            codes = codes.astype(np.float64)
        if need <= FLOAT_CODE_BITS[codes.dtype]:
            v = codes * codes.dtype.type(2.0**-shift) if shift else codes
            if shift > 0:
                v = _round_float(v, t.rounding)
            return _overflow_float(v, t)
    codes = np.asarray(codes, dtype=np.int64)
    if shift > 0:
        codes = _round_shift(codes, shift, t.rounding)
    elif shift < 0:
        codes = codes << (-shift)
    return _overflow(codes, t)


def from_float(x: np.ndarray, t: FixedType) -> np.ndarray:
    """C++ ``ap_fixed t = double(x)``: quantize a floating-point value with the type's modes."""
    x = np.asarray(x, dtype=np.float64)
    infinite = np.isinf(x)
    if infinite.any():  # ap_fixed(+-inf) acts as a huge power of two: SAT saturates, WRAP gives 0
        huge = _overflow(np.where(x > 0, 1 << 61, -(1 << 61)).astype(np.int64), t)
        finite = from_float(np.where(infinite, 0.0, x), t)
        return np.where(infinite, huge, finite)
    if np.isnan(x).any():
        raise ValueError("NaN has no fixed-point value: refuse non-finite inputs before casting")
    huge = np.abs(x) >= 2.0 ** (60 - t.fractional)  # codes of 2^60 and beyond (out of range for W <= 58)
    if t.width <= 58 and huge.any():
        # Integers beyond the int64 codes: WRAP keeps the low W bits of the code (fmod is exact in
        # IEEE arithmetic), the saturating modes treat every out-of-range value alike.
        if t.overflow == "WRAP":
            x = np.where(huge, np.fmod(x, 2.0 ** (t.width - t.fractional)), x)
        else:
            x = np.where(huge, np.copysign(2.0 ** (60 - t.fractional), x), x)
    scaled = x * 2.0**t.fractional
    floor = np.floor(scaled)
    if np.array_equal(floor, scaled):  # already on the grid: no rounding to decide
        return _overflow(floor.astype(np.int64), t)
    # Two guard bits say whether the dropped part is zero, below, at or above half an LSB. Compared
    # with floor + 0.5 (exact), not as scaled - floor, which rounds (-0.49999999999999994 + 1 -> 0.5).
    mid = floor + 0.5
    guard = np.select([scaled == floor, scaled < mid, scaled == mid], [0, 1, 2], 3)
    codes = floor.astype(np.int64) * 4 + guard
    return cast(codes, t.fractional + 2, t)


def to_float(codes: np.ndarray, t: FixedType) -> np.ndarray:
    return np.asarray(codes, dtype=np.float64) * 2.0**-t.fractional


def on_grid(x: np.ndarray, t: FixedType) -> np.ndarray:
    """Float values moved onto the grid of ``t`` (round to nearest even, saturate), as float32:
    what a producer upstream of the FPGA sends, so the offline model and the firmware see the same input."""
    rounded = FixedType(t.signed, t.width, t.integer, "RND_CONV", "SAT")
    return to_float(from_float(x, rounded), t).astype(np.float32)
