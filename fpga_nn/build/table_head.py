"""The contract of a table head (softmax, sigmoid, tanh as the model's last layer): the logits are bit-exact,
the tables equal the emulator's reproduction of hls4ml's, and what a table cannot make exact is measured and,
for a softmax, gated: how far the outputs are from the float function, and how often the firmware's argmax
names the logits' top class (``--min-argmax-agreement``; its tables can tie near-equal logits, hls4ml #1512).
A softmax below the gate gets a remedy: the cheapest ``--softmax-table-size`` / ``--softmax-table-type`` with
which the emulator's reproduction of hls4ml's tables passes on the same logits (:func:`table_remedy`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..convert.support import table_function
from ..fixed import FixedType
from ..layers.activation import SOFTMAX_TABLE_KEYS
from ..verify import emu_tables
from ..verify.record import RECORD

EXTRA_FRACTION_BITS = (0, 4, 8)  # table types tried: hls4ml's, and 4 or 8 more fraction bits
_TABLE_TYPES = tuple(f"{key}_t" for key in SOFTMAX_TABLE_KEYS)  # what --softmax-table-type sets, record spelling


def table_head_summary(
    head, expected: np.ndarray, csim: np.ndarray, logits: np.ndarray, emulator: dict, options, project: Path
):
    """csim_check.json's ``softmax`` record of a table head (of the project in ``project``)."""
    out = _float_difference(head, expected, csim, emulator)
    if out["function"] == "softmax" and csim.reshape(len(csim), -1).shape[1] > 1:
        out.update(_argmax_gate(logits, csim, options.min_argmax_agreement))
        if out["argmax_vs_logits_percent"] < out["min_argmax_agreement_percent"]:
            out["remedy"] = table_remedy(project, logits, out["min_argmax_agreement_percent"])
    return out


def table_remedy(project: Path, logits: np.ndarray, minimum: float) -> dict:
    """The cheapest softmax tables (entries x bits of the exp and 1/x tables) whose argmax agrees with the
    logits' on at least ``minimum`` percent of events, found by running the emulator's softmax on ``logits``
    with each candidate: table sizes from the project's up to one entry per input step, table types with
    :data:`EXTRA_FRACTION_BITS` more fraction bits. hls4ml's own sizing rules are applied to each candidate
    (its 1/x table has at most 2^min(input, table width) entries; a stable softmax's exp table at most one
    per step of the input's magnitude). ``{"options": [...], "agreement_percent": ...}``, or ``{"options": None,
    "tried": n}`` when none passes (the project's record is read; nothing is written)."""
    record = json.loads((project / RECORD).read_text())
    by_name = {layer["name"]: layer for layer in record["layers"]}
    layer = next(entry for entry in record["layers"] if entry["class"] == "Softmax")
    tx = FixedType.parse(by_name[layer["inputs"][0]]["types"]["result_t"])
    codes = np.round(np.asarray(logits, dtype=np.float64).reshape(len(logits), -1) * 2.0**tx.fractional)
    codes = codes.astype(np.int64)
    top = codes.argmax(1)
    base_t = FixedType.parse(layer["types"]["exp_table_t"])
    size0 = int(layer["attrs"]["inv_table_size"])
    candidates = []
    for extra in EXTRA_FRACTION_BITS:
        t = base_t._replace(width=base_t.width + extra)
        cap = 1 << min(tx.width, t.width)
        size = size0
        while size <= cap:
            n_exp = (
                min(size, 1 << (tx.width - 1)) if tx.signed and layer["attrs"]["implementation"] == "stable" else size
            )
            candidates.append(((n_exp + size) * t.width, size, t, n_exp))
            size *= 2
    for bits, size, t, n_exp in sorted(candidates, key=lambda c: c[0])[1:]:  # [0]: the project's own
        entry = dict(layer, attrs={**layer["attrs"], "exp_table_size": n_exp, "inv_table_size": size},
                     types={**layer["types"], **dict.fromkeys(_TABLE_TYPES, t.to_ap())})  # fmt: skip
        out, _ = emu_tables.softmax(entry, {}, (codes, tx))
        agree = 100.0 * float(np.mean(out.reshape(len(out), -1).argmax(1) == top))
        if agree >= minimum:
            options = [f"--softmax-table-size {size}"] if size != size0 else []
            options += [f"--softmax-table-type '{t.to_ap()}'"] if t != base_t else []
            return {"options": options, "agreement_percent": round(agree, 4), "table_bits": bits}
    return {"options": None, "tried": len(candidates) - 1}


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


def remedy_text(remedy: dict | None) -> str:
    """The fix :func:`table_remedy` found, as the build's error message words it."""
    if not remedy or not remedy.get("options"):
        tried = f" (none of {remedy['tried']} larger tables passes in the emulator)" if remedy else ""
        return f"lower --min-argmax-agreement{tried}"
    return f"rebuild with {' '.join(remedy['options'])} ({remedy['agreement_percent']:.2f} % in the emulator)"
