"""Throughput of hls4ml C-simulation, the fpga-nn emulator and QKeras predict, measured in one run.

Writes benchmarks/results/emulator.json. "csim" is hls4ml's own path (``compile()`` then
``predict()``, one library call per event from Python); "csim_fpga_nn_worker" is the same
library driven by fpga-nn's child process (a tighter ctypes loop). Every row also checks that all
agree on every event of the run (emulator == C-simulation bit for bit, and QKeras).

    .venv/bin/python benchmarks/emulator.py [--quick]

Cases: (a) the 5-6-1 trigger net, 1M events; (b) a 16-64-32-32-5 QKeras net at 6 bits, 200k
events; (c) the compact CNN of seed 002 (64x64x1, three Conv2D(10, 3x3)+MaxPool blocks,
Dense 64, Dense 1; io_stream), 2,000 images.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fpga_nn.build.firmware import BuildOptions, convert_and_verify  # noqa: E402
from fpga_nn.fixed import FixedType  # noqa: E402
from fpga_nn.verify.csim import run_csim  # noqa: E402
from fpga_nn.verify.emulator import Emulator  # noqa: E402

PART = "xcvu13p-flga2577-2-e"


def _randomize(model, seed: int, span: float) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-span, span, w.shape).astype(np.float32) for w in model.get_weights()])


def trigger_case(n: int):
    from fpga_nn.models.trigger import trigger_network

    model = trigger_network()
    _randomize(model, 1, 1.5)
    x = (np.random.default_rng(2).integers(0, 256, (n, 5)) / 256).astype(np.float32)
    return "a) trigger 5-6-1, 8-bit", model, x, FixedType(False, 8, 0), "io_parallel"


def wide_case(n: int):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    x_in = tf.keras.Input((16,), name="inputs")
    h = x_in
    for k, width in enumerate((64, 32, 32)):
        h = QDense(
            width,
            kernel_quantizer=quantized_bits(6, 0, alpha=1),
            bias_quantizer=quantized_bits(6, 0, alpha=1),
            name=f"dense{k}",
        )(h)
        h = QActivation(quantized_relu(6, 2), name=f"relu{k}")(h)
    h = QDense(
        5, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1), name="out"
    )(h)
    h = QActivation(quantized_bits(8, 3, alpha=1), name="score")(h)
    model = tf.keras.Model(x_in, h)
    _randomize(model, 3, 0.5)
    x = (np.random.default_rng(4).integers(-512, 512, (n, 16)) / 64).astype(np.float32)
    return "b) 16-64-32-32-5, 6-bit", model, x, FixedType(True, 10, 4), "io_parallel"


def cnn_case(n: int):
    from fpga_nn.models.cnn import compact_cnn_quantized

    model = compact_cnn_quantized()
    _randomize(model, 5, 0.5)
    x = (np.random.default_rng(6).integers(0, 256, (n, 64, 64, 1)) / 256).astype(np.float32)
    return "c) compact CNN 64x64x1 (seed 002), 8-bit, io_stream", model, x, FixedType(False, 8, 0), "io_stream"


def hls4ml_predict(model, x, input_type, io_type, workdir: Path) -> tuple[np.ndarray, float]:
    """hls4ml's own C-simulation path: compile() and predict() in process, one call per event."""
    from fpga_nn.convert.project import write_project

    hm = write_project(model, workdir, PART, input_type, project_name="bench", io_type=io_type)
    hm.compile()
    t0 = time.perf_counter()
    y = np.asarray(hm.predict(np.ascontiguousarray(x, dtype=np.float64))).reshape(len(x), -1)
    return y, time.perf_counter() - t0


def run_case(name, model, x, input_type, io_type, workdir: Path) -> dict:
    opts = BuildOptions(part=PART, name="bench", io_type=io_type)
    convert_and_verify(model, x[:16], input_type, workdir / "fpga_nn", opts)  # project, record, small check
    n_out = int(np.prod(model.output_shape[1:]))
    csim, t_csim = hls4ml_predict(model, x, input_type, io_type, workdir / "hls4ml")
    t0 = time.perf_counter()
    worker = run_csim(workdir / "fpga_nn", x, n_out)
    t_worker = time.perf_counter() - t0
    workdir = workdir / "fpga_nn"
    emu_model = Emulator(workdir)
    t0 = time.perf_counter()
    emu = emu_model.predict(x)
    t_emu = time.perf_counter() - t0
    t0 = time.perf_counter()
    keras = model.predict(x, batch_size=4096, verbose=0).reshape(len(x), -1)
    t_keras = time.perf_counter() - t0
    n = len(x)
    row = {
        "case": name,
        "events": n,
        "io_type": io_type,
        "events_per_s": {
            "csim": n / t_csim,
            "csim_fpga_nn_worker": n / t_worker,
            "emulator": n / t_emu,
            "qkeras": n / t_keras,
        },
        "seconds": {"csim": t_csim, "csim_fpga_nn_worker": t_worker, "emulator": t_emu, "qkeras": t_keras},
        "speedup_emulator_vs_csim": t_csim / t_emu,
        "speedup_emulator_vs_csim_fpga_nn_worker": t_worker / t_emu,
        "emulator_equals_csim": bool(np.array_equal(emu, csim) and np.array_equal(worker, csim)),
        "csim_mismatches_vs_qkeras": int(np.sum(np.any(csim != keras, axis=1))),
    }
    print(
        f"{name}: csim {row['events_per_s']['csim']:,.0f}/s, emulator {row['events_per_s']['emulator']:,.0f}/s "
        f"({row['speedup_emulator_vs_csim']:.0f}x), qkeras {row['events_per_s']['qkeras']:,.0f}/s, "
        f"equal={row['emulator_equals_csim']}, csim vs qkeras mismatches={row['csim_mismatches_vs_qkeras']}",
        flush=True,
    )
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x fewer events (a smoke run)")
    ap.add_argument("--cases", default="abc", help="which cases to run (letters)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "emulator.json")
    args = ap.parse_args(argv)
    scale = 10 if args.quick else 1
    cases = {"a": (trigger_case, 1_000_000), "b": (wide_case, 200_000), "c": (cnn_case, 2_000)}
    rows = []
    for key in args.cases:
        fn, n = cases[key]
        with tempfile.TemporaryDirectory(prefix="fpga-nn-bench-") as tmp:
            rows.append(run_case(*fn(n // scale), Path(tmp)))
    result = {
        "benchmark": "emulator",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "quick": args.quick,
        "rows": rows,
        "targets": {"a": 100, "b": 20, "c": 50},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
