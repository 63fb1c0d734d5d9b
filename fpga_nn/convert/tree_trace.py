"""Trace a quantized tree ensemble into alkaid's symbolic fixed-point graph: the same integer trees as the
conifer project and fpga-nn's tree emulator, as alkaid logic (cost estimate, pipelined Verilog).

Every split is a multiplexer on the sign of ``x - (threshold + 1 LSB)`` (negative exactly when
``x <= threshold`` on the input grid, the firmware's test; a split the input range decides is no logic:
alkaid's ``msb_mux`` reads the top bit, not a sign, of a key that is never negative), every leaf a
constant on the score grid; the
trees' outputs are added pairwise (a balanced adder tree, as conifer's) and the base margin last. No sum
can overflow: the score type holds every sum of leaves (``tree_types.quantize`` checks it), and alkaid
sizes each adder from the ranges it proves. The result equals the emulator on every event
(``alkaid`` interpreter, tested); alkaid folds splits a range makes constant and shares equal comparisons.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from .tree_types import QuantizedEnsemble


def _inputs(t: FixedType, n: int):
    from alkaid.trace import FVArray, HWConfig

    k = int(t.signed)
    return FVArray.from_kif(
        np.full(n, k), np.full(n, t.integer - k), np.full(n, t.fractional), hwconf=HWConfig(1, -1, -1)
    )


def trace_ensemble(q: QuantizedEnsemble, source_type: FixedType | None = None):
    """alkaid's ``CombLogic`` of ``q``. With ``source_type``, the logic takes inputs of that type and puts
    them on the ensemble's input grid first (round half to even, saturate: ``tree_types.to_grid``)."""
    from alkaid.trace import FVArray, trace

    t_in = q.types.input
    n = q.ensemble.n_features
    inp = _inputs(source_type or t_in, n)
    x = inp
    if source_type is not None and source_type != t_in:
        k = int(t_in.signed)
        x = x.quantize(k, t_in.integer - k, t_in.fractional, overflow_mode="SAT", round_mode="RND_CONV")
    xs = list(x)
    lsb_in, lsb_score = 2.0**-t_in.fractional, 2.0**-q.types.score.fractional
    outs = []
    for tree, thr, val in zip(q.ensemble.trees, q.thresholds, q.values, strict=True):

        def node(i: int, tree=tree, thr=thr, val=val):
            if tree.left[i] < 0:
                return float(val[i]) * lsb_score
            key = xs[int(tree.feature[i])] - float(thr[i] + 1) * lsb_in  # negative iff x <= threshold
            if key.high < 0:  # every input goes left (a threshold above the input range)
                return node(int(tree.left[i]))
            if key.low >= 0:  # ... right: alkaid's msb_mux of a key that is never negative reads its top bit
                return node(int(tree.right[i]))
            return key.msb_mux(node(int(tree.left[i])), node(int(tree.right[i])))

        outs.append(node(0))
    while len(outs) > 1:  # pairwise: log2(trees) adder levels
        outs = [a + b for a, b in zip(outs[::2], outs[1::2], strict=False)] + ([outs[-1]] if len(outs) % 2 else [])
    total = outs[0] + float(q.base) * lsb_score
    if not hasattr(total, "kif"):
        raise UnsupportedModelError("every tree of the ensemble is a single leaf: a constant has no logic to trace")
    return trace(inp, FVArray(np.array([total]), inp.solver_options, hwconf=inp.hwconf))
