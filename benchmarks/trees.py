"""The suite's XGBoost model as conifer firmware (issue 30) -> benchmarks/results/trees.json.

    python benchmarks/trees.py [--out DIR]

Runs ``fpga-nn suite --config benchmarks/suite_xgboost.yaml`` (the packaged suite's samples, generated
once and cached, its split and its XGBoost settings; the XGBoost row alone, with ``firmware: true``; the
RTL figures when the config asks for them) and records the firmware row: the ensemble (trees, depth,
nodes, types), the C-simulation against fpga-nn's tree emulator, the float model's agreement on every
test event, the significance and AUC of the float model and of the firmware, latency and resources with
their sources when made, and the seconds it took.
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
CONFIG = ROOT / "benchmarks" / "suite_xgboost.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "suite_xgboost", help="the suite's output folder")
    ap.add_argument("--config", type=Path, default=CONFIG)
    args = ap.parse_args()
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fpga_nn", "suite", "--config", str(args.config), "--out", str(args.out)],
        check=True,
        env=os.environ,
    )
    wall = time.perf_counter() - t0
    res = json.loads((args.out / "results.json").read_text())
    row = next(r for r in res["rows"] if r["key"] == "XGBoost")
    c = row["firmware_check"]
    prj = args.out / "firmware" / "XGBoost"
    build = json.loads((prj / "build.json").read_text())
    rtl = json.loads((prj / "rtl" / "rtl_check.json").read_text()) if (prj / "rtl" / "rtl_check.json").is_file() else {}
    record = {
        "benchmark": "the suite's XGBoost model as conifer firmware (benchmarks/trees.py)",
        "command": f"fpga-nn suite --config {args.config.relative_to(ROOT)}",
        "test_events": res["dataset"]["n_events"]["test"],
        "ensemble": {k: build[k] for k in ("model", "trees", "max_depth", "nodes", "features", "notes")},
        "types": build["tree_types"],
        "vhdl_type": build["vhdl_type"],
        "csim": {
            "events": c["events"],
            "mismatches_vs_emulator": c["mismatches"],
            "source": build["csim_source"],
            "seconds": build["csim_seconds"],
        },
        "float_agreement": c["float_agreement"],
        "float": {m: row["test"][m] for m in ("significance", "auc")},
        "firmware": {m: row["firmware_test"][m] for m in ("significance", "auc")},
        "significance_err_bootstrap": row["test"].get("significance_err"),
        "latency": c.get("latency"),
        "resources": c.get("resources"),
        "rtl": {k: rtl.get(k) for k in ("events", "mismatches_offline", "mismatches_csim", "seconds")} if rtl else None,
        "failure": c.get("failure"),
        "wall_seconds": round(wall, 1),
        "device": {k: res["device"].get(k) for k in ("cpu_count", "tensorflow", "keras_backend")},
    }
    out = ROOT / "benchmarks" / "results" / "trees.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps({k: record[k] for k in ("csim", "latency", "resources", "float", "firmware")}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
