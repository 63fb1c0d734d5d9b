"""``fpga-nn report``: latency, II, resources and physics figures of a project, each with its source.

Sources, in the order they are preferred for a figure:

* latency / II: vendor C synthesis (csynth.xml/.rpt), else RTL simulation (Verilator, measured)
* resources: vendor logic synthesis (report_utilization), vendor C synthesis estimates, Yosys
* physics: the model (float, quantized) and the firmware's C-simulation

Every figure in ``report.json`` carries a ``source`` field; a missing tool becomes a one-line
entry in ``notes`` and the rest of the report still appears.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from ..hardware import vendor as vendor_tools
from ..hardware.parts import parse_part
from ..jsonio import write_json
from ..project_files import InputStageCheck, ProjectFiles, ProjectState
from . import metrics
from . import vendor as parsers

log = logging.getLogger(__name__)

WORKING_POINTS = (0.01, 0.05, 0.10)
DEFAULT_INPUT_RATE_KHZ = 1000.0


def _latency(project: Path, state: ProjectState, notes: list[str]) -> dict | None:
    found = vendor_tools.find_reports(project, state.build.project_name)
    for kind, parse in (("csynth_xml", parsers.parse_csynth_xml), ("csynth_rpt", parsers.parse_csynth_rpt)):
        if kind in found:
            r = parse(found[kind])
            lat = r.latency
            return {
                "cycles_min": lat.min_cycles,
                "cycles_max": lat.max_cycles,
                "ns_max": lat.max_ns,
                "ii": lat.interval_max,
                "clock_period_ns": lat.target_clock_ns,
                "estimated_clock_ns": lat.estimated_clock_ns,
                "source": f"vendor csynth ({found[kind].name})",
            }
    rtl = state.rtl
    if rtl is not None:
        return {
            "cycles_min": rtl.latency_cycles,
            "cycles_max": rtl.latency_cycles,
            "ns_max": rtl.latency_ns,
            "ii": rtl.initiation_interval,
            "clock_period_ns": rtl.clock_period_ns,
            "estimated_clock_ns": None,
            "source": f"RTL simulation (Verilator, {state.build.rtl_source})",
            "rtl_events": rtl.events,
            "rtl_mismatches_offline": rtl.mismatches_offline,
            "rtl_mismatches_csim": rtl.mismatches_csim,
        }
    notes.append("latency: no vendor csynth report and no RTL simulation in this project")
    return None


def _resources(project: Path, state: ProjectState, capacity) -> list[dict]:
    rows = []
    found = vendor_tools.find_reports(project, state.build.project_name)
    if "utilization" in found:
        u = parsers.parse_utilization_rpt(found["utilization"])
        rows.append({**u.used._asdict(), "source": f"vendor synthesis ({found['utilization'].name})"})
    for kind, parse in (("csynth_xml", parsers.parse_csynth_xml), ("csynth_rpt", parsers.parse_csynth_rpt)):
        if kind in found:
            r = parse(found[kind])
            rows.append({**r.used._asdict(), "source": f"vendor csynth estimate ({found[kind].name})"})
            break
    ys = state.yosys
    if ys is not None:
        rows.append(
            {
                "lut": ys.lut,
                "inv": ys.inv,
                "ff": ys.ff,
                "dsp": ys.dsp,
                "bram_18k": 2 * ys.bram,
                "uram": 0,
                "carry": ys.carry,
                "source": f"Yosys synth_xilinx -family {ys.family} ({state.build.rtl_source})",
                "note": ys.note,
            }
        )
    for row in rows:
        if capacity is not None:
            avail = {"lut": capacity.lut, "ff": capacity.ff, "dsp": capacity.dsp, "bram_18k": 2 * capacity.bram_36k}
            row["utilization_pct"] = {k: round(100.0 * row[k] / v, 4) for k, v in avail.items()}
    return rows


def _physics(state: ProjectState, input_rate_khz: float, notes: list[str]) -> dict | None:
    if state.labels is None:
        return None
    if state.working_point is not None:
        notes.append(
            "physics: the events are crossings of a weighted stream: rates and efficiencies are the working point's "
            "(working_point.json), not fractions of an input rate"
        )
        return None
    labels = np.asarray(state.labels).ravel()
    scores = {name: np.asarray(s).reshape(len(labels), -1) for name, s in state.scores.items()}
    if any(s.shape[1] != 1 for s in scores.values()):
        width = max(s.shape[1] for s in scores.values())
        notes.append(
            f"physics: the network gives {width} outputs per event; the report's working points are those of "
            "one score per event (the build's own figures are in metrics.json)"
        )
        return None
    scores = {name: s.ravel() for name, s in scores.items()}
    table = []
    for name, s in scores.items():
        for wp in WORKING_POINTS:
            w = metrics.signal_efficiency_at(labels, s, wp)
            table.append({"model": name, **w, "trigger_rate_khz": w["background_efficiency"] * input_rate_khz})
    return {
        "auc": {k: metrics.auc(labels, s) for k, s in scores.items()},
        "working_points": table,
        "input_rate_khz": input_rate_khz,
        "events": int(len(labels)),
        "source": "model and C-simulation",
        "scores": scores,
        "labels": labels,
    }


def _stage_note(stage: InputStageCheck) -> str:
    """What the input stage is and what of it the figures include."""
    kinds = [f.kind for f in stage.features.values()]
    counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("wire", "affine", "table") if k in kinds)
    logic = [f"{name} ({f.bits}-bit {f.kind})" for name, f in stage.features.items() if f.kind != "wire"]
    scope = (
        "wires add no logic, so the figures cover the whole top function"
        if not logic
        else f"the RTL/Yosys figures describe the network from input_t, without {', '.join(logic)}"
    )
    return (
        f"input stage ({stage.declaration}): {len(kinds)} features ({counts}), C-simulated on "
        f"{stage.events} events with {stage.mismatches} mismatches against the declared tables; {scope}"
    )


def assemble(project: Path, input_rate_khz: float = DEFAULT_INPUT_RATE_KHZ, state: ProjectState | None = None) -> dict:
    """The report of ``project``: from ``state`` when a build hands it over, else read from the folder."""
    project = Path(project)
    state = state or ProjectFiles(project).load()
    if not (math.isfinite(input_rate_khz) and input_rate_khz > 0):
        raise UserInputError(f"--input-rate-khz {input_rate_khz} must be a finite number > 0")
    build, csim = state.build, state.csim
    notes: list[str] = []
    part = parse_part(build.part)
    if part.capacity is None:
        notes.append(f"part {build.part} is not in the capacity table: no utilization percentages")
    if csim is None:
        notes.append("bit accuracy unknown: no csim_check.json in this project (rebuild it with 'fpga-nn build')")
    elif csim.mismatches:
        notes.append(
            f"VERIFICATION FAILED: the C-simulation differs from the offline model on {csim.mismatches} "
            f"of {csim.events} events (csim_check.json); the figures describe firmware that is "
            "not bit-exact"
        )
    if build.rtl_scope:
        notes.append(build.rtl_scope)
    if csim is not None and csim.input_stage:
        notes.append(_stage_note(csim.input_stage))
    no_vendor_files = not vendor_tools.find_reports(project, build.project_name)
    if no_vendor_files and vendor_tools.available(build.backend) is None:
        notes.append(vendor_tools.missing_message(build.backend))
    if state.rtl is None:
        notes.append(state.rtl_status or "no RTL simulation in this project (build with --rtl)")
    physics = _physics(state, input_rate_khz, notes)
    report = {
        "project": build.project_name,
        "part": build.part,
        "backend": build.backend,
        "io_type": build.io_type,
        "clock_period_ns": build.clock_period_ns,
        "capacity": part.capacity._asdict() if part.capacity else None,
        "latency": _latency(project, state, notes),
        "resources": _resources(project, state, part.capacity),
        "csim": {
            "events": csim.events if csim else None,
            "mismatches": csim.mismatches if csim else None,
            "source": build.csim_source,
        },
        "physics": physics,
        "working_point": dict(state.working_point) if state.working_point is not None else None,
        "notes": notes,
    }
    return report


def write(project: Path, input_rate_khz: float = DEFAULT_INPUT_RATE_KHZ, state: ProjectState | None = None) -> dict:
    """Write report.json, report.md and report.html into the project; returns the report. A build passes
    ``state`` (what it computed, in memory); ``fpga-nn report PROJECT`` reads it from the folder."""
    from .render import render_html, render_markdown

    project = Path(project)
    report = assemble(project, input_rate_khz, state)
    phys = report.get("physics")
    plots = {}
    if phys is not None:
        from . import plots as p

        (project / "plots").mkdir(exist_ok=True)
        p.roc_curves(phys["labels"], phys["scores"], project / "plots" / "report_roc.png")
        p.score_histograms(phys["labels"], phys["scores"]["firmware (csim)"], project / "plots" / "report_scores.png")
        plots = {
            "ROC curves": project / "plots" / "report_roc.png",
            "Firmware score, signal vs background": project / "plots" / "report_scores.png",
        }
    public = {k: v for k, v in report.items() if k != "physics"}
    if phys is not None:
        public["physics"] = {k: v for k, v in phys.items() if k not in ("scores", "labels")}
    write_json(ProjectFiles(project).report_json, public, indent=2)
    (ProjectFiles(project).report_md).write_text(render_markdown(public))
    (ProjectFiles(project).report_html).write_text(render_html(public, plots))
    return public


def summary_lines(r: dict) -> list[str]:
    """The headline figures of a report, one line each, with their sources."""
    lines = []
    lat = r.get("latency")
    if lat:
        lines.append(
            f"latency: {lat['cycles_max']} cycles = {lat['ns_max']:.1f} ns at {lat['clock_period_ns']} ns, "
            f"II {lat['ii']} [{lat['source']}]"
        )
    for row in r.get("resources", []):
        inv = f" (+{row['inv']} INV)" if row.get("inv") else ""
        lines.append(
            f"resources: {row['lut']} LUT{inv}, {row['ff']} FF, {row['dsp']} DSP, {row['bram_18k']} BRAM18 "
            f"[{row['source']}]"
        )
    lines += working_point_lines(r.get("working_point"))
    for note in r.get("notes", []):
        lines.append(f"note: {note}")
    return lines


def working_point_lines(wp: dict | None) -> list[str]:
    """A study's working point: the rate with its Monte Carlo error, the signal efficiency, the gains."""
    if not wp:
        return []
    lines = [
        f"working point: {wp['rate_khz']:.2f} ± {wp['rate_err_khz']:.2f} kHz (budget {wp['budget_khz']:g} kHz, "
        f"{wp['stream']}), signal efficiency {wp['efficiency']:.3f} ± {wp['efficiency_err']:.3f} [{wp['source']}]"
    ]
    for name, g in wp.get("gains", {}).items():
        lines.append(f"gain over {name}: {g['gain']:+.3f} ± {g['error']:.3f} at the same rate [{wp['source']}]")
    return lines
