"""The contract of a table head (softmax, sigmoid, tanh as the model's last layer): the logits are bit-exact,
the tables equal the emulator's reproduction of hls4ml's, and what a table cannot make exact is measured and,
for a softmax, gated: how far the outputs are from the float function, and how often the firmware's argmax
names the logits' top class (``--min-argmax-agreement``; its tables can tie near-equal logits, hls4ml #1512)."""

from __future__ import annotations

import numpy as np

from ..convert.support import table_function


def table_head_summary(head, expected: np.ndarray, csim: np.ndarray, logits: np.ndarray, emulator: dict, options):
    """csim_check.json's ``softmax`` record of a table head."""
    out = _float_difference(head, expected, csim, emulator)
    if out["function"] == "softmax" and csim.reshape(len(csim), -1).shape[1] > 1:
        out.update(_argmax_gate(logits, csim, options.min_argmax_agreement))
    return out


def _float_difference(head, expected: np.ndarray, csim: np.ndarray, emulator: dict) -> dict:
    """How far the firmware's table activation is from the float function, and whether the emulator
    reproduces the tables exactly (the part of the contract that is bit-exact)."""
    exp = np.asarray(expected, dtype=np.float64).reshape(len(expected), -1)
    got = np.asarray(csim, dtype=np.float64).reshape(len(csim), -1)
    diff = np.abs(exp - got)
    out = {
        "layer": head.name,
        "function": table_function(head),
        "max_abs_diff_vs_float": float(diff.max()),
        "mean_abs_diff_vs_float": float(diff.mean()),
        "emulator_mismatches": emulator.get("mismatches_vs_csim") if emulator.get("available") else None,
    }
    if exp.shape[1] > 1:
        out["argmax_agreement_percent"] = round(100.0 * float(np.mean(exp.argmax(1) == got.argmax(1))), 4)
    return out


def _argmax_gate(logits: np.ndarray, out: np.ndarray, minimum: float) -> dict:
    """How often the firmware softmax's argmax names the logits' top class (the decision a trigger takes), and
    how often its table outputs tie at the top (the argmax then takes the first of them, cf. hls4ml #1512)."""
    lg = np.asarray(logits, dtype=np.float64).reshape(len(logits), -1)
    sm = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    ties = int(np.sum(np.sum(sm == sm.max(axis=1, keepdims=True), axis=1) > 1))
    agree = 100.0 * float(np.mean(sm.argmax(1) == lg.argmax(1))) if len(lg) else 100.0
    return {"argmax_vs_logits_percent": round(agree, 4), "tied_events": ties, "min_argmax_agreement_percent": minimum}
