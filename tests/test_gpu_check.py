"""benchmarks/gpu_check.py: the GPU machine's run, tried on this CPU where TensorFlow cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def test_prepared_inputs_train_the_float_rows_without_tensorflow(tmp_path, monkeypatch, shared_cache):
    env = {**__import__("os").environ, "FPGA_NN_CACHE": str(shared_cache)}
    inputs = tmp_path / "gpu_inputs"
    prep = subprocess.run(
        [sys.executable, str(SCRIPT), "prepare", "--quick", "--no-wheels", "--out", str(inputs)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert prep.returncode == 0, prep.stderr[-2000:]
    with np.load(inputs / "inputs.npz") as data:
        n = {s: len(data[f"y_{s}"]) for s in ("train", "val", "test")}
        assert data["x_train"].dtype == np.float32 and data["x_train"].shape[1] == 15
    info = json.loads((inputs / "info.json").read_text())
    assert info["quick"] is True and n == {s: info["dataset"]["n_events"][s] for s in n}
    out = tmp_path / "gpu_check.json"

    def run(*extra):
        argv = [sys.executable, str(SCRIPT), "run", "--inputs", str(inputs), "--out", str(out), *extra]
        argv += ["--where-tensorflow-cannot-load", "--rows", "FNN-bce", "DFNN-bce"]
        return subprocess.run(argv, env=env, capture_output=True, text=True)

    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    res = json.loads(out.read_text())
    assert res["tensorflow_loaded"] is False and res["backend"]["keras_backend"] == "jax"
    assert res["matmul_precision"] == "float32" and res["skipped"] == []
    assert [r["key"] for r in res["rows"]] == ["FNN-bce", "DFNN-bce"]
    for row in res["rows"]:
        assert row["device"] == "CPU" and row["wall_s"] > 0 and "speedup_vs_cpu" not in row  # quick: no reference
        assert [s["seed"] for s in row["seeds"]] == res["seeds"] == [1, 2]
        aucs = [s["auc"] for s in row["seeds"]]
        assert all(0 <= a <= 1 for a in aucs) and row["auc"]["mean"] == np.mean(aucs)
    # a budget already spent skips every row, and says which
    done = run("--budget-s", "0")
    res = json.loads(out.read_text())
    assert done.returncode == 0 and res["skipped"] == ["FNN-bce", "DFNN-bce"] and res["rows"] == []
