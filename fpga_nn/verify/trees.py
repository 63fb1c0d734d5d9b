"""The bit-exact emulator of a fixed-point tree ensemble (types and codes: convert/tree_types.py).

Every tree is walked on integer input codes, vectorised over events (one level per step, ``x <= threshold``
goes left), and the leaves' integer score codes are added to the base code: the sum the firmware's adder
tree computes, which never overflows its type (the type was chosen to hold it), so the order of the
additions cannot matter. The C-simulation and the RTL must equal it on every event.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..convert.tree_types import QuantizedEnsemble, input_codes, to_grid
from ..errors import UserInputError
from ..fixed import FixedType
from ..frontends.trees import walk

CODES = "tree_codes.json"  # in a tree project: every integer its firmware holds


def _sum_codes(trees, base: int, codes: np.ndarray) -> np.ndarray:
    """``base`` plus the leaf code each event reaches in every tree of ``trees`` (feature, left, right,
    threshold codes, value codes), on int64 input ``codes`` of shape (events, features)."""
    codes = np.asarray(codes, dtype=np.int64)
    total = np.full(len(codes), base, dtype=np.int64)
    for feature, left, right, thr, val in trees:
        total += val[walk(feature, left, right, codes, lambda v, n, thr=thr: v <= thr[n])]
    return total


def score_codes(q: QuantizedEnsemble, codes: np.ndarray) -> np.ndarray:
    """The firmware's score code of every event (``codes``: int64 input codes, shape (events, features))."""
    trees = [
        (t.feature, t.left, t.right, thr, val)
        for t, thr, val in zip(q.ensemble.trees, q.thresholds, q.values, strict=True)
    ]
    return _sum_codes(trees, q.base, codes)


def emulate(q: QuantizedEnsemble, x_on_grid: np.ndarray) -> np.ndarray:
    """The firmware's scores (float64, exact) for events already on the input grid."""
    return score_codes(q, input_codes(x_on_grid, q.types.input)) * 2.0**-q.types.score.fractional


class TreeEmulator:
    """A tree project's firmware read back from its ``tree_codes.json`` (no model needed): what ``fpga-nn
    emulate`` runs. ``predict`` puts the events on the input grid as the build did, then emulates."""

    def __init__(self, project: str | Path):
        from ..jsonio import read_object

        path = Path(project) / CODES
        data = read_object(path, "rebuild the project with 'fpga-nn build --force'")
        try:
            types = {k: FixedType.parse(data["types"][k]) for k in ("input", "score")}
            self.trees = [
                tuple(np.asarray(t[k], dtype=np.int64) for k in ("feature", "left", "right", "threshold", "value"))
                for t in data["trees"]
            ]
            self.base = int(data["base"])
            self.input_shape = (int(data["n_features"]),)
        except (KeyError, TypeError, ValueError) as exc:
            raise UserInputError(f"{path} is damaged ({type(exc).__name__}: {exc}): rebuild the project") from None
        self.input_type, self.output_type = types["input"], types["score"]

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        codes = input_codes(to_grid(x, self.input_type), self.input_type)
        return (_sum_codes(self.trees, self.base, codes) * 2.0**-self.output_type.fractional).reshape(-1, 1)
