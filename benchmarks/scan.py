"""Design-space scans per hour on this machine, serial and on a 2-worker Dask LocalCluster, with the time of
each phase: training, emulation (hls4ml conversion, the emulation record, fpga-nn's emulator), alkaid
(trace, interpreter, estimate), alkaid's Verilog, Verilator (compile and simulate every test event), Yosys.

    .venv/bin/python benchmarks/scan.py [--quick]

Rows:
  trigger     ``fpga-nn scan``'s own points: the quick grid of scan/scan.yaml (four QKeras points and one HGQ2
              point) trained with the full training section (30 epochs, patience 5), RTL for the best two;
  jet tagger  a 16-64-32-32-5 QKeras tagger (6 and 8 bits), on 16-feature, 5-class Gaussian events made
              here (the scan's event sample is the 5-input trigger's): the same phases, through the same
              fpga-nn functions, one configuration per task.
Each row runs serially (one process) and on a LocalCluster of 2 worker processes; configurations per hour =
configurations / wall time. The phase split sums the phases over the row's configurations (serial run).
Writes benchmarks/results/scan.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "scan.json"
PHASES = ("training", "emulation", "alkaid", "alkaid_verilog", "verilator", "yosys")


def trigger_row(workers: int | None, quick: bool) -> dict:
    """One fresh trigger scan (the quick grid, full training); the per-phase seconds from its points."""
    import fpga_nn  # noqa: F401 - TF_USE_LEGACY_KERAS before TensorFlow
    from fpga_nn.scan.config import load_config
    from fpga_nn.scan.run import run_scan

    full = load_config()
    cfg = load_config(quick=True)
    if not quick:
        cfg = dataclasses.replace(cfg, training=full.training)
    with tempfile.TemporaryDirectory(prefix="fpga-nn-scanbench-") as tmp:
        out = Path(tmp) / "scan"
        t0 = time.perf_counter()
        run_scan(cfg, out, workers=workers, serial=workers is None, progress=False)
        wall = time.perf_counter() - t0
        phases = dict.fromkeys(PHASES, 0.0)
        n_points = n_rtl = 0
        for point in sorted((out / "points").iterdir()):
            result = json.loads((point / "result.json").read_text())
            n_points += 1
            for k, v in result.get("timing", {}).items():
                phases[k] += v
            rtl = point / "rtl.json"
            if rtl.is_file() and "timing" in json.loads(rtl.read_text()):
                n_rtl += 1
                for k, v in json.loads(rtl.read_text())["timing"].items():
                    phases[k] += v
    return {"configurations": n_points, "rtl_configurations": n_rtl, "wall_seconds": wall,
            "configurations_per_hour": 3600.0 * n_points / wall, "phase_seconds": phases}  # fmt: skip


def _jet_data(n: int, seed: int = 0):
    """16 features, 5 classes: Gaussian clusters with overlap (a tagger's accuracy is not the point here)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (5, 16))
    y = rng.integers(0, 5, n)
    x = centres[y] + rng.normal(0, 1.2, (n, 16))
    return np.clip(np.round(x * 16) / 16, -8, 8 - 1 / 16).astype(np.float32), y


def jet_configuration(bits: int, epochs: int, work: str) -> dict:
    """One 16-64-32-32-5 configuration through the scan's phases; the seconds of each, and its figures."""
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # what importing fpga_nn sets: QKeras on tf_keras, in a Dask worker too
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    from fpga_nn.convert.project import convert_model
    from fpga_nn.convert.to_rtl import trace_model
    from fpga_nn.fixed import FixedType
    from fpga_nn.hardware import rtl, yosys
    from fpga_nn.scan.point import _single_threaded_tf
    from fpga_nn.verify import record
    from fpga_nn.verify.emulator import Emulator

    _single_threaded_tf()
    work = Path(work) / f"jet{bits}"
    work.mkdir(parents=True, exist_ok=True)
    tf.keras.utils.set_random_seed(bits)
    x, y = _jet_data(60_000)
    tr, te = slice(0, 50_000), slice(50_000, None)
    timing = {}
    t0 = time.perf_counter()
    q = quantized_bits(bits, 0, alpha=1)
    inp = tf.keras.Input((16,), name="inputs")
    h = inp
    for k, width in enumerate((64, 32, 32)):
        h = QActivation(quantized_relu(bits, 2), name=f"relu{k}")(QDense(width, kernel_quantizer=q, bias_quantizer=q,
                                                                         name=f"dense{k}")(h))  # fmt: skip
    out = QDense(5, kernel_quantizer=q, bias_quantizer=q, name="logits")(h)
    model = tf.keras.Model(inp, QActivation(quantized_bits(12, 5, alpha=1), name="score")(out))
    model.compile(tf.keras.optimizers.Adam(3e-3), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[tr], y[tr], epochs=epochs, batch_size=256, verbose=0, validation_split=0.1,
              callbacks=[tf.keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])  # fmt: skip
    timing["training"] = time.perf_counter() - t0
    input_type = FixedType(True, 8, 4)
    t0 = time.perf_counter()
    _, hls_model = convert_model(model, work / "hls", input_type)
    record.export(hls_model, work / "emulation")
    firmware = Emulator(work / "emulation").predict(x[te])
    timing["emulation"] = time.perf_counter() - t0
    offline = model.predict(x[te], batch_size=8192, verbose=0).reshape(len(firmware), -1)
    t0 = time.perf_counter()
    comb = trace_model(model, input_type)
    interp = comb.predict(x[te].astype(np.float64)).reshape(len(firmware), -1)
    est = rtl.estimate(comb, 7.0)
    timing["alkaid"] = time.perf_counter() - t0
    checked = rtl.verify(comb, x[te], firmware, None, work / "rtl", "jet", "xcvu13p-flga2577-2-e", 5.0, 7.0)
    timing["alkaid_verilog"] = checked.seconds["generate"]
    timing["verilator"] = checked.seconds["verilate"] + checked.seconds["simulate"]
    t0 = time.perf_counter()
    counts = yosys.synthesize(work / "rtl", "jet", "xcvu13p-flga2577-2-e")
    timing["yosys"] = time.perf_counter() - t0
    return {
        "bits": bits,
        "timing": timing,
        "accuracy": float(np.mean(firmware.argmax(1) == y[te])),
        "emulator_vs_qkeras_mismatches": int(np.sum(np.any(firmware != offline, axis=1))),
        "interpreter_vs_emulator_mismatches": int(np.sum(np.any(interp != firmware, axis=1))),
        "rtl_mismatches": checked.mismatches_offline,
        "latency_cycles": checked.latency_cycles,
        "lut": counts.lut,
        "ff": counts.ff,
        "dsp": counts.dsp,
        "alkaid_cost": est["cost"],
    }


def jet_row(workers: int | None, epochs: int) -> dict:
    configs = (6, 8)
    with tempfile.TemporaryDirectory(prefix="fpga-nn-jetbench-") as tmp:
        t0 = time.perf_counter()
        if workers is None:
            results = [jet_configuration(b, epochs, tmp) for b in configs]
        else:
            from fpga_nn.scan.run import dask_client

            with dask_client(None, workers) as client:
                results = client.gather([client.submit(jet_configuration, b, epochs, tmp, pure=False) for b in configs])
        wall = time.perf_counter() - t0
    phases = dict.fromkeys(PHASES, 0.0)
    for r in results:
        for k, v in r["timing"].items():
            phases[k] += v
    per_hour = 3600.0 * len(configs) / wall
    return {"configurations": len(configs), "wall_seconds": wall, "configurations_per_hour": per_hour,
            "phase_seconds": phases, "points": results}  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3-epoch training (a smoke run)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = []
    for name, run in (
        ("trigger (fpga-nn scan, quick grid)", lambda w: trigger_row(w, args.quick)),
        ("jet tagger 16-64-32-32-5 (6 and 8 bits)", lambda w: jet_row(w, 3 if args.quick else 30)),
    ):
        for label, workers in (("serial", None), ("LocalCluster, 2 workers", 2)):
            row = {"row": name, "run": label, **run(workers)}
            split = ", ".join(f"{k} {v:.0f} s" for k, v in row["phase_seconds"].items())
            print(f"{name}, {label}: {row['configurations_per_hour']:.0f} configurations/h ({split})", flush=True)
            rows.append(row)
    result = {
        "benchmark": "scan",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "quick": args.quick,
        "phases": list(PHASES),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
