"""Models no one here wrote: the HGQ proxy models, the qkeras-v3 file and the float Keras models of hls4ml's
example-models repository, through ``fpga-nn build`` as a user would run it.

    .venv/bin/python benchmarks/outside_models.py DIR [--events 2000]

DIR holds the files under their names in that repository's ``keras/`` folder (the three ``hgq_*.h5``
of its current tree, the three ``proxy_*`` JSON + weights of commit 2a635af, and the ``KERAS_*`` float
models of its current tree); they are not committed here. The float models build with hls4ml's default
precision (``--precision 'ap_fixed<16,6>'``) and ``--max-flip 100``: the row records how many decisions flip
against the float model instead of stopping at the default 1 %; each is built a second time with
``--precision auto`` (16-bit types per layer from the precision profile), recorded under ``auto``.
Inputs are seeded random values of each
model's input shape (a Gaussian for the jet classifiers' 16 features and the float models, uniform [0, 1)
for the 28 x 28 MNIST images): what is checked is that the firmware computes what the model computes (a
float model: what the emulation of its types computes), event by event. Writes benchmarks/results/outside_models.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "results" / "outside_models.json"
PART = "xcvu13p-flga2577-2-e"
MODELS = {  # name -> (files, input shape, input kind)
    "hgq_jet_classifier": (["hgq_jet_classifier.h5"], (16,), "normal"),
    "hgq_mnist_heterogeneous": (["hgq_mnist_heterogeneous.h5"], (28, 28), "uniform"),
    "hgq_mnist_homogeneous": (["hgq_mnist_homogeneous.h5"], (28, 28), "uniform"),
    "proxy_jet_classifier": (["proxy_jet_classifier.json", "proxy_jet_classifier.h5"], (16,), "normal"),
    "proxy_mnist_heterogeneous_act": (
        ["proxy_mnist_heterogeneous_act.json", "proxy_mnist_heterogeneous_act.h5"], (28, 28), "uniform"),
    "proxy_mnist_homogeneous_act": (
        ["proxy_mnist_homogeneous_act.json", "proxy_mnist_homogeneous_act.h5"], (28, 28), "uniform"),
    "qkeras-v3_3layer": (["qkeras-v3_3layer.keras"], (16,), "normal"),
    **{name: ([f"{files}.json", f"{weights or files}_weights.h5"], shape, "normal")
       for name, files, weights, shape in (
           ("KERAS_1layer", "KERAS_1layer", None, (10,)),
           ("KERAS_3layer", "KERAS_3layer", None, (16,)),
           ("KERAS_3layer_70pruned", "KERAS_3layer", "KERAS_3layer_70pruned_retrained", (16,)),
           ("KERAS_3layer_batch_norm", "KERAS_3layer_batch_norm", None, (16,)),
           ("KERAS_conv1d_small", "KERAS_conv1d_small", None, (10, 4)),
           ("KERAS_conv2d_model", "KERAS_conv2d_model", None, (8, 8, 1)),
       )},
}  # fmt: skip
FLOAT_FLAGS = ["--precision", "ap_fixed<16,6>", "--max-flip", "100"]


AUTO_FLAGS = ["--precision", "auto", "--max-flip", "100"]


def run(name: str, folder: Path, events: int, work: Path) -> dict:
    row = _run(name, folder, events, work, FLOAT_FLAGS)
    if name.startswith("KERAS_") and "exit_code" in row:
        auto = _run(name, folder, events, work, AUTO_FLAGS)
        row["auto"] = {k: v for k, v in auto.items() if k not in ("model", "files")}
    return row


def _run(name: str, folder: Path, events: int, work: Path, float_flags: list[str]) -> dict:
    files, shape, kind = MODELS[name]
    paths = [folder / f for f in files]
    if not all(p.is_file() for p in paths):
        return {"model": name, "status": "missing", "files": files}
    rng = np.random.default_rng(sum(map(ord, name)))  # a fixed seed per model
    x = rng.normal(size=(events, *shape)) if kind == "normal" else rng.uniform(0, 1, (events, *shape))
    np.save(work / f"{name}.npy", x.astype(np.float32))
    args = ["--model", str(paths[0])] + (["--weights", str(paths[1])] if len(paths) > 1 else [])
    out = work / name
    cmd = [sys.executable, "-m", "fpga_nn", "build", "--part", PART, *args, "--data", str(work / f"{name}.npy"),
           "--output-dir", str(out), "--name", name.replace("-", "_"), "--no-rtl", "--force"]  # fmt: skip
    if name.startswith("KERAS_"):
        cmd += float_flags
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    row = {"model": name, "files": files, "exit_code": proc.returncode, "seconds": round(time.perf_counter() - t0, 1)}
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    if errors:
        row["message"] = errors[-1].replace(f"{folder}/", "").replace(str(work), "WORK")  # no machine paths
    check = out / "csim_check.json"
    if check.is_file():
        c = json.loads(check.read_text())
        row.update(family=c.get("family"), events=c["events"], mismatches=c["mismatches"],
                   input_type=c["input_type"], output_type=c["output_type"])  # fmt: skip
        if "float_agreement" in c:
            a = c["float_agreement"]
            row.update(reference=c["reference"], float_max_abs_diff=a["max_abs_diff"],
                       float_flips=a["working_points"], flags=float_flags)  # fmt: skip
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--events", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fpga-nn-outside-") as tmp:
        rows = [run(name, args.folder, args.events, Path(tmp)) for name in MODELS]
    for r in rows:
        print(f"{r['model']:<32} exit {r.get('exit_code', '-')}  {r.get('mismatches', '-')} / {r.get('events', '-')} "
              f"mismatches  {r.get('message', '')}")  # fmt: skip
        for label, rec in (("ap_fixed<16,6>", r), ("auto", r.get("auto"))):
            if rec and rec.get("float_flips"):
                worst = max(f["percent"] for f in rec["float_flips"])
                print(f"    {label:<15} {rec.get('mismatches')} mismatches, worst flips {worst:.2f} %")
    built = [r for r in rows if r.get("mismatches") == 0 and r.get("exit_code") == 0]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"part": PART, "events": args.events, "bit_exact": len(built), "rows": rows}, indent=2))
    print(f"{len(built)} of {len(rows)} built bit-exact; wrote {OUT}")


if __name__ == "__main__":
    main()
