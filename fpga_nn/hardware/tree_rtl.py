"""The open-source RTL path of a tree ensemble: conifer's VHDL, GHDL, Verilator and Yosys.

conifer's VHDL backend writes a pipelined ensemble (every comparison registered, the leaf found over
``max_depth`` stages, an adder tree). GHDL (Debian's ``ghdl``, 2.0) analyses it and ``ghdl synth
--out=verilog`` writes it as one Verilog netlist; a thin wrapper gives it the streaming testbench's
ports (the VHDL's feature array holds feature 0 in its leftmost, most significant bits); Verilator runs
every event through it, one per clock, and the latency is read off the output stream as for networks;
Yosys ``synth_xilinx`` counts the cells. Every figure says that it describes conifer's VHDL, whose one
fixed-point type (inputs, thresholds and scores alike) is wider than the HLS project's input type.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from .. import tools
from ..errors import ToolError
from ..jsonio import write_json
from ..project_files import RTL_CHECK, RTL_META
from . import rtl as rtl_tools
from . import yosys

# conifer's VHDL sources in the order they depend on each other
VHDL_FILES = ("Constants", "Split", "Types", "Tree", "AddReduce", "Arrays0", "BDT", "BDTTop")
TOP = "BDTTop"
GHDL_HINT = "install it with 'apt-get install ghdl' (the RTL path of tree ensembles)"


def available() -> str | None:
    """Why the tree RTL path cannot run here, or None when it can."""
    for tool, hint in (("ghdl", GHDL_HINT), ("yosys", "install it with 'apt-get install yosys'")):
        if tools.which(tool) is None:
            return f"'{tool}' not found: {hint}"
    return None


def to_verilog(vhdl_project: Path, rtl_dir: Path) -> Path:
    """GHDL: analyse conifer's VHDL and write the top as Verilog in ``rtl_dir/src``."""
    ghdl = tools.find("ghdl", GHDL_HINT)
    work = Path(rtl_dir) / "ghdl"
    src = Path(rtl_dir) / "src"
    work.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    fw = Path(vhdl_project).resolve() / "firmware"
    for name in VHDL_FILES:
        tools.run([ghdl, "-a", "--std=08", f"--workdir={work}", str(fw / f"{name}.vhd")], cwd=rtl_dir)
    verilog = tools.run([ghdl, "synth", "--std=08", f"--workdir={work}", "--out=verilog", TOP], cwd=rtl_dir)
    text = verilog[verilog.index("module ") :] if "module " in verilog else ""
    if f"module {TOP}" not in text:
        raise ToolError(f"ghdl synth wrote no module {TOP} (see {rtl_dir})")
    out = src / f"{TOP}.v"
    out.write_text(_strip_warnings(text))
    shutil.rmtree(work, ignore_errors=True)
    return out


def _strip_warnings(text: str) -> str:
    """``tools.run`` returns stdout then stderr: keep the Verilog (every line up to the last endmodule)."""
    end = text.rindex("endmodule") + len("endmodule")
    return text[:end] + "\n"


def write_wrapper(src: Path, n_features: int, width: int) -> None:
    """``BDTTop_wrapper``: the streaming testbench's ports around GHDL's top (valid held high)."""
    parts = ", ".join(f"model_inp[{i * width + width - 1}:{i * width}]" for i in range(n_features))
    (Path(src) / f"{TOP}_wrapper.v").write_text(
        f"module {TOP}_wrapper(input clk, input [{n_features * width - 1}:0] model_inp, "
        f"output [{width - 1}:0] model_out);\n"
        f"  {TOP} dut(.clk(clk), .X({{{parts}}}), .X_vld(1'b1), .y(model_out), .y_vld());\n"
        "endmodule\n"
    )


def verify(
    vhdl_project: Path,
    rtl_dir: Path,
    x_on_grid: np.ndarray,
    expected: np.ndarray,
    csim: np.ndarray | None,
    common,
    part: str,
    clock_period: float,
) -> dict:
    """GHDL -> Verilog, Verilator on every event, Yosys counts; writes rtl_check.json and yosys_counts.json."""
    t = {}
    rtl_dir = Path(rtl_dir).resolve()
    t0 = time.perf_counter()
    to_verilog(vhdl_project, rtl_dir)
    n_features = int(np.asarray(x_on_grid).shape[1])
    write_wrapper(rtl_dir / "src", n_features, common.width)
    kif = [1, common.integer - 1, common.fractional]
    meta = {"top": TOP, "stages": 0, "n_inputs": n_features, "n_outputs": 1, "input_kif": kif, "output_kif": kif}
    meta["source"] = "conifer VHDL via ghdl synth --out=verilog"
    write_json(rtl_dir / RTL_META, meta, indent=2)
    t["ghdl"] = time.perf_counter() - t0
    (rtl_dir / "sim").mkdir(exist_ok=True)
    shutil.copy(_ioutil(), rtl_dir / "sim" / "ioutil.hh")
    t0 = time.perf_counter()
    exe = rtl_tools.build_testbench(rtl_dir, meta)
    t["verilate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    stream = rtl_tools.simulate(exe, rtl_dir, x_on_grid, meta, hold=1)
    lat = rtl_tools.match_stream(stream, expected, hold=1)
    t["simulate"] = time.perf_counter() - t0
    exp = np.asarray(expected, dtype=np.float64).reshape(len(expected), -1)
    got = stream[np.arange(len(exp)) + (lat if lat is not None else 0)]
    check = {
        "events": int(len(exp)),
        "mismatches_offline": int(np.sum(np.any(got != exp, axis=1))),
        "mismatches_csim": None if csim is None else int(np.sum(got.ravel() != np.asarray(csim).ravel())),
        "latency_cycles": int(lat) if lat is not None else -1,
        "latency_ns": round((lat or 0) * clock_period, 3),
        "initiation_interval": 1,
        "clock_period_ns": clock_period,
        "source": "RTL simulation (Verilator) of conifer's VHDL (GHDL synth)",
        "common_type": common.to_ap(),
        "verilator": rtl_tools.tool_version().split(",")[0],
        "ghdl": _ghdl_version(),
        "seconds": {k: round(v, 2) for k, v in t.items()},
    }
    if lat is None:
        check["note"] = "no latency reproduces the emulator's scores: the RTL differs"
    write_json(rtl_dir / RTL_CHECK, check, indent=2)
    shutil.rmtree(rtl_dir / "sim" / "obj_dir", ignore_errors=True)
    counts = yosys.synthesize(rtl_dir, TOP, part)
    return {"rtl": check, "yosys": counts}


def _ioutil() -> Path:
    import alkaid

    path = Path(alkaid.__file__).parent / "codegen" / "rtl" / "common_source" / "ioutil.hh"
    if not path.is_file():
        raise ToolError(f"alkaid's ioutil.hh is missing ({path}): reinstall alkaid")
    return path


def _ghdl_version() -> str:
    try:
        return tools.run([tools.find("ghdl"), "--version"], cwd=".").splitlines()[0].strip()
    except ToolError:
        return "ghdl"
