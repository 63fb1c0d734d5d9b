"""Bit-exact comparison of firmware and offline outputs, counted in LSBs of the output type."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..fixed import FixedType
from ..jsonio import write_json

MAX_LISTED = 10


def to_codes(values: np.ndarray, out_type: FixedType) -> np.ndarray:
    """Integer codes value / LSB; raises if a value is not on the type's grid (never silently rounds)."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**out_type.fractional
    codes = np.round(scaled)
    off_grid = scaled != codes
    if np.any(off_grid):
        i = int(np.flatnonzero(off_grid.ravel())[0])
        raise ValueError(
            f"value {scaled.ravel()[i] / 2.0**out_type.fractional!r} is not a multiple of the LSB "
            f"{out_type.lsb} of {out_type.to_ap()}"
        )
    return codes.astype(np.int64)


def compare(expected: np.ndarray, firmware: np.ndarray, out_type: FixedType) -> dict:
    """Summary of the event-by-event comparison, as written to ``csim_check.json``."""
    exp = np.asarray(expected, dtype=np.float64).reshape(len(expected), -1)
    got = np.asarray(firmware, dtype=np.float64).reshape(len(firmware), -1)
    if exp.shape != got.shape:
        raise ValueError(f"shape mismatch: offline {exp.shape} vs firmware {got.shape}")
    # Offline values off the output grid are themselves a mismatch; compare in LSB units exactly.
    diff_lsb = np.abs(exp - got) * 2.0**out_type.fractional
    bad_event = np.any(exp != got, axis=1)
    idx = np.flatnonzero(bad_event)
    return {
        "events": int(len(exp)),
        "outputs_per_event": int(exp.shape[1]),
        "mismatches": int(bad_event.sum()),
        "max_abs_diff_lsb": float(diff_lsb.max()) if diff_lsb.size else 0.0,
        "output_type": out_type.to_ap(),
        "first_mismatches": [
            {"event": int(i), "offline": exp[i].tolist(), "csim": got[i].tolist(), "diff_lsb": diff_lsb[i].tolist()}
            for i in idx[:MAX_LISTED]
        ],
    }


def write_check(summary: dict, path: str | Path) -> None:
    write_json(Path(path), summary, indent=2)
