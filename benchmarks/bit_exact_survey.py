"""hls4ml 1.3's ``bit_exact=True`` against fpga-nn's set-up, on every accepted model of the corpus.

For each model of tests/corpus/ that fpga-nn accepts, the model is converted twice with the
same input type: (a) as ``fpga-nn build`` converts it (hls4ml's 'auto' precisions plus fpga-nn's
type fixes, :func:`fpga_nn.convert.project.convert_model`) and (b) with ``bit_exact=True`` added
(hls4ml's model-wise precision propagation). Both are compiled and C-simulated by hls4ml on the
corpus inputs (1,000 events that saturate) and compared with QKeras event by event (the logits
for a table head), with the build's reference rule: QKeras recomputed in float64 where fpga-nn's
types show sums wider than float32's 24 bits (``reference``). Writes benchmarks/results/bit_exact_survey.json:

    .venv/bin/python benchmarks/bit_exact_survey.py [--jobs 2] [--only NAME ...]

docs/byom.md quotes the totals.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "bit_exact_survey.json"


def _one(name: str) -> dict:
    import numpy as np

    from fpga_nn.build.reference import float64_predict
    from fpga_nn.build.user_model import without_head
    from fpga_nn.convert import graph
    from fpga_nn.convert.project import convert_model, float32_inexact, xnor_output
    from fpga_nn.fixed import FixedType
    from tests import corpus

    case = {c.name: c for c in corpus.cases()}[name]
    model = graph.normalize(case.make())
    if case.verdict == "softmax":
        model = without_head(model)
    x = corpus.inputs(case).astype(np.float64)
    want = model.predict(x, verbose=0).reshape(len(x), -1)
    row = {"model": name, "io_type": case.io_type, "events": len(x)}
    for label, kwargs in (("fpga_nn", {}), ("bit_exact", {"bit_exact": True})):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                _, hm = convert_model(model, tmp, FixedType(True, 12, 5), io_type=case.io_type, **kwargs)
                if label == "fpga_nn" and float32_inexact(hm):  # float32 rounds these sums: float64 QKeras
                    try:
                        want = float64_predict(model, x).reshape(len(x), -1)
                        row["reference"] = "QKeras in float64"
                    except TypeError:  # QKeras's power-of-two scale mixes dtypes in float64
                        pass
                hm.compile()
                got = np.asarray(hm.predict(x)).reshape(len(x), -1)
                if xnor_output(hm):  # 1-bit codes: 1 stands for +1, 0 for -1
                    got = np.where(got > 0, 1.0, -1.0)
                row[label] = int((got != want).any(axis=1).sum())
            except Exception as err:  # a conversion or compilation that fails is a result too
                row[label] = f"error: {type(err).__name__}: {str(err).splitlines()[0][:160]}"
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args(argv)
    import fpga_nn  # noqa: F401 - TF_USE_LEGACY_KERAS before the corpus imports TensorFlow
    from tests import corpus

    names = [c.name for c in corpus.cases() if c.verdict != "refused" and (not args.only or c.name in args.only)]
    # spawn: a forked child of a process that imported TensorFlow can deadlock
    with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        rows = list(pool.map(_one, names))
    exact = {label: sum(1 for r in rows if r[label] == 0) for label in ("fpga_nn", "bit_exact")}
    result = {
        "models": len(rows),
        "exact_models": exact,
        "rows": rows,
        "note": "mismatching events of 1,000 against QKeras (logits for table heads); 'error' = no firmware",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for r in rows:
        print(f"{r['model']:34s} fpga-nn: {r['fpga_nn']!s:6s} bit_exact=True: {r['bit_exact']}")
    print(f"exact: fpga-nn {exact['fpga_nn']}/{len(rows)}, bit_exact=True {exact['bit_exact']}/{len(rows)} -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
