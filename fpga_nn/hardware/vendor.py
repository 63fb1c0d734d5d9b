"""Vendor HLS/synthesis runs (Vitis HLS, Vivado HLS, Vivado) when the tools are installed."""

from __future__ import annotations

import logging
from pathlib import Path

from .. import tools
from ..errors import ToolError

log = logging.getLogger(__name__)

# What each hls4ml backend's build_prj.tcl is run with, newest tool first.
COMMANDS = {
    "Vitis": (("vitis-run", ["--tcl", "build_prj.tcl", "--mode", "hls"]), ("vitis_hls", ["-f", "build_prj.tcl"])),
    "Vivado": (("vivado_hls", ["-f", "build_prj.tcl"]),),
}


def _command(backend: str) -> tuple[str, list[str]] | None:
    for name, args in COMMANDS[backend]:
        path = tools.which(name)
        if path is not None:
            return path, args
    return None


def available(backend: str) -> str | None:
    """Path of the backend's HLS program, or None."""
    found = _command(backend)
    return found[0] if found else None


def missing_message(backend: str) -> str:
    names = " or ".join(name for name, _ in COMMANDS[backend])
    return (
        f"vendor tools not found ({names} is not on PATH): no vendor csynth or synthesis "
        "figures; source the Vitis/Vivado settings script to get them"
    )


def run_synthesis(project_dir: Path, backend: str, logic_synthesis: bool = False, timeout: float | None = None) -> None:
    """C synthesis (and optionally Vivado logic synthesis) of an hls4ml project, in place."""
    found = _command(backend)
    if found is None:
        raise ToolError(missing_message(backend))
    exe, args = found
    opts = {
        "reset": 0,
        "csim": 0,
        "synth": 1,
        "cosim": 0,
        "validation": 0,
        "export": 0,
        "vsynth": int(logic_synthesis),
        "fifo_opt": 0,
    }
    body = "".join(f"    {k:<10} {v}\n" for k, v in opts.items())
    (project_dir / "build_opt.tcl").write_text("array set opt {\n" + body + "}\n")
    tools.run([exe, *args], cwd=project_dir, log_file=project_dir / "vendor_build.log", timeout=timeout)


def find_reports(project_dir: Path, top: str) -> dict[str, Path]:
    """Report files of the top function that a vendor run left in the project (the newest of each kind)."""
    found: dict[str, Path] = {}
    for kind, pattern in (
        ("csynth_xml", f"*_prj/solution*/syn/report/{top}_csynth.xml"),
        ("csynth_rpt", f"*_prj/solution*/syn/report/{top}_csynth.rpt"),
        ("utilization", "vivado_synth.rpt"),
    ):
        hits = sorted(project_dir.glob(pattern), key=lambda p: p.stat().st_mtime)
        if hits:
            found[kind] = hits[-1]
    return found
