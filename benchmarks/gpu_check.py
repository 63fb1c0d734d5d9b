"""The suite's float rows on a borrowed GPU (issue 29, part 3): prepared here, trained there, in one script.

The GPU machine we borrow has Python 3.12, JAX with CUDA, numpy 2, h5py and scikit-learn, but no
TensorFlow, no Pythia and no network. So the work is split in two:

    python benchmarks/gpu_check.py prepare [--quick]
        here: the suite's samples (generated or from the cache), split and standardised exactly as
        ``fpga-nn suite`` does, into ``benchmarks/gpu_inputs/inputs.npz``, with the config and the wheels of
        what that machine lacks (Keras 3 and its small dependencies, PyYAML, tqdm; built for
        CPython 3.12) in ``benchmarks/gpu_inputs/wheels``; refused if it all exceeds what can be carried.
    python benchmarks/gpu_check.py run [--budget-s 480] [--seeds 2]
        there (device tool: carry benchmarks/gpu_inputs): installs the wheels into a scratch folder, trains
        every float row of the config on the machine's own JAX (KERAS_BACKEND=jax, float32 matmuls: TF32 on
        Hopper would change the arithmetic), its first two seeds of each row, and writes ``gpu_check.json`` (to $OUT
        when set, else benchmarks/results/): per row the device, wall time, peak GPU memory, AUC and
        significance (seed mean and spread) and the speed-up against the same row's training time on
        the 2-core CPU in ``results/suite/results.json``. Rows that would overrun the budget are listed as
        skipped, so the run ends within the device's 10-minute limit.

``run --where-tensorflow-cannot-load`` is the CPU test of the ``run`` path (tests/test_gpu_check.py): it
blocks TensorFlow, tf_keras, QKeras and Pythia imports, as on the GPU machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "benchmarks" / "gpu_inputs"
CARRY_LIMIT = 60 * 2**20  # the device tool carries 64 MiB in all: room is left for the rest of the tree
# what the GPU machine lacks, at the versions installed here, no dependencies pulled (numpy, ml_dtypes,
# h5py, scikit-learn and packaging are there)
CARRIED = (
    "keras", "absl-py", "namex", "optree", "typing-extensions", "rich", "markdown-it-py", "mdurl", "pygments", "pyyaml",
    "tqdm",
)  # fmt: skip
# what the GPU machine does not have: the run path must not need it
BLOCKED = (
    "tensorflow",
    "tf_keras",
    "qkeras",
    "pythia8",
    "pythia8mc",
    "hls4ml",
    "alkaid",
    "xgboost",
    "awkward",
    "vector",
    "fastjet",
    "dask",
    "distributed",
    "click",
)


class _Blocked:
    """An import finder that makes the GPU machine's missing packages missing here too."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: as on the GPU machine)", name=name)
        return None


