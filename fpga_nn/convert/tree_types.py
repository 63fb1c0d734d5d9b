"""Fixed-point tree ensembles: the types and the exact codes the firmware holds (the emulator: verify/trees.py).

The firmware of a tree ensemble compares input codes with threshold codes and adds leaf-value codes, so
its arithmetic is chosen here once and written into every backend as exact grid values:

* **input** ``ap_fixed<W,I>``: the data's largest magnitude sets I (``--input-precision`` gives it); the
  events are put on its grid (round to nearest, saturate) before the firmware, the emulator and the
  float model see them, as for networks.
* **threshold**: the input type with one more integer bit. For an input code ``c`` (value ``c 2^-F``)
  the library's decision ``x < t`` (XGBoost) is ``c <= ceil(t 2^F) - 1`` and ``x <= t`` (scikit-learn)
  is ``c <= floor(t 2^F)``: every threshold becomes that integer, clipped to one below the smallest
  input code and the largest, and the firmware compares ``x <= threshold``. On the input grid the
  firmware then takes exactly the float model's branch at every node.
* **score** ``ap_fixed<Ws,Is>``: leaf values and the base margin rounded to nearest (even) on ``Fs``
  fraction bits, ``Fs = ceil(log2(trees)) + 10`` by default (the rounding of all trees together stays
  below 2^-11 of a margin unit); ``Is`` holds the largest sum any path can reach, so no addition ever
  overflows and the order of the firmware's adder tree cannot matter.

The emulator (:mod:`fpga_nn.verify.trees`) walks every tree on these integer codes: the C-simulation
and the RTL must equal it on every event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import UserInputError
from ..fixed import FixedType
from ..fixed.arith import from_float, on_grid
from ..frontends.trees import Ensemble

DEFAULT_INPUT_WIDTH = 16
SCORE_GUARD_BITS = 10  # Fs = ceil(log2(trees)) + this
MAX_SCORE_WIDTH = 62  # the emulator's int64 codes


@dataclass(frozen=True)
class TreeTypes:
    input: FixedType
    threshold: FixedType
    score: FixedType

    def as_dict(self) -> dict:
        return {"input": self.input.to_ap(), "threshold": self.threshold.to_ap(), "score": self.score.to_ap()}


@dataclass(frozen=True)
class QuantizedEnsemble:
    ensemble: Ensemble
    types: TreeTypes
    thresholds: tuple[np.ndarray, ...]  # int64 codes on the input grid (go left when x <= code)
    values: tuple[np.ndarray, ...]  # int64 codes on the score grid (0 at split nodes)
    base: int  # the base margin's code

    @property
    def score_bound(self) -> int:
        """The largest |sum of codes| any set of leaves can reach."""
        return _bound(self.values, self.base)


def input_type_for(x: np.ndarray, width: int = DEFAULT_INPUT_WIDTH) -> FixedType:
    """A signed ``width``-bit type whose integer bits hold the data's largest magnitude."""
    peak = float(np.max(np.abs(x))) if np.size(x) else 1.0
    if not math.isfinite(peak):
        raise UserInputError("--data holds NaN or infinite values: trees are built on finite inputs")
    integer = max(1, math.floor(math.log2(peak)) + 2) if peak > 0 else 1  # sign + magnitude
    if integer >= width:
        raise UserInputError(
            f"the data reach {peak:.4g}: more than a {width}-bit input type holds; give --input-precision"
        )
    return FixedType(True, width, integer)


def _threshold_codes(ens: Ensemble, t: FixedType) -> list[np.ndarray]:
    lo, hi = -(2 ** (t.width - 1)), 2 ** (t.width - 1) - 1
    out = []
    for tree in ens.trees:
        scaled = tree.threshold * 2.0**t.fractional  # exact: a power-of-two scale of a float
        codes = np.ceil(scaled) - 1 if ens.convention == "<" else np.floor(scaled)
        codes = np.clip(codes, lo - 1, hi)
        out.append(np.where(tree.left >= 0, codes, 0).astype(np.int64))
    return out


def choose_types(
    ens: Ensemble,
    x: np.ndarray,
    input_type: FixedType | None = None,
    score_type: FixedType | None = None,
    score_fraction: int | None = None,
) -> TreeTypes:
    """The input, threshold and score types (module docstring); given types are checked, not changed.
    ``score_fraction`` (without ``score_type``): the score's fraction bits, its integer bits chosen."""
    if input_type is None:
        input_type = input_type_for(x)
    if not input_type.signed:
        input_type = FixedType(True, input_type.width + 1, input_type.integer + 1)  # a sign bit for the compare
    for name, t in (("input", input_type), ("score", score_type)):
        if t is not None and t.fractional < 0:
            raise UserInputError(f"the {name} type {t.to_ap()} has negative fraction bits: give F >= 0")
    threshold = FixedType(True, input_type.width + 1, input_type.integer + 1)
    if score_fraction is not None and score_type is None:
        frac = int(score_fraction)
    else:
        frac = score_type.fractional if score_type else math.ceil(math.log2(max(len(ens.trees), 1))) + SCORE_GUARD_BITS
    bound = _bound(*_score_codes(ens, frac))
    need = max(2, math.ceil(math.log2(bound + 1)) + 1 - frac) if bound else 2  # signed; holds 1.0 (conifer's norm)
    if score_type is None:
        score_type = FixedType(True, need + frac, need)
    elif score_type.integer < need or not score_type.signed:
        raise UserInputError(
            f"the score type {score_type.to_ap()} cannot hold the ensemble's sums (up to {bound * 2.0**-frac:.4g}): "
            f"give ap_fixed<{need + frac},{need}> or more integer bits"
        )
    if score_type.width > MAX_SCORE_WIDTH:
        raise UserInputError(
            f"the score type {score_type.to_ap()} is wider than {MAX_SCORE_WIDTH} bits: fewer fraction bits"
        )
    return TreeTypes(
        FixedType(True, input_type.width, input_type.integer),
        threshold,
        FixedType(True, score_type.width, score_type.integer),
    )


def _score_codes(ens: Ensemble, frac: int) -> tuple[tuple[np.ndarray, ...], int]:
    """Leaf values (0 at split nodes) and the base margin rounded to nearest even on ``frac`` fraction bits."""
    values = tuple(np.where(t.left < 0, np.rint(t.value * 2.0**frac), 0).astype(np.int64) for t in ens.trees)
    return values, round(ens.base * 2.0**frac)


def _bound(values: tuple[np.ndarray, ...], base: int) -> int:
    """The largest |sum of codes| any set of leaves can reach."""
    return abs(base) + int(sum(int(np.abs(v).max()) for v in values))


def quantize(ens: Ensemble, types: TreeTypes) -> QuantizedEnsemble:
    values, base = _score_codes(ens, types.score.fractional)
    q = QuantizedEnsemble(ens, types, tuple(_threshold_codes(ens, types.input)), values, base)
    if q.score_bound > 2 ** (types.score.width - 1) - 1:
        raise UserInputError(f"the score type {types.score.to_ap()} cannot hold the ensemble's sums")
    return q


def input_codes(x: np.ndarray, t: FixedType) -> np.ndarray:
    """``x`` (already on the grid of ``t``) as int64 codes."""
    return from_float(np.asarray(x, dtype=np.float64), t).astype(np.int64)


def to_grid(x: np.ndarray, t: FixedType) -> np.ndarray:
    """The events on the input grid (round to nearest even, saturate), as float64: what every model sees."""
    return on_grid(np.asarray(x, dtype=np.float64), t).astype(np.float64)
