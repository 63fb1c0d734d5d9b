"""Exact figures of the default test build, recorded per tool version (tests/baselines.json).

Any change in the trained weights, the C-simulation's physics figures, the RTL latency or the Yosys
counts fails here until it is re-recorded on purpose: ``make baselines`` (FPGA_NN_RECORD_BASELINES=1)
writes the record for the installed tools; commit it with a message saying why the figures moved.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

BASELINES = Path(__file__).parent / "baselines.json"
RECORD = os.environ.get("FPGA_NN_RECORD_BASELINES") == "1"


def weights_digest(project: Path) -> str:
    """sha256 of the quantized weights the firmware holds (training reproducibility)."""
    import h5py

    h = hashlib.sha256()
    with h5py.File(project / "model.h5", "r") as f:
        names = []
        f["model_weights"].visit(lambda n: names.append(n) if isinstance(f["model_weights"][n], h5py.Dataset) else None)
        for n in sorted(names):
            h.update(n.encode())
            h.update(np.ascontiguousarray(f["model_weights"][n][...]).tobytes())
    return h.hexdigest()[:16]


def figures(project: Path) -> dict:
    m = json.loads((project / "metrics.json").read_text())
    rtl = json.loads((project / "rtl" / "rtl_check.json").read_text())
    counts = json.loads((project / "rtl" / "yosys_counts.json").read_text())
    return {
        "weights_sha256": weights_digest(project),
        "auc_float": m["float"]["auc"],
        "auc_quantized": m["quantized"]["auc"],
        "auc_csim": m["csim"]["auc"],
        "signal_efficiency_csim": [w["signal_efficiency"] for w in m["csim"]["working_points"]],
        "best_epochs": [m["quantized"]["best_epoch"], m["float"]["best_epoch"]],
        "latency_cycles": rtl["latency_cycles"],
        "stages": rtl["stages"],
        "ii": rtl["initiation_interval"],
        **{k: counts[k] for k in ("lut", "inv", "ff", "dsp", "carry")},
    }


def tool_key() -> dict:
    from fpga_nn.hardware.tools import versions

    return {k: v for k, v in versions().items() if v is not None}


@pytest.mark.slow
@pytest.mark.rtl
def test_default_build_matches_the_recorded_baseline(default_build):
    got, tools = figures(default_build), tool_key()
    records = json.loads(BASELINES.read_text()) if BASELINES.is_file() else []
    record = next((r for r in records if r["tools"] == tools), None)
    if RECORD:
        records = [r for r in records if r["tools"] != tools] + [
            {"build": "tests/conftest.py default_build (8 epochs, patience 3)", "tools": tools, "figures": got}
        ]
        BASELINES.write_text(json.dumps(records, indent=2) + "\n")
        pytest.skip(f"recorded {BASELINES}")
    assert record is not None, (
        f"no baseline recorded for these tools {tools}: run 'make baselines' and commit tests/baselines.json"
    )
    assert got == record["figures"]
