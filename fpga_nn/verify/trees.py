"""The bit-exact emulator of a fixed-point tree ensemble (types and codes: convert/tree_types.py).

Every tree is walked on integer input codes, vectorised over events (one level per step, ``x <= threshold``
goes left), and the leaves' integer score codes are added to the base code: the sum the firmware's adder
tree computes, which never overflows its type (the type was chosen to hold it), so the order of the
additions cannot matter. The C-simulation and the RTL must equal it on every event.
"""

from __future__ import annotations

import numpy as np

from ..convert.tree_types import QuantizedEnsemble, input_codes


def score_codes(q: QuantizedEnsemble, codes: np.ndarray) -> np.ndarray:
    """The firmware's score code of every event (``codes``: int64 input codes, shape (events, features))."""
    codes = np.asarray(codes, dtype=np.int64)
    total = np.full(len(codes), q.base, dtype=np.int64)
    rows = np.arange(len(codes))
    for tree, thr, val in zip(q.ensemble.trees, q.thresholds, q.values, strict=True):
        node = np.zeros(len(codes), dtype=np.int64)
        while True:
            inner = tree.left[node] >= 0
            if not inner.any():
                break
            v = codes[rows, np.where(inner, tree.feature[node], 0)]
            nxt = np.where(v <= thr[node], tree.left[node], tree.right[node])
            node = np.where(inner, nxt, node)
        total += val[node]
    return total


def emulate(q: QuantizedEnsemble, x_on_grid: np.ndarray) -> np.ndarray:
    """The firmware's scores (float64, exact) for events already on the input grid."""
    return score_codes(q, input_codes(x_on_grid, q.types.input)) * 2.0**-q.types.score.fractional