# ------------------------------------------------------------------------------------------------ prepare
def prepare(quick: bool, out: Path, wheels: bool = True) -> dict:
    import numpy as np
    import yaml

    import fpga_nn  # noqa: F401 - TF_USE_LEGACY_KERAS before anything
    from fpga_nn.studies.suite.run import generation_configs, load_config, load_events
    from fpga_nn.studies.suite.run import prepare as prepare_splits
    from fpga_nn.yamlconfig import plain

    cfg = load_config(None, quick)
    gen_nominal, _ = generation_configs(cfg)
    prep = prepare_splits(cfg, load_events(gen_nominal), None)  # the variation sample is not carried
    out.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split in ("train", "val", "test"):
        arrays[f"x_{split}"] = prep.x[split].astype(np.float32)
        arrays[f"y_{split}"] = prep.y[split]
        arrays[f"mass_{split}"] = prep.mass[split]
        arrays[f"weight_{split}"] = prep.weight[split]
        if split in prep.sample_weight:
            arrays[f"sample_weight_{split}"] = prep.sample_weight[split]
    np.savez_compressed(out / "inputs.npz", mean=prep.mean, std=prep.std, **arrays)
    every = plain(cfg)
    every["rows"] = [r for r in every["rows"] if r["method"] in ("FNN", "DFNN", "ETN") and not r.get("firmware")]
    every["systematic"] = {**(every.get("systematic") or {}), "n_background": 0}
    (out / "suite.yaml").write_text(yaml.safe_dump(every, sort_keys=False))
    (out / "info.json").write_text(json.dumps({"quick": quick, "dataset": prep.info}, indent=1, default=str))
    if wheels:
        from importlib.metadata import version

        target = out / "wheels"
        target.mkdir(exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "--implementation",
                "cp",
                "--platform",
                "manylinux_2_28_x86_64",
                "--platform",
                "manylinux_2_17_x86_64",
                "--platform",
                "manylinux2014_x86_64",
                "--platform",
                "any",
                "-d",
                str(target),
                *[f"{p}=={version(p)}" for p in CARRIED],
            ],
            check=True,
        )
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if size > CARRY_LIMIT:
        raise SystemExit(
            f"{out} holds {size / 2**20:.1f} MiB, more than the {CARRY_LIMIT / 2**20:.0f} MiB that can be carried"
        )
    record = {
        "folder": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else out.name,
        "quick": quick,
        "events": {s: int(len(prep.y[s])) for s in ("train", "val", "test")},
        "rows": [
            r["method"] + "-" + r.get("loss", "bce") + ("+disco" if r.get("disco") else "") for r in every["rows"]
        ],
        "files_mib": {p.name: round(p.stat().st_size / 2**20, 2) for p in sorted(out.glob("*")) if p.is_file()},
        "wheels_mib": round(sum(p.stat().st_size for p in (out / "wheels").glob("*.whl")) / 2**20, 2) if wheels else 0,
        "mib": round(size / 2**20, 1),
        "carry_limit_mib": round(CARRY_LIMIT / 2**20),
    }
    if out == INPUTS:  # the record of what the default preparation carries (docs/gpu.md)
        (ROOT / "benchmarks" / "results" / "gpu_prepare.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


# ------------------------------------------------------------------------------------------------ run
def _install_wheels(inputs: Path) -> None:
    """Make the carried wheels importable (before any machine copy of the same package)."""
    wheels = inputs / "wheels"
    if not wheels.is_dir() or not any(wheels.glob("*.whl")):
        return
    site = Path(os.environ.get("TMPDIR", "/tmp")) / "fpga_nn_gpu_site"
    if not (site / ".done").is_file():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-index",
                "--no-deps",
                "--target",
                str(site),
                *map(str, sorted(wheels.glob("*.whl"))),
            ],
            check=True,
        )
        (site / ".done").touch()
    sys.path.insert(0, str(site))


def _cpu_reference() -> tuple[dict, str]:
    """Each row's training seconds on the 2-core CPU, from the committed suite table (and what made them)."""
    path = ROOT / "results" / "suite" / "results.json"
    if not path.is_file():
        return {}, "none"
    res = json.loads(path.read_text())
    dev = res.get("device", {})
    made = f"TensorFlow {dev.get('tensorflow', '?')}, {dev.get('cpu_count', '?')}-core CPU, results/suite/results.json"
    return {r["key"]: r["train_seconds"] for r in res["rows"]}, made


