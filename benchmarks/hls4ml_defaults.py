"""What hls4ml 1.3's default QKeras conversion gives on the trigger net, against fpga-nn's set-up.

Writes benchmarks/results/hls4ml_defaults.json: the number of events (of 20,000) on which the
C-simulation differs from QKeras, (a) with hls4ml's own configuration
(``config_from_keras_model(granularity="name")``, only the input type set to the trigger bus),
(b) with fpga-nn's (``write_project``). docs/trigger.md section 5 quotes (a): the trailing
``QActivation(quantized_bits)`` is merged into the Dense without its quantizer, so the output stays
at accumulator precision.

    .venv/bin/python benchmarks/hls4ml_defaults.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fpga_nn.fixed import FixedType  # noqa: E402

PART = "xcvu13p-flga2577-2-e"
EVENTS = 20_000


def trigger_case():
    from fpga_nn.models.trigger import trigger_network

    model = trigger_network()
    rng = np.random.default_rng(1)
    model.set_weights([rng.uniform(-1.5, 1.5, w.shape).astype(np.float32) for w in model.get_weights()])
    x = (np.random.default_rng(2).integers(0, 256, (EVENTS, 5)) / 256).astype(np.float32)
    return model, x


def hls4ml_default(model, x, workdir: Path) -> np.ndarray:
    import hls4ml

    from fpga_nn.frontends import hls4ml_sees

    with hls4ml_sees(model):  # hls4ml's Keras 2 parser for a tf_keras model (Keras 3 is installed too)
        config = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
        first = next(iter(config["LayerName"]))
        config["LayerName"][first]["Precision"] = {"result": "ap_ufixed<8,0>"}
        hm = hls4ml.converters.convert_from_keras_model(
            model, hls_config=config, output_dir=str(workdir), part=PART, backend="Vitis", io_type="io_parallel"
        )
        hm.compile()
    return np.asarray(hm.predict(np.ascontiguousarray(x, dtype=np.float64))).reshape(len(x), -1)


def fpga_nn_setup(model, x, workdir: Path) -> np.ndarray:
    from fpga_nn.convert.project import write_project

    hm = write_project(model, workdir, PART, FixedType(False, 8, 0), project_name="bench", io_type="io_parallel")
    hm.compile()
    return np.asarray(hm.predict(np.ascontiguousarray(x, dtype=np.float64))).reshape(len(x), -1)


def main() -> int:
    model, x = trigger_case()
    keras = model.predict(x, batch_size=4096, verbose=0).reshape(len(x), -1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (("hls4ml default configuration", hls4ml_default), ("fpga-nn", fpga_nn_setup)):
            y = fn(model, x, Path(tmp) / name.split()[0])
            diff = np.any(y != keras, axis=1)
            rows.append(
                {
                    "conversion": name,
                    "events": len(x),
                    "mismatches_vs_qkeras": int(diff.sum()),
                    "max_abs_diff": float(np.max(np.abs(y - keras))),
                }
            )
            print(rows[-1], flush=True)
    out = ROOT / "benchmarks" / "results" / "hls4ml_defaults.json"
    note = "trigger net 5-6-1 (seeded random weights), 20,000 seeded 8-bit inputs; C-simulation vs QKeras"
    out.write_text(json.dumps({"case": note, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
