"""Convert a Keras/QKeras model, run its C-simulation on every event, and record everything."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..convert import project as hls_project
from ..convert.support import table_function
from ..errors import UserInputError, VerificationError
from ..fixed import FixedType
from ..frontends import qkeras
from ..hardware.parts import parse_part
from ..jsonio import write_json
from ..project_files import ProjectFiles
from ..verify import compare as cmp
from ..verify.csim import run_csim
from . import reference
from .table_head import remedy_text, table_head_summary

log = logging.getLogger(__name__)


TB_EVENTS = 10_000  # events in the HLS testbench's text vectors (tb_data/); all events are checked in csim


@dataclass(frozen=True)
class CsimResult:
    """What :func:`convert_and_verify` proved, in memory: callers use these arrays, not the files it wrote.

    ``inputs`` are the values the firmware sees (after its input cast), ``expected`` the offline
    (QKeras) outputs on them, ``csim`` the C-simulation's; ``summary`` is the csim_check.json record.
    """

    inputs: np.ndarray
    expected: np.ndarray
    csim: np.ndarray
    summary: dict
    codes: np.ndarray | None = None  # the bus codes, for a model with declared preprocessing
    raw: np.ndarray | None = None  # the raw values they were coded from
    record: dict | None = None  # the build.json record
    floats: np.ndarray | None = None  # a float model's scores on ``inputs``, when the family computes them

    @property
    def mismatches(self) -> int:
        return int(self.summary["mismatches"])


@dataclass(frozen=True)
class BuildOptions:
    """Everything a build is asked for (the CLI's options); frozen: derive a variant with :meth:`replace`."""

    part: str
    name: str = "trigger"
    backend: hls_project.Backend = "Vitis"
    io_type: hls_project.IoType = "io_parallel"
    clock_period: float = 5.0
    reuse_factor: int = 1
    output_dir: Path | None = None
    force: bool = False
    rtl: bool | None = None  # None: when the tools are there and the model is dense
    synth: bool = False  # vendor C synthesis + logic synthesis (needs Vitis/Vivado)
    latency_cutoff: float = 7.0  # alkaid pipelining: delay units per stage
    input_rate_khz: float = 1000.0  # rate of candidates reaching the network, for trigger rates
    csim_optimization: str = "-O3"  # g++ flag for the C-simulation library (CNNs: -O1)
    no_softmax: bool = False  # build a model's logits: drop a softmax/sigmoid/tanh head
    cpp: bool = False  # also export a C++17 header of the network (cpp/), checked against the csim
    precision: str | None = None  # a float model's fixed-point type (every weight, sum and result)
    max_flip_percent: float = 1.0  # a float model: most decisions that may flip against the float model
    min_argmax_agreement: float = 99.0  # a softmax head: least agreement (percent) of its argmax with the logits'
    softmax_table_size: int | None = None  # hls4ml's softmax table entries (None: its default, 1024)
    softmax_table_type: str | None = None  # hls4ml's softmax table and sum type (None: its ap_fixed<18,8,RND,SAT>)

    def softmax_tables(self) -> tuple[int | None, str | None]:
        """``--softmax-table-size`` and ``--softmax-table-type`` (hls4ml spelling), None where not given."""
        t = self.softmax_table_type
        return self.softmax_table_size, FixedType.parse(t).to_hls() if t is not None else None

    def target(self) -> Path:
        return Path(self.output_dir) if self.output_dir else Path("hls_projects") / self.name

    def replace(self, **changes) -> BuildOptions:
        return dataclasses.replace(self, **changes)


MAX_SOFTMAX_TABLE = 1 << 16  # softmax table entries: an exp and a 1/x table of this many words each


@dataclass(frozen=True)
class FamilyBuild:
    """How one model family builds, for :func:`~.core.run_build`: ``convert(model, inputs, input_type, staging,
    options, pre, layers) -> CsimResult`` writes the project and checks the C-simulation against the family's
    reference; ``precheck(options)`` refuses options the family does not take (before any work);
    ``rtl_target(model, checked) -> (model, checked, scope)`` is what the RTL figures describe (``scope``: what
    they leave out, None for the whole model); ``failure(summary)`` is the family's own verdict beyond the
    C-simulation (a second reference, a float agreement gate), None when it passes; ``rtl_figures`` the family's
    own RTL round (None: alkaid's, :func:`~.figures.rtl_figures`)."""

    convert: Callable
    precheck: Callable = lambda options: None
    rtl_target: Callable = lambda model, checked: (model, checked, None)
    failure: Callable = lambda summary: None
    rtl_figures: Callable | None = None


def validate(options: BuildOptions) -> None:
    """Everything that can be checked before any expensive work."""
    parse_part(options.part)
    hls_project.check_project_name(options.name)
    if options.backend not in hls_project.BACKENDS:
        raise UserInputError(f"backend '{options.backend}' not supported: choose {' or '.join(hls_project.BACKENDS)}")
    if options.io_type not in hls_project.IO_TYPES:
        raise UserInputError(f"io type '{options.io_type}' not supported: choose {' or '.join(hls_project.IO_TYPES)}")
    for flag, value in (
        ("--clock-period", options.clock_period),
        ("--input-rate-khz", options.input_rate_khz),
        ("--latency-cutoff", options.latency_cutoff),
    ):
        if not (math.isfinite(value) and value > 0):  # nan fails every comparison: test for it
            raise UserInputError(f"{flag} {value} must be a finite number > 0")
    if options.reuse_factor < 1:
        raise UserInputError(f"reuse factor {options.reuse_factor} must be >= 1")
    size = options.softmax_table_size
    if size is not None and not (2 <= size <= MAX_SOFTMAX_TABLE and size & (size - 1) == 0):
        raise UserInputError(f"--softmax-table-size {size} must be a power of two from 2 to {MAX_SOFTMAX_TABLE}")
    if options.softmax_table_type is not None:
        FixedType.parse(options.softmax_table_type)
    if options.precision is not None:
        from ..frontends.float_keras import chosen

        chosen(options.precision)  # a type, or 'auto' / 'auto<W>'
    for flag, pct in (
        ("--max-flip", options.max_flip_percent),
        ("--min-argmax-agreement", options.min_argmax_agreement),
    ):
        if not (math.isfinite(pct) and 0 <= pct <= 100):
            raise UserInputError(f"{flag} {pct} must be a percentage between 0 and 100")


def table_head(model):
    """The model's last layer when it is a table activation (softmax, sigmoid, tanh), else None."""
    last = model.layers[-1]
    return last if type(last).__name__ in ("Activation", "Softmax") and table_function(last) else None


def cast_inputs(inputs: np.ndarray, input_type: FixedType) -> tuple[np.ndarray, dict]:
    """The inputs as the firmware sees them, after its input cast (``input_t x = value``, with the type's
    own rounding and overflow), and what the cast changed. The offline reference runs on these values:
    the cast is part of the firmware, so QKeras and the C-simulation are compared on the same inputs."""
    from ..fixed.arith import from_float, to_float

    raw = np.asarray(inputs, dtype=np.float64)
    seen = to_float(from_float(raw, input_type), input_type)
    x = np.ascontiguousarray(seen, dtype=np.float32)
    if not np.array_equal(x, seen):
        raise UserInputError(
            f"input type {input_type.to_ap()} holds values that float32 cannot: give a type of "
            "at most 24 significant bits with --input-precision"
        )
    return x, cast_report(raw, seen, input_type)


def cast_report(raw: np.ndarray, seen: np.ndarray, input_type: FixedType) -> dict:
    """What putting the inputs on ``input_type`` changed (csim_check.json's ``input_cast``), logged when anything."""
    changed = raw != seen
    report = {
        "type": input_type.to_ap(),
        "changed_values": int(changed.sum()),
        "changed_events": int(changed.reshape(len(raw), -1).any(axis=1).sum()),
        "max_abs_change": float(np.abs(raw - seen).max(initial=0.0)),
    }
    if report["changed_values"]:
        log.warning(
            "the input cast to %s changed %d input values (max |change| %.4g): the reference sees the cast "
            "values, as the firmware does",
            input_type.to_ap(),
            report["changed_values"],
            report["max_abs_change"],
        )
    return report


def convert_and_verify(
    model, inputs: np.ndarray, input_type: FixedType, staging: Path, options: BuildOptions, pre=None
) -> CsimResult:
    """Write the project and vectors into ``staging``; returns what was checked (never raises on mismatch).

    With ``pre`` (a :class:`~fpga_nn.data.preprocess.Preprocessing`), ``inputs`` are raw values: they
    are bus-coded as declared, the project gets the input stage in front of the network, the
    C-simulation runs from the codes, and the stage alone is checked against the declared tables on
    every event.

    A model ending in a table activation (softmax, sigmoid, tanh) is checked by the softmax contract:
    its input (the logits) must equal QKeras bit for bit, its output must equal the emulator's
    reproduction of hls4ml's tables; the difference to the float function is reported.
    """
    from ..convert import graph

    model = graph.normalize(model)
    head = table_head(model)
    vec = ProjectFiles(staging).vectors
    vec.mkdir(parents=True, exist_ok=True)
    codes = raw = None
    if pre is not None:
        if pre.input_type != input_type:
            raise UserInputError(f"the preprocessing makes {pre.input_type.to_ap()}, not {input_type.to_ap()}")
        raw = np.asarray(inputs, dtype=np.float64)
        codes = pre.encode(raw)
        inputs = pre.stage(codes)
        np.save(vec / "codes.npy", codes.astype(np.int64))
        np.save(vec / "raw.npy", raw)
    x, cast = cast_inputs(inputs, input_type)
    np.save(vec / "inputs.npy", x)
    expected = model.predict(x, batch_size=8192, verbose=0)
    np.save(vec / "expected.npy", expected)
    qkeras.save(model, staging / "model.h5")
    if pre is not None:
        pre.attach(staging / "model.h5")

    t0 = time.perf_counter()
    # hls4ml writes the testbench vectors as text (~100 bytes per value): at most TB_EVENTS events go
    # there; every event stays in vectors/*.npy (binary) and in the C-simulation check.
    tb_in, tb_out = vec / ("inputs.npy" if pre is None else "codes.npy"), vec / "expected.npy"
    if len(x) > TB_EVENTS:
        tb_in, tb_out = vec / "tb_inputs.npy", vec / "tb_expected.npy"
        np.save(tb_in, (x if pre is None else codes)[:TB_EVENTS])
        np.save(tb_out, expected[:TB_EVENTS])
    hls_model = hls_project.write_project(
        model,
        staging,
        options.part,
        input_type,
        project_name=options.name,
        backend=options.backend,
        io_type=options.io_type,
        clock_period=options.clock_period,
        reuse_factor=options.reuse_factor,
        tb_inputs=str(tb_in),
        tb_outputs=str(tb_out),
        trace_head=head is not None,
        softmax_tables=options.softmax_tables(),
    )
    stage_kinds = None
    if pre is not None:
        from ..convert import input_stage

        stage_kinds = input_stage.write(staging, options.name, pre)
    t_convert = time.perf_counter() - t0
    out_type = hls_project.output_type(hls_model)
    n_out = int(np.prod(expected.shape[1:]))

    t0 = time.perf_counter()
    run = {"optimization": options.csim_optimization}
    if pre is not None:
        run.update(entry="codes", stage_outputs=x.shape[1])
    fw_in = x if pre is None else codes
    if head is None:
        csim, *staged = _as_tuple(run_csim(staging, fw_in, n_out, **run))
        if hls_project.xnor_output(hls_model):
            csim = np.where(csim > 0, 1.0, -1.0)  # the 1-bit codes to the values they stand for
        summary_ref, summary_fw, summary_type = expected, csim, out_type
    else:
        logits = graph.submodel(model, head, at_input=True).predict(x, batch_size=8192, verbose=0)
        feeder = hls_project.head_input_layer(hls_model)
        logits_type = FixedType.from_precision(feeder.get_output_variable().type.precision)
        csim, traced, *staged = run_csim(staging, fw_in, n_out, n_traced=int(np.prod(logits.shape[1:])), **run)
        np.save(vec / "logits_expected.npy", logits)
        np.save(vec / "logits_csim.npy", traced)
        summary_ref, summary_fw, summary_type = logits, traced.reshape(logits.shape), logits_type
    csim = csim.reshape(expected.shape)  # float64 from the bridge: exact for every output type fpga-nn verifies
    if out_type.width <= hls_project.FLOAT32_BITS:
        csim = csim.astype(np.float32)  # float32 holds every value of this output type: half the disk
    t_csim = time.perf_counter() - t0
    np.save(vec / "csim.npy", csim)
    summary = cmp.compare(summary_ref, summary_fw, summary_type)
    summary["output_type"] = out_type.to_ap()
    summary["csim_seconds"] = round(t_csim, 3)
    summary["input_type"] = input_type.to_ap()
    summary["input_cast"] = cast
    summary["emulator"], emulated = reference.emulate(hls_model, staging, x, csim)
    wide = hls_project.float32_inexact(hls_model)
    if wide and head is None:
        expected, summary = reference.exact_reference(
            model, hls_model, x, emulated, wide, expected, csim, out_type, summary, vec
        )
    if pre is not None:
        summary["input_stage"] = _stage_summary(pre, stage_kinds, x, staged[0])
    if head is not None:
        summary["checked"] = f"the input of {table_function(head)} '{head.name}' ({summary_type.to_ap()})"
        summary["softmax"] = table_head_summary(head, expected, csim, logits, summary["emulator"], options, staging)
    cmp.write_check(summary, ProjectFiles(staging).csim_check)

    top = options.name if pre is None else f"{options.name}_codes"
    record = build_record(options, input_type, out_type, hls_model, t_convert, t_csim, min(len(x), TB_EVENTS), top)
    write_json(ProjectFiles(staging).build_record, record, indent=2)
    if summary["mismatches"]:
        from ..verify.divergence import first_divergence

        summary["divergence"] = first_divergence(model, hls_model, x, summary, staging)
        cmp.write_check(summary, ProjectFiles(staging).csim_check)
    return CsimResult(x, expected, csim, summary, codes, raw, record)


def build_record(options, input_type, out_type, hls_model, t_convert, t_csim, tb_events, top) -> dict:
    """build.json: what was built, with which types, how long it took (every build writes one)."""
    return {
        "part": options.part,
        "backend": options.backend,
        "io_type": options.io_type,
        "clock_period_ns": options.clock_period,
        "reuse_factor": options.reuse_factor,
        "project_name": options.name,
        "input_type": input_type.to_ap(),
        "output_type": out_type.to_ap(),
        "layer_types": hls_project.layer_types(hls_model),
        "convert_seconds": round(t_convert, 3),
        "csim_seconds": round(t_csim, 3),
        "testbench_events": int(tb_events),
        "top_function": top,
    }


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _stage_summary(pre, kinds: dict, x: np.ndarray, staged: np.ndarray) -> dict:
    """The input stage's own check: its C-simulation against the declared tables, feature by feature."""
    differ = staged.reshape(x.shape) != x
    return {
        "declaration": "preprocess.json",
        "input_type": pre.input_type.to_ap(),
        "features": {
            f.name: {"kind": kinds[f.name], "bits": f.bits, "mismatched_events": int(differ[:, i].sum())}
            for i, f in enumerate(pre.features)
        },
        "events": int(len(x)),
        "mismatches": int(differ.any(axis=1).sum()),
    }


def raise_on_mismatch(summary: dict, target: Path, rtl_failure: str | None = None) -> None:
    """Raise VerificationError for a csim or RTL mismatch, once the build folder is in place."""
    failure = rtl_failure or mismatch_message(summary, target)
    if failure:
        raise VerificationError(failure if rtl_failure is None else f"{rtl_failure} (in {target})")


def mismatch_message(summary: dict, target: Path) -> str | None:
    """What makes the C-simulation check fail (the input stage, the network, an unverified table head), or None."""
    stage = summary.get("input_stage")
    if stage and stage["mismatches"]:
        bad = [name for name, f in stage["features"].items() if f["mismatched_events"]]
        return (
            f"the input stage differs from the declared preprocessing on {stage['mismatches']} events "
            f"(features {', '.join(bad)}): see {target / 'csim_check.json'}"
        )
    if summary["mismatches"]:
        where = summary.get("divergence", {}).get("layer")
        return (
            f"{summary['mismatches']} mismatches / {summary['events']} events (max {summary['max_abs_diff_lsb']} LSB)"
            + (f", first diverging layer '{where}'" if where else "")
            + f": see {target / 'csim_check.json'}"
        )
    head = summary.get("softmax")
    if head and head.get("argmax_vs_logits_percent", 100.0) < head.get("min_argmax_agreement_percent", 0.0):
        return (
            f"softmax '{head['layer']}': the firmware's argmax names the logits' top class on "
            f"{head['argmax_vs_logits_percent']:.2f} % of events ({head['tied_events']} events tie at the top of "
            f"its table outputs), below --min-argmax-agreement {head['min_argmax_agreement_percent']:g} %: build "
            f"the logits with --no-softmax (exact end to end), or {remedy_text(head.get('remedy'))}: see "
            f"{target / 'csim_check.json'}"
        )
    if head and head["emulator_mismatches"] != 0:
        why = (
            "the emulator cannot model it"
            if head["emulator_mismatches"] is None
            else f"{head['emulator_mismatches']} events differ from the emulated tables"
        )
        return (
            f"{head['function']} '{head['layer']}': the firmware output is not verified ({why}); "
            f"build with --no-softmax for exact logits: see {target / 'csim_check.json'}"
        )
    return None


# QKeras 0.9 / Keras 2 models: the core path (the layer table, fpga-nn's types, the emulator, its own tracer)
QKERAS = FamilyBuild(
    convert=lambda m, x, t, staging, options, pre, layers: convert_and_verify(m, x, t, staging, options, pre)
)
