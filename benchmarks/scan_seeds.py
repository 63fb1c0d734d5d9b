"""How far apart do scan points of the two families lie, once the training seed is varied?

    .venv/bin/python benchmarks/scan_seeds.py [--seeds 1 2 ... 12] [--workers 2]

The packaged scan (``results/scan``) trains every point once (seed 7). This trains four of its points,
two QKeras and two HGQ2 of similar size, with each seed (the packaged training set-up, events and
working point; each point a Dask task through ``fpga_nn.scan.point.evaluate``, exactly as the
scan runs it), and writes benchmarks/results/scan_seeds.json: per point the mean and spread over seeds
of the signal efficiency at the working point, the AUC and alkaid's cost, and per pair (HGQ2 minus
QKeras, same seed) the mean difference with its error: the seed spread of the paired differences
over sqrt(seeds), combined with the test-sample (binomial) errors of both efficiencies, added as if
independent (conservative: both are measured on the same test events). The verdict word follows
the difference in units of that error (|d| < 2 sigma: "not resolved"); the median difference and a
sign test over the seeds are given beside it. ``--reuse`` recomputes the statistics from the per-seed
values the file holds, without training.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from fpga_nn.jsonio import write_json
from fpga_nn.scan import config as scan_config
from fpga_nn.scan import point as scan_point
from fpga_nn.scan.run import _run, dask_client
from fpga_nn.yamlconfig import plain

OUT = Path(__file__).parent / "results" / "scan_seeds.json"
QKERAS = {"weight_integer": 1, "activation_integer": 3, "reuse_factor": 1, "latency_cutoff": 7.0}
POINTS = {
    "qkeras_h4_w4_a8": {"hidden": [4], "weight_bits": 4, "activation_bits": 8, **QKERAS},
    "qkeras_h6_w4_a6": {"hidden": [6], "weight_bits": 4, "activation_bits": 6, **QKERAS},
    "hgq2_h4_beta1e-5": {"family": "hgq2", "hidden": [4], "beta": 1e-5, "reuse_factor": 1, "latency_cutoff": 7.0},
    "hgq2_h6_beta1e-5": {"family": "hgq2", "hidden": [6], "beta": 1e-5, "reuse_factor": 1, "latency_cutoff": 7.0},
}
PAIRS = (("hgq2_h4_beta1e-5", "qkeras_h4_w4_a8"), ("hgq2_h6_beta1e-5", "qkeras_h6_w4_a6"))


def _stats(values) -> dict:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else None, "values": v.tolist()}


def _pair(a: str, b: str, per_point: dict, n_sig: int) -> dict:
    """HGQ2 point ``a`` minus QKeras point ``b``, seed by seed: the mean with its combined error, and,
    since single trainings can land far from the rest (the spread is not Gaussian), the median and a
    two-sided sign test over the seeds."""
    ea_all, eb_all = per_point[a]["efficiency"]["values"], per_point[b]["efficiency"]["values"]
    d = [x - y for x, y in zip(ea_all, eb_all, strict=True)]
    mean = float(np.mean(d))
    seed_err = float(np.std(d, ddof=1) / math.sqrt(len(d)))
    ea, eb = per_point[a]["efficiency"]["mean"], per_point[b]["efficiency"]["mean"]
    test_err = math.sqrt(ea * (1 - ea) / n_sig + eb * (1 - eb) / n_sig)
    err = math.hypot(seed_err, test_err)
    wins, n = sum(x > 0 for x in d), sum(x != 0 for x in d)
    k = max(wins, n - wins)
    sign_p = min(1.0, 2 * sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n)
    return {
        "difference": f"{a} - {b}",
        "per_seed": d,
        "mean": mean,
        "seed_error": seed_err,
        "test_error": test_err,
        "error": err,
        "significance": mean / err,
        "median": float(np.median(d)),
        "seeds_higher": wins,
        "sign_test_p": sign_p,
        "verdict": "not resolved" if abs(mean) < 2 * err else ("higher" if mean > 0 else "lower"),
        "cost_difference": per_point[a]["alkaid_cost"]["mean"] - per_point[b]["alkaid_cost"]["mean"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 13)))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--reuse", action="store_true", help="recompute the statistics from the per-seed values in OUT")
    args = ap.parse_args()
    if args.reuse:
        record = json.loads(OUT.read_text())
        record["what"] = __doc__.split("\n\n")[2].replace("\n", " ")
        record["pairs"] = [_pair(a, b, record["points"], record["test_signal_events"]) for a, b in PAIRS]
        write_json(OUT, record, indent=1)
        _print(record["pairs"])
        return
    base = scan_config.load_config()
    jobs = []
    for seed in args.seeds:
        cfg = dataclasses.replace(base, seed=seed)
        jobs += [(f"{name}-s{seed}", (settings, cfg)) for name, settings in POINTS.items()]
    t0 = time.perf_counter()
    with dask_client(None, args.workers) as client:
        done = {job: payload["result"] for job, payload in _run(client, scan_point.evaluate, jobs, "seeds", True)}
    seconds = time.perf_counter() - t0
    (_, y, _, _, te), _ = scan_point._data(base.data)
    n_sig = int(np.sum(y[te] == 1))
    per_point = {}
    for name in POINTS:
        rows = [done[f"{name}-s{s}"] for s in args.seeds]
        assert all(all(v == 0 for v in r["checks"].values()) for r in rows), f"{name}: a bit-exactness check failed"
        per_point[name] = {
            "settings": POINTS[name],
            "efficiency": _stats([r["efficiency"] for r in rows]),
            "auc": _stats([r["auc"] for r in rows]),
            "alkaid_cost": _stats([r["alkaid"]["cost"] for r in rows]),
        }
    pairs = [_pair(a, b, per_point, n_sig) for a, b in PAIRS]
    write_json(
        OUT,
        {
            "what": __doc__.split("\n\n")[2].replace("\n", " "),
            "seeds": args.seeds,
            "test_events": len(te),
            "test_signal_events": n_sig,
            "working_point": plain(base.working_point),
            "training": plain(base.training),
            "seconds": round(seconds, 1),
            "points": per_point,
            "pairs": pairs,
        },
        indent=1,
    )
    _print(pairs)


def _print(pairs) -> None:
    for p in pairs:
        print(
            f"{p['difference']}: {p['mean']:+.4f} +- {p['error']:.4f} ({p['verdict']}); median {p['median']:+.4f}, "
            f"higher in {p['seeds_higher']} of {len(p['per_seed'])} seeds (sign test p = {p['sign_test_p']:.2g})"
        )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
