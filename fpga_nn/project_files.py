"""Every file name of an fpga-nn project folder, in one place: the builds write through these paths,
``report`` and ``emulate`` read through them, and the output contract (:mod:`fpga_nn.outdir`) knows
them. A project folder is::

    build.json          the build record (types, options, tool versions, family)
    csim_check.json     C-simulation against the offline model on every event
    metrics.json        physics figures of the build (AUC, efficiencies), when it has labels
    vectors/            inputs, expected outputs, csim outputs, labels (.npy)
    rtl/                alkaid Verilog, rtl_check.json (Verilator), yosys_counts.json, fpga_nn_rtl.json
    report.json/.md/.html
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from .errors import UserInputError
from .jsonio import read_object

BUILD_RECORD = "build.json"
CSIM_CHECK = "csim_check.json"
METRICS = "metrics.json"
VECTORS = "vectors"
RTL = "rtl"
RTL_CHECK = "rtl_check.json"  # in rtl/
RTL_META = "fpga_nn_rtl.json"  # in rtl/
YOSYS_COUNTS = "yosys_counts.json"  # in rtl/
RTL_STATUS = "rtl_status.json"  # why there is no RTL simulation, when there is none
YOSYS_STATUS = "yosys_status.json"  # in rtl/: why there are no Yosys counts
LABELS, FLOAT_SCORES = "labels.npy", "float_scores.npy"  # in vectors/: what the report's physics reads
WORKING_POINT = "working_point.json"  # a study's rate-weighted working point (trigger-rate), when it wrote one
REPORT_JSON, REPORT_MD, REPORT_HTML = "report.json", "report.md", "report.html"
# what a build writes at the top of a project besides hls4ml's own files
TOP_LEVEL = (BUILD_RECORD, CSIM_CHECK, METRICS, VECTORS, RTL, REPORT_JSON, REPORT_MD, REPORT_HTML)


@dataclass(frozen=True)
class ProjectFiles:
    """The paths of one project folder ``root``."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def build_record(self) -> Path:
        return self.root / BUILD_RECORD

    @property
    def csim_check(self) -> Path:
        return self.root / CSIM_CHECK

    @property
    def metrics(self) -> Path:
        return self.root / METRICS

    @property
    def vectors(self) -> Path:
        return self.root / VECTORS

    @property
    def rtl(self) -> Path:
        return self.root / RTL

    @property
    def rtl_check(self) -> Path:
        return self.rtl / RTL_CHECK

    @property
    def yosys_counts(self) -> Path:
        return self.rtl / YOSYS_COUNTS

    @property
    def rtl_status(self) -> Path:
        return self.root / RTL_STATUS

    @property
    def working_point(self) -> Path:
        return self.root / WORKING_POINT

    @property
    def yosys_status(self) -> Path:
        return self.rtl / YOSYS_STATUS

    @property
    def report_json(self) -> Path:
        return self.root / REPORT_JSON

    @property
    def report_md(self) -> Path:
        return self.root / REPORT_MD

    @property
    def report_html(self) -> Path:
        return self.root / REPORT_HTML

    def read(self, record: type[R]) -> R | None:
        """The typed record ``record`` (e.g. :class:`RtlCheck`) of this project, None when its file is absent;
        a damaged file is one line naming it and the fix."""
        return read_record(getattr(self, record.FILE), record)

    def load(self) -> ProjectState:
        """Everything ``report`` needs, read from the folder (a build hands the same state over in memory)."""
        build = self.read(BuildRecord)
        if build is None:
            raise UserInputError(
                f"{self.root} is not an fpga-nn project (no build.json): build one with 'fpga-nn build'"
            )
        status = read_object(self.rtl_status, "rebuild the project") if self.rtl_status.is_file() else {}
        point = read_object(self.working_point, "rerun the study") if self.working_point.is_file() else None
        labels, scores = None, {}
        if (self.vectors / LABELS).is_file():
            import numpy as np

            labels = np.load(self.vectors / LABELS)
            scores = {"firmware (csim)": np.load(self.vectors / "csim.npy")}
            scores["quantized"] = np.load(self.vectors / "expected.npy")
            if (self.vectors / FLOAT_SCORES).is_file():
                scores["float"] = np.load(self.vectors / FLOAT_SCORES)
        return ProjectState(
            build,
            self.read(CsimCheck),
            self.read(RtlCheck),
            self.read(YosysCounts),
            status.get("message"),
            labels,
            scores,
            point,
        )


# Typed views of the records a build writes: the fields the report and the other readers rely on (a record
# file holds more; those are kept in it for people to read).


