"""Row (e) of benchmarks/emulator.py: an HGQ2 (Keras 3) 16-64-32-32-5 net, trained briefly and built with
``fpga-nn build``; hls4ml's C-simulation, alkaid's interpreter of the traced logic (fpga-nn's reference for
HGQ2 beside the C-simulation: its NumPy emulator does not read HGQ2 graphs) and Keras 3 ``predict``, on the
same events, each checked against the C-simulation on every event."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def _model(path: Path, rng):
    import keras
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    keras.utils.set_random_seed(9)
    with (
        QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"),
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="WRAP"),
        LayerConfigScope(enable_ebops=True, beta0=1e-5),
    ):
        model = keras.Sequential(
            [keras.layers.Input((16,)), QDense(64, activation="relu"), QDense(32, activation="relu"),
             QDense(32, activation="relu"), QDense(5)]
        )  # fmt: skip
    x = rng.normal(size=(20_000, 16)).astype(np.float32)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, (x[:, :5].argmax(1)), epochs=2, batch_size=256, verbose=0)
    model.save(path)
    return model


def hgq2_row(n: int, work: Path) -> dict:
    from benchmarks.emulator import PART, best_keras, best_of, macs
    from fpga_nn.cli import main
    from fpga_nn.convert.to_rtl import trace
    from fpga_nn.verify.csim import run_csim

    rng = np.random.default_rng(10)
    model = _model(work / "hgq2.keras", rng)
    x = rng.normal(size=(n, 16)).astype(np.float32)
    np.save(work / "x.npy", x[:64])
    project = work / "project"
    assert main(["build", "--part", PART, "--model", str(work / "hgq2.keras"), "--data", str(work / "x.npy"),
                 "--output-dir", str(project), "--no-rtl"]) == 0  # fmt: skip
    t0 = time.perf_counter()
    csim = np.asarray(run_csim(project, x, 5)).reshape(n, -1)
    t_csim = time.perf_counter() - t0
    comb = trace(model)
    interp, t_interp = best_of(lambda: comb.predict(x.astype(np.float64)).reshape(n, -1))
    keras_out, t_keras, batch = best_keras(model, x)
    row = {
        "case": "e) HGQ2 16-64-32-32-5 (Keras 3)",
        "events": n,
        "io_type": "io_parallel",
        "events_per_s": {"csim_fpga_nn_worker": n / t_csim, "alkaid_interpreter": n / t_interp, "keras": n / t_keras},
        "seconds": {"csim_fpga_nn_worker": t_csim, "alkaid_interpreter": t_interp, "keras": t_keras},
        "emulator": "not available: fpga-nn's NumPy emulator does not read HGQ2 graphs (alkaid's interpreter is "
        "the reference beside the C-simulation)",
        "keras_batch_size": batch,
        "macs_per_event": macs(model),
        "speedup_interpreter_vs_keras": t_keras / t_interp,
        "interpreter_equals_csim": bool(np.array_equal(interp, csim)),
        "csim_mismatches_vs_keras": int(np.sum(np.any(csim != keras_out, axis=1))),
    }
    print(f"{row['case']}: csim {n / t_csim:,.0f}/s, alkaid interpreter {n / t_interp:,.0f}/s, keras "
          f"{n / t_keras:,.0f}/s, equal={row['interpreter_equals_csim']}", flush=True)  # fmt: skip
    return row
