"""The default trigger build against recorded figures, split by what is exact on every machine.

* **Exact** (``exact`` in tests/baselines.json, one record per tool versions): the committed model
  ``tests/data/trigger_net.h5`` (the 5-6-1 trigger network with its declared 8-bit input coding)
  built from the embedded sample's 11,718 test events. Given the weights, the C-simulation, the RTL
  and Yosys are integer computations: the C-simulation's digest, its AUC, the latency, II and the
  LUT/FF/DSP counts must equal the record bit for bit on any x86-64 machine.
* **Within a tolerance** (``training``): training itself. Float training is not bit-reproducible
  across CPUs (AVX-512 against AVX2 reorder the sums), so the short-trained default build's AUCs are
  compared with :data:`AUC_TOLERANCE`; that its firmware equals its own QKeras model on every event
  stays exact.

``make baselines`` (FPGA_NN_RECORD_BASELINES=1) re-records both for the installed tools; commit
tests/baselines.json with a message saying why the figures moved.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest

from .conftest import PART

BASELINES = Path(__file__).parent / "baselines.json"
MODEL = Path(__file__).parent / "data" / "trigger_net.h5"
RECORD = os.environ.get("FPGA_NN_RECORD_BASELINES") == "1"
AUC_TOLERANCE = 0.02  # seed-to-seed and CPU-to-CPU spread of the 8-epoch training is ~0.005


def tool_key() -> dict:
    from fpga_nn.hardware.versions import versions

    return {k: v for k, v in versions().items() if v is not None}


def _records() -> dict:
    return json.loads(BASELINES.read_text()) if BASELINES.is_file() else {"exact": [], "training": None}


def _record(update) -> None:
    records = _records()
    update(records)
    BASELINES.write_text(json.dumps(records, indent=2) + "\n")


def exact_figures(project: Path, labels: np.ndarray) -> dict:
    from fpga_nn.reports.metrics import auc

    check = json.loads((project / "csim_check.json").read_text())
    rtl = json.loads((project / "rtl" / "rtl_check.json").read_text())
    counts = json.loads((project / "rtl" / "yosys_counts.json").read_text())
    csim = np.load(project / "vectors" / "csim.npy")
    return {
        "events": check["events"],
        "mismatches": check["mismatches"],
        "input_stage_mismatches": check["input_stage"]["mismatches"],
        "csim_sha256": hashlib.sha256(np.ascontiguousarray(csim, dtype=np.float64).tobytes()).hexdigest()[:16],
        "auc_csim": auc(labels, csim.ravel()),
        "latency_cycles": rtl["latency_cycles"],
        "stages": rtl["stages"],
        "ii": rtl["initiation_interval"],
        "rtl_mismatches": rtl["mismatches_csim"],
        **{k: counts[k] for k in ("lut", "inv", "ff", "dsp", "carry")},
    }


@pytest.mark.slow
@pytest.mark.rtl
def test_the_committed_trigger_model_builds_to_the_recorded_figures(tmp_path, capsys):
    from fpga_nn.build.trigger import prepare
    from fpga_nn.cli import main
    from fpga_nn.data import dataset, trigger_inputs

    data = dataset.load_default()
    _, y, _, _, te = prepare(data)
    np.save(tmp_path / "raw.npy", trigger_inputs.raw(data.features)[te])
    project = tmp_path / "trigger"
    args = ["build", "--part", PART, "--model", str(MODEL), "--data", str(tmp_path / "raw.npy")]
    assert main([*args, "--name", "trigger", "--output-dir", str(project)]) == 0, capsys.readouterr().err
    got, tools = exact_figures(project, y[te]), tool_key()
    if RECORD:
        entry = {"build": "tests/data/trigger_net.h5 on the embedded sample's test split", "tools": tools}

        def put(r):
            r["exact"] = [e for e in r["exact"] if e["tools"] != tools] + [{**entry, "figures": got}]

        _record(put)
        pytest.skip(f"recorded {BASELINES}")
    record = next((r for r in _records()["exact"] if r["tools"] == tools), None)
    assert record is not None, f"no exact baseline for these tools {tools}: run 'make baselines' and commit it"
    assert got == record["figures"]


def training_figures(project: Path) -> dict:
    m = json.loads((project / "metrics.json").read_text())
    check = json.loads((project / "csim_check.json").read_text())
    return {
        "auc_float": m["float"]["auc"],
        "auc_quantized": m["quantized"]["auc"],
        "auc_csim": m["csim"]["auc"],
        "mismatches": check["mismatches"],
        "events": check["events"],
    }


@pytest.mark.slow
def test_training_lands_within_the_tolerance_and_its_firmware_is_exact(default_build):
    got = training_figures(default_build)
    if RECORD:

        def put(r):
            r["training"] = {"build": "tests/conftest.py default_build (8 epochs, patience 3)", "figures": got}

        _record(put)
        pytest.skip(f"recorded {BASELINES}")
    want = _records()["training"]["figures"]
    assert got["mismatches"] == 0 and got["events"] == want["events"]
    assert got["auc_csim"] == got["auc_quantized"]  # the same weights: exact on any machine
    for key in ("auc_float", "auc_quantized"):
        assert abs(got[key] - want[key]) <= AUC_TOLERANCE, (key, got[key], want[key])