@dataclass(frozen=True)
class BuildRecord:
    FILE: typing.ClassVar[str] = "build_record"
    project_name: str
    part: str
    backend: str
    io_type: str
    clock_period_ns: float
    rtl_scope: str | None = None
    csim_source: str = "hls4ml C-simulation (g++)"  # what C-simulated the firmware
    rtl_source: str = "alkaid Verilog"  # what the RTL figures describe


@dataclass(frozen=True)
class StageFeature:
    """One input feature of the declared input stage: how the firmware computes it, and its check."""

    kind: str  # wire, affine or table
    bits: int
    mismatched_events: int


@dataclass(frozen=True)
class InputStageCheck:
    """The input stage's own C-simulation against the declared preprocessing (csim_check.json's input_stage)."""

    declaration: str
    input_type: str
    features: typing.Mapping[str, StageFeature]
    events: int
    mismatches: int

    def __post_init__(self):
        features = {
            name: f if isinstance(f, StageFeature) else record_from(f, StageFeature, "an input-stage check is damaged")
            for name, f in dict(self.features).items()
        }
        object.__setattr__(self, "features", features)


@dataclass(frozen=True)
class CsimCheck:
    FILE: typing.ClassVar[str] = "csim_check"
    LOST: typing.ClassVar[str] = "the bit accuracy is unknown; "
    events: int
    mismatches: int
    input_stage: InputStageCheck | None = None


@dataclass(frozen=True)
class RtlCheck:
    FILE: typing.ClassVar[str] = "rtl_check"
    events: int
    mismatches_offline: int
    mismatches_csim: int | None
    latency_cycles: int
    latency_ns: float
    initiation_interval: int
    clock_period_ns: float


@dataclass(frozen=True)
class YosysCounts:
    FILE: typing.ClassVar[str] = "yosys_counts"
    lut: int
    inv: int
    ff: int
    carry: int
    dsp: int
    bram: int
    family: str
    note: str


@dataclass(frozen=True)
class ProjectState:
    """What a project holds for its report: the typed records (None when absent), why there is no RTL
    simulation (``rtl_status``), and the physics arrays: ``labels`` and ``scores`` by name ("firmware (csim)",
    "quantized", "float"), present when the build had labels; a study's ``working_point`` (rates from its stream's
    weights)."""

    build: BuildRecord
    csim: CsimCheck | None
    rtl: RtlCheck | None
    yosys: YosysCounts | None
    rtl_status: str | None = None
    labels: typing.Any = None
    scores: typing.Mapping[str, typing.Any] = dataclasses.field(default_factory=dict)
    working_point: typing.Mapping | None = None  # rate, efficiency and gains from a weighted stream


R = typing.TypeVar("R", BuildRecord, CsimCheck, RtlCheck, YosysCounts, InputStageCheck, StageFeature)
_KINDS = {int: (int,), float: (int, float), str: (str,), dict: (dict,), typing.Mapping: (dict,)}


def _accepts(annotation, value) -> bool:
    if isinstance(value, bool):
        return False
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(
        value is None if kind is type(None) else isinstance(value, _KINDS.get(typing.get_origin(kind) or kind, (dict,)))
        for kind in options
    )


def _nested(annotation) -> type | None:
    """The record type a field holds (``InputStageCheck | None`` -> InputStageCheck), or None."""
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return next((kind for kind in options if dataclasses.is_dataclass(kind)), None)


def read_record(path: Path, record: type[R]) -> R | None:
    """``record`` from the JSON file ``path`` (None when there is no file); extra keys are ignored, a missing or
    mistyped field is a one-line error naming the file, the field and the fix."""
    if not Path(path).is_file():
        return None
    fix = getattr(record, "LOST", "") + "rebuild the project with 'fpga-nn build --force'"
    return record_from(read_object(path, fix), record, f"{path} is damaged", fix)


def record_from(data: typing.Mapping, record: type[R], damaged: str = "a build record is damaged", fix: str = "") -> R:
    """``record`` from a mapping that may hold more keys (a build's in-memory dicts, a file's JSON)."""
    fix = fix or "rebuild the project with 'fpga-nn build --force'"
    hints = typing.get_type_hints(record)
    values = {}
    for field in dataclasses.fields(record):
        if field.name not in data:
            if field.default is not dataclasses.MISSING:
                continue
            raise UserInputError(f"{damaged} (no '{field.name}'): {fix}")
        if not _accepts(hints[field.name], data[field.name]):
            raise UserInputError(f"{damaged} ('{field.name}' = {data[field.name]!r}): {fix}")
        value, nested = data[field.name], _nested(hints[field.name])
        values[field.name] = record_from(value, nested, damaged, fix) if nested and isinstance(value, dict) else value
    return record(**values)
