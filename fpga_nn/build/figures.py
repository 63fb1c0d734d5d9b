"""After the C-simulation: RTL + Yosys figures, the C++ export, vendor synthesis when asked (run_build calls them)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError, UnsupportedModelError, first_line
from ..fixed import FixedType
from ..hardware import vendor
from ..jsonio import write_json
from ..project_files import ProjectFiles, RtlCheck, YosysCounts, record_from
from .firmware import BuildOptions, CsimResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RtlFigures:
    """What the RTL round gave: ``failure`` when the RTL does not reproduce the offline model, the typed
    Verilator check and Yosys counts when they were made, else ``status`` saying why not."""

    failure: str | None = None
    check: RtlCheck | None = None
    yosys: YosysCounts | None = None
    status: str | None = None


def status(staging: Path, message: str) -> RtlFigures:
    """Why there are no RTL figures: logged and written to rtl_status.json."""
    log.warning("%s", message)
    write_json(ProjectFiles(staging).rtl_status, {"message": message}, indent=None)
    return RtlFigures(status=message)


def rtl_figures(model, input_type: FixedType, staging: Path, options: BuildOptions, checked: CsimResult) -> RtlFigures:
    """alkaid Verilog, Verilator bit-exactness/latency/II and Yosys counts; tool problems become notes."""
    if options.rtl is False:
        return status(staging, "RTL path skipped (--no-rtl)")
    from ..convert.to_rtl import trace

    return alkaid_figures(lambda: trace(model, input_type), staging, options, checked)


def alkaid_figures(make_logic, staging: Path, options: BuildOptions, checked: CsimResult) -> RtlFigures:
    """The RTL round of alkaid logic (``make_logic()``, traced here so that a model alkaid cannot trace is a
    note): its Verilog streamed through Verilator on every event, then Yosys."""
    from ..hardware import rtl, yosys

    x, expected, csim = checked.inputs, checked.expected, checked.csim
    try:
        result = rtl.verify(
            make_logic(),
            x,
            expected,
            csim,
            ProjectFiles(staging).rtl,
            f"{options.name}_rtl",
            options.part,
            options.clock_period,
            options.latency_cutoff,
        )
    except (ToolError, UnsupportedModelError) as exc:
        return status(staging, f"RTL path not available: {first_line(exc)}")
    check = record_from({**result._asdict(), "latency_ns": result.latency_ns}, RtlCheck)
    if result.mismatches_offline:
        failure = (
            f"RTL simulation: {result.mismatches_offline} mismatches / {result.events} events against the "
            "offline model: see rtl/rtl_check.json"
        )
        return RtlFigures(failure, check)
    log.info(
        "RTL: %d events bit-exact, latency %d cycles, II %d",
        result.events,
        result.latency_cycles,
        result.initiation_interval,
    )
    try:
        counts = yosys.synthesize(ProjectFiles(staging).rtl, f"{options.name}_rtl", options.part)
    except ToolError as exc:
        log.warning("Yosys: %s", first_line(exc))
        write_json(ProjectFiles(staging).yosys_status, {"message": first_line(exc)}, indent=None)
        return RtlFigures(None, check)
    log.info("Yosys: %d LUT (+%d INV), %d FF, %d DSP", counts.lut, counts.inv, counts.ff, counts.dsp)
    return RtlFigures(None, check, record_from({**counts._asdict(), "note": yosys.NOTE}, YosysCounts))


def vendor_figures(staging: Path, options: BuildOptions) -> None:
    if not options.synth:
        return
    try:
        vendor.run_synthesis(staging, options.backend, logic_synthesis=True)
    except ToolError as exc:
        log.warning("%s", first_line(exc))


def cpp_figures(staging: Path, checked: CsimResult) -> str | None:
    """The C++17 export (cpp/) and its check on every event; a failure message on any mismatch."""
    from ..verify.cpp_export import export_checked

    record = export_checked(staging, checked.inputs, checked.csim, raw=checked.raw)
    log.info(
        "C++ export: %s, %d mismatches / %d events", record["header"], record["mismatches_vs_csim"], record["events"]
    )
    if record["mismatches_vs_csim"]:
        return f"the C++ export differs from the C-simulation on {record['mismatches_vs_csim']} events (cpp/check.json)"
    return None
