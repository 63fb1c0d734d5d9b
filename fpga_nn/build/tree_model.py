"""Tree ensembles through :func:`~.core.run_build`: conifer firmware with the same project contract as a network.

The family's ``convert`` chooses the fixed-point types (:mod:`fpga_nn.convert.tree_types`), writes the conifer
Vitis HLS project into the staging folder (and conifer's VHDL into ``vhdl/`` for the RTL path), puts the
events on the input grid, C-simulates every one (g++ against ap_types) and compares it with fpga-nn's tree
emulator, bit for bit; the library's own float score on the same events gives the float agreement (decisions
flipped at working points, as for float networks). The RTL figures are conifer's VHDL through GHDL, Verilator
and Yosys (:mod:`fpga_nn.hardware.tree_rtl`). ``tree_codes.json`` holds every integer the firmware holds, so
the project can be emulated without the model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..convert import conifer_project, tree_types
from ..errors import ToolError, UserInputError, first_line
from ..fixed import FixedType
from ..frontends import trees
from ..jsonio import write_json
from ..project_files import ProjectFiles, RtlCheck, YosysCounts, record_from
from ..verify import compare as cmp
from ..verify import trees as emulator
from . import figures, firmware
from .float_model import agreement, flip_failure

log = logging.getLogger(__name__)

FAMILY = "trees"
CODES = emulator.CODES
CSIM_SOURCE = "conifer HLS C-simulation (g++, fpga-nn harness)"
RTL_SOURCE = "conifer VHDL (GHDL synth)"
ALKAID_SOURCE = "alkaid Verilog of the same integer trees"
# conifer's VHDL pads every tree to a full one and GHDL writes one flat netlist: beyond this many nodes
# Verilator does not compile it in reasonable time (321 depth-5 trees: not after 8 minutes), and the RTL
# figures come from alkaid's logic of the same integer trees (convert/tree_trace.py), as for networks
VHDL_MAX_NODES = 4000


@dataclass(frozen=True)
class TreeModel:
    """What run_build gets as the model of a tree build: the ensemble, the library's object (for its float
    score) and the score type asked for (None: chosen from the ensemble)."""

    ensemble: trees.Ensemble
    library_model: object
    score_type: FixedType | None = None
    csim_events: int | None = None  # C-simulate only the first N events (None: every one); all are emulated


def precheck(options: firmware.BuildOptions) -> None:
    conifer_project.check_name(options.name)
    refused = (
        ("--io-type io_stream", options.io_type != "io_parallel"),
        ("--reuse-factor", options.reuse_factor != 1),
        ("--no-softmax", options.no_softmax),
        ("--cpp", options.cpp),
        ("--softmax-table-size", options.softmax_table_size is not None),
        ("--softmax-table-type", options.softmax_table_type is not None),
    )
    for flag, given in refused:
        if given:
            raise UserInputError(f"{flag} is for networks: a tree ensemble builds as one unrolled pipeline (drop it)")
    if options.synth:
        raise UserInputError(
            "--synth runs hls4ml's scripts: for a tree project run conifer's 'vitis_hls -f build_hls.tcl' in it, "
            "then 'fpga-nn report' reads the reports (drop --synth)"
        )


def codes_record(q: tree_types.QuantizedEnsemble) -> dict:
    """Every integer the firmware holds, by tree (``tree_codes.json``)."""
    return {
        "types": q.types.as_dict(),
        "convention": "go left when input code <= threshold code",
        "n_features": q.ensemble.n_features,
        "base": int(q.base),
        "trees": [
            {
                "feature": t.feature.tolist(),
                "left": t.left.tolist(),
                "right": t.right.tolist(),
                "threshold": thr.tolist(),
                "value": val.tolist(),
            }
            for t, thr, val in zip(q.ensemble.trees, q.thresholds, q.values, strict=True)
        ],
    }


def _convert(model: TreeModel, x, input_type, staging: Path, options, pre, layers) -> firmware.CsimResult:
    ens = model.ensemble
    types = tree_types.choose_types(ens, x, input_type, model.score_type)
    q = tree_types.quantize(ens, types)
    xg = tree_types.to_grid(x, types.input)
    t0 = time.perf_counter()
    conifer_project.write_hls(q, staging, options.name, options.part, options.clock_period)
    conifer_project.write_vhdl(q, staging / "vhdl", options.name, options.part)
    write_json(staging / CODES, codes_record(q), indent=None)
    t_convert = time.perf_counter() - t0
    emulated = emulator.emulate(q, xg)  # every event: what the firmware computes
    floats = trees.library_margin(model.library_model, x, ens)  # the float model on the events as given
    n = len(xg) if model.csim_events is None else min(len(xg), int(model.csim_events))
    x, xg, expected = x[:n], xg[:n], emulated[:n]
    t0 = time.perf_counter()
    exe = conifer_project.compile_csim(staging, options.name)
    csim = conifer_project.run_csim(exe, xg)
    exe.unlink()
    t_csim = time.perf_counter() - t0
    vec = ProjectFiles(staging).vectors
    vec.mkdir(exist_ok=True)
    for name, arr in (("inputs", xg), ("expected", expected), ("csim", csim)):
        np.save(vec / f"{name}.npy", arr)
    summary = cmp.compare(expected, csim, types.score)
    summary.update(
        reference="fpga-nn's tree emulator",
        input_type=types.input.to_ap(),
        tree_types=types.as_dict(),
        float_agreement=agreement(floats, emulated, options.max_flip_percent, matched=True),  # every event
        emulated_events=int(len(emulated)),
        input_cast=firmware.cast_report(np.asarray(x, dtype=np.float64), xg, types.input),
        csim_seconds=round(t_csim, 3),
    )
    cmp.write_check(summary, ProjectFiles(staging).csim_check)
    record = _record(options, q, t_convert, t_csim)
    write_json(ProjectFiles(staging).build_record, record, indent=2)
    return firmware.CsimResult(xg, expected, csim, summary, record=record, floats=floats[:n])


def _record(options, q: tree_types.QuantizedEnsemble, t_convert: float, t_csim: float) -> dict:
    from importlib.metadata import version

    ens = q.ensemble
    nodes = int(sum(len(t.feature) for t in ens.trees))
    return {
        "part": options.part,
        "backend": options.backend,
        "io_type": "io_parallel",
        "clock_period_ns": options.clock_period,
        "project_name": options.name,
        "family": FAMILY,
        "model": ens.library,
        "notes": list(ens.notes),
        "trees": len(ens.trees),
        "max_depth": ens.max_depth,
        "features": ens.n_features,
        "nodes": nodes,
        "input_type": q.types.input.to_ap(),
        "output_type": q.types.score.to_ap(),
        "tree_types": q.types.as_dict(),
        "vhdl_type": conifer_project.vhdl_type(q).to_ap(),
        "conifer": version("conifer"),
        "csim_source": CSIM_SOURCE,
        # which RTL the figures describe: conifer's VHDL up to VHDL_MAX_NODES nodes, else alkaid's Verilog
        "rtl_source": RTL_SOURCE if nodes <= VHDL_MAX_NODES else ALKAID_SOURCE,
        "convert_seconds": round(t_convert, 3),
        "csim_seconds": round(t_csim, 3),
        "top_function": options.name,
    }


def rtl_figures(model, input_type, staging: Path, options, checked: firmware.CsimResult) -> figures.RtlFigures:
    """conifer's VHDL -> GHDL -> Verilator (bit-exact against the emulator, latency) -> Yosys counts; for a
    large ensemble alkaid's Verilog of the same integer trees (VHDL_MAX_NODES)."""
    if options.rtl is False:
        return figures.status(staging, "RTL path skipped (--no-rtl)")
    if checked.record["rtl_source"] == ALKAID_SOURCE:
        from ..convert.tree_trace import trace_ensemble

        t = {k: FixedType.parse(v) for k, v in checked.record["tree_types"].items()}
        q = tree_types.quantize(model.ensemble, tree_types.TreeTypes(t["input"], t["threshold"], t["score"]))
        return figures.alkaid_figures(lambda: trace_ensemble(q), staging, options, checked)
    from ..hardware import tree_rtl, yosys

    missing = tree_rtl.available()
    if missing:
        return figures.status(staging, f"RTL path not available: {missing}")
    common = FixedType.parse(checked.record["vhdl_type"])
    try:
        found = tree_rtl.verify(
            staging / "vhdl",
            ProjectFiles(staging).rtl,
            checked.inputs,
            checked.expected,
            checked.csim,
            common,
            options.part,
            options.clock_period,
        )
    except ToolError as exc:
        return figures.status(staging, f"RTL path not available: {first_line(exc)}")
    check = record_from(found["rtl"], RtlCheck)
    if found["rtl"]["mismatches_offline"] or found["rtl"]["latency_cycles"] < 0:
        return figures.RtlFigures(
            f"RTL simulation of conifer's VHDL: {found['rtl']['mismatches_offline']} mismatches / "
            f"{found['rtl']['events']} events against the emulator: see rtl/rtl_check.json",
            check,
        )
    counts = found["yosys"]
    return figures.RtlFigures(None, check, record_from({**counts._asdict(), "note": yosys.NOTE}, YosysCounts))


BUILD = firmware.FamilyBuild(convert=_convert, precheck=precheck, failure=flip_failure, rtl_figures=rtl_figures)


def load_tree_model(path: Path, precision: str | None) -> TreeModel:
    ens, obj = trees.load(path)
    score = None if precision in (None, "auto") else FixedType.parse(precision)
    return TreeModel(ens, obj, score)
