"""The suite's float rows on TensorFlow and on JAX, this CPU (issue 29, part 2) -> benchmarks/results/backends.json.

    python benchmarks/backends.py [--config benchmarks/backends.yaml]

Runs ``fpga-nn suite --quick --config CONFIG --backend B`` for each backend in its own process (a process
keeps its first Keras backend) on the same samples, and records per row the seeds' AUC and significance,
the seed means, their difference and its standard error (seed spreads, ddof 1), and each run's wall time.
Seeds draw different initial weights on each backend: only the statistics can agree. The same comparison,
with the same config, is ``tests/test_backends.py``.
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

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "benchmarks" / "backends.yaml"
BACKENDS = ("tensorflow", "jax")
METRICS = ("auc", "significance")


def _suite(config: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "fpga_nn", "suite", "--quick", "--config", str(config), *extra]
    return subprocess.run(argv, env=env, capture_output=True, text=True)


def run_backend(backend: str, config: Path, out: Path, env: dict) -> float:
    t0 = time.perf_counter()
    done = _suite(config, env, "--backend", backend, "--out", str(out))
    if done.returncode:
        raise SystemExit(f"suite on {backend} failed: {done.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - t0


def compare(results: dict[str, dict]) -> list[dict]:
    """Per row: each backend's seeds, means and spreads, and the difference of the means in standard errors."""
    rows = []
    first = results[BACKENDS[0]]
    for key in [r["key"] for r in first["rows"]]:
        entry = {"key": key}
        by = {b: next(r for r in results[b]["rows"] if r["key"] == key) for b in BACKENDS}
        for m in METRICS:
            values = {b: np.array([s[m] for s in by[b]["seeds"]]) for b in BACKENDS}
            a, b = (values[k] for k in BACKENDS)
            err = float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))
            diff = float(a.mean() - b.mean())
            entry[m] = {
                **{
                    k: {"seeds": v.round(6).tolist(), "mean": float(v.mean()), "std": float(v.std(ddof=1))}
                    for k, v in values.items()
                },
                "difference": diff,
                "standard_error": err,
                "in_standard_errors": round(abs(diff) / err, 2) if err else None,
            }
        entry["train_seconds"] = {k: by[k]["train_seconds"] for k in BACKENDS}
        entry["made_on"] = {k: by[k]["made_on"] for k in BACKENDS}
        rows.append(entry)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "backends.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FPGA_NN_CACHE": os.environ.get("FPGA_NN_CACHE", str(Path(tmp) / "cache"))}
        # the samples first, so that neither backend's time includes generating them
        if _suite(args.config, env, "--samples-only", "--out", str(Path(tmp) / "samples")).returncode:
            raise SystemExit("generating the quick samples failed")
        wall, results = {}, {}
        for b in BACKENDS:
            wall[b] = round(run_backend(b, args.config, Path(tmp) / b, env), 1)
            results[b] = json.loads((Path(tmp) / b / "results.json").read_text())
    rows = compare(results)
    record = {
        "benchmark": "the suite's float rows on two Keras 3 backends (benchmarks/backends.py)",
        "config": str(args.config.resolve().relative_to(ROOT))
        if args.config.resolve().is_relative_to(ROOT)
        else args.config.name,
        "device": {k: v for k, v in results["jax"]["device"].items() if k != "platform"},
        "versions": {b: {k: results[b]["device"].get(k) for k in ("keras", b)} for b in BACKENDS},
        "events": results["jax"]["dataset"]["n_events"],
        "process_wall_s": wall,
        "rule": "agree: |difference of seed means| < 4 standard errors (seed spreads, ddof 1; tests/test_backends.py)",
        "rows": rows,
        "agree": all(
            r[m]["in_standard_errors"] is not None and r[m]["in_standard_errors"] < 4 for r in rows for m in METRICS
        ),
    }
    args.out.write_text(json.dumps(record, indent=1) + "\n")
    for r in rows:
        print(
            f"{r['key']:<10} AUC "
            + "  ".join(f"{b} {100 * r['auc'][b]['mean']:.2f}±{100 * r['auc'][b]['std']:.2f}" for b in BACKENDS)
            + f"  diff {r['auc']['in_standard_errors']} s.e.;  train s "
            + " / ".join(str(r["train_seconds"][b]) for b in BACKENDS)
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