def run(
    inputs: Path,
    budget_s: float,
    out_file: Path,
    block: bool = False,
    only: list[str] | None = None,
    n_seeds: int | None = None,
) -> dict:
    t_start = time.perf_counter()
    if block:
        sys.meta_path.insert(0, _Blocked())
    else:
        _install_wheels(inputs)
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # the peak memory is what the rows use
    import jax
    import numpy as np

    # float32 matrix products: the CPU's arithmetic (TF32 on Hopper rounds the products' inputs to 10 bits)
    jax.config.update("jax_default_matmul_precision", "float32")
    sys.path.insert(0, str(ROOT))
    from fpga_nn.studies.suite.config import load_config
    from fpga_nn.studies.suite.data import Prepared, evaluate, row_features, row_key
    from fpga_nn.studies.suite.train import train_network
    from fpga_nn.training import backend

    backend.use("jax")
    cfg = load_config(inputs / "suite.yaml")
    data = np.load(inputs / "inputs.npz")
    info = json.loads((inputs / "info.json").read_text())
    splits = ("train", "val", "test")
    prep = Prepared(
        x={s: data[f"x_{s}"] for s in splits},
        y={s: data[f"y_{s}"] for s in splits},
        mass={s: data[f"mass_{s}"] for s in splits},
        weight={s: data[f"weight_{s}"] for s in splits},
        mean=data["mean"],
        std=data["std"],
        info=info["dataset"],
        sample_weight={s: data[f"sample_weight_{s}"] for s in splits if f"sample_weight_{s}" in data},
    )
    cpu_seconds, cpu_made = _cpu_reference()
    seeds = list(cfg.training.seeds)[: n_seeds or None]
    described = backend.describe()
    rows, skipped = [], []
    every = prep.info["features"]
    for row in cfg.rows:
        key = row_key(row)
        if only and key not in only:
            continue
        elapsed = time.perf_counter() - t_start
        # a row is started only if the slowest row so far would still end within the budget
        slowest = max((r["wall_s"] for r in rows), default=0.0)
        if elapsed + slowest > budget_s:
            skipped.append(key)
            continue
        cols = [every.index(f) for f in row_features(cfg, row)]
        x = {k: v[:, cols] for k, v in prep.x.items()}
        t0 = time.perf_counter()
        per_seed = []
        for seed in seeds:
            model, meta = train_network(cfg, row, prep, x, progress=False, seed=seed)
            score = np.asarray(model.predict(x["test"], batch_size=8192, verbose=0)).reshape(-1).astype(np.float64)
            ev = evaluate(cfg, prep, "test", score, None)
            per_seed.append(
                {"seed": seed, "best_epoch": meta["best_epoch"], "auc": ev["auc"], "significance": ev["significance"]}
            )
        wall = time.perf_counter() - t0
        entry = {
            "key": key,
            "device": described["device"],
            "wall_s": round(wall, 2),
            "peak_gpu_mb_so_far": backend.peak_memory_mb(),
            "seeds": per_seed,
            **{
                m: {"mean": float(np.mean([s[m] for s in per_seed])), "std": float(np.std([s[m] for s in per_seed]))}
                for m in ("auc", "significance")
            },
        }
        if key in cpu_seconds and not info["quick"]:  # per seed: the CPU table trained every seed of the config
            entry["cpu_seconds_per_seed"] = round(cpu_seconds[key] / len(cfg.training.seeds), 2)
            entry["speedup_vs_cpu"] = round(entry["cpu_seconds_per_seed"] / (wall / len(seeds)), 2)
        rows.append(entry)
        print(f"{key:<22} {wall:7.1f} s  AUC {100 * entry['auc']['mean']:.2f} %  on {described['device']}", flush=True)
    result = {
        "benchmark": "the suite's float rows trained with Keras 3 on JAX (benchmarks/gpu_check.py run)",
        "backend": described,
        "matmul_precision": "float32",
        "quick": info["quick"],
        "events": {s: int(len(prep.y[s])) for s in splits},
        "seeds": seeds,
        "cpu_reference": cpu_made if not info["quick"] else "none (quick inputs)",
        "budget_s": budget_s,
        "total_s": round(time.perf_counter() - t_start, 1),
        "tensorflow_loaded": "tensorflow" in sys.modules,
        "rows": rows,
        "skipped": skipped,
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_file}")
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="here: samples, config and wheels into benchmarks/gpu_inputs")
    p.add_argument("--quick", action="store_true", help="the suite's quick section (a test of the path)")
    p.add_argument("--out", type=Path, default=INPUTS)
    p.add_argument("--no-wheels", action="store_true", help="leave the wheels out (a CPU test of run)")
    r = sub.add_parser("run", help="there: train the float rows on the GPU, write gpu_check.json")
    r.add_argument("--inputs", type=Path, default=INPUTS)
    r.add_argument("--budget-s", type=float, default=480.0, help="rows that would end later are skipped")
    r.add_argument("--out", type=Path, default=None, help="default: $OUT/gpu_check.json, else benchmarks/results/")
    r.add_argument("--where-tensorflow-cannot-load", action="store_true", help="block TensorFlow/QKeras/Pythia imports")
    r.add_argument("--rows", nargs="+", default=None, help="only these row keys (e.g. FNN-bce)")
    r.add_argument("--seeds", type=int, default=2, help="the config's first N training seeds per row (0: all)")
    args = ap.parse_args(argv)
    if args.step == "prepare":
        print(json.dumps(prepare(args.quick, args.out, not args.no_wheels)))
        return
    out = args.out or (Path(os.environ["OUT"]) if os.environ.get("OUT") else ROOT / "benchmarks" / "results")
    target = out if out.suffix == ".json" else out / "gpu_check.json"
    run(args.inputs, args.budget_s, target, args.where_tensorflow_cannot_load, args.rows, args.seeds)


if __name__ == "__main__":
    main()
