"""After the C-simulation: RTL + Yosys figures, vendor synthesis when asked, and the report."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import ToolError, UnsupportedModelError
from ..fixed import FixedType
from ..hardware import vendor
from ..jsonio import write_json
from .firmware import BuildOptions, CsimResult

log = logging.getLogger(__name__)


def _status(staging: Path, message: str) -> None:
    log.warning("%s", message)
    write_json(staging / "rtl_status.json", {"message": message}, indent=None)


def rtl_figures(model, input_type: FixedType, staging: Path, options: BuildOptions, checked: CsimResult) -> str | None:
    """alkaid Verilog, Verilator bit-exactness/latency/II and Yosys counts; tool problems become notes.

    Returns a failure message when the RTL does not reproduce the offline model.
    """
    if options.rtl is False:
        _status(staging, "RTL path skipped (--no-rtl)")
        return None
    from ..convert.to_rtl import trace
    from ..hardware import rtl, yosys

    x, expected, csim = checked.inputs, checked.expected, checked.csim
    try:
        result = rtl.verify(
            trace(model, input_type),
            x,
            expected,
            csim,
            staging / "rtl",
            f"{options.name}_rtl",
            options.part,
            options.clock_period,
            options.latency_cutoff,
        )
    except (ToolError, UnsupportedModelError) as exc:
        _status(staging, f"RTL path not available: {exc}".splitlines()[0])
        return None
    if result.mismatches_offline:
        return (
            f"RTL simulation: {result.mismatches_offline} mismatches / {result.events} events against the "
            "offline model: see rtl/rtl_check.json"
        )
    log.info(
        "RTL: %d events bit-exact, latency %d cycles, II %d",
        result.events,
        result.latency_cycles,
        result.initiation_interval,
    )
    try:
        counts = yosys.synthesize(staging / "rtl", f"{options.name}_rtl", options.part)
        log.info("Yosys: %d LUT (+%d INV), %d FF, %d DSP", counts.lut, counts.inv, counts.ff, counts.dsp)
    except ToolError as exc:
        log.warning("Yosys: %s", str(exc).splitlines()[0])
        write_json(staging / "rtl" / "yosys_status.json", {"message": str(exc).splitlines()[0]}, indent=None)
    return None


def vendor_figures(staging: Path, options: BuildOptions) -> None:
    if not options.synth:
        return
    try:
        vendor.run_synthesis(staging, options.backend, logic_synthesis=True)
    except ToolError as exc:
        log.warning("%s", str(exc).splitlines()[0])


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


def finish(
    model, input_type: FixedType, staging: Path, options: BuildOptions, checked: CsimResult
) -> tuple[str | None, dict]:
    """Everything after the csim check, ending with report.json/.md/.html in ``staging``.

    Returns a failure message (the caller raises once the folder is in place) or None, and the report;
    (None, None) when the C-simulation already failed: nothing more is worth computing.
    """
    from ..reports import report

    if checked.mismatches:
        return None, None
    failure = rtl_figures(model, input_type, staging, options, checked)
    if options.cpp and failure is None:
        failure = cpp_figures(staging, checked)
    vendor_figures(staging, options)
    return failure, report.write(staging, options.input_rate_khz)
