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


@dataclass(frozen=True)
class CsimCheck:
    FILE: typing.ClassVar[str] = "csim_check"
    LOST: typing.ClassVar[str] = "the bit accuracy is unknown; "
    events: int
    mismatches: int
    input_stage: dict | None = None


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


R = typing.TypeVar("R", BuildRecord, CsimCheck, RtlCheck, YosysCounts)
_KINDS = {int: (int,), float: (int, float), str: (str,), dict: (dict,)}


def _accepts(annotation, value) -> bool:
    if isinstance(value, bool):
        return False
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(value is None if kind is type(None) else isinstance(value, _KINDS[kind]) for kind in options)


def read_record(path: Path, record: type[R]) -> R | None:
    """``record`` from the JSON file ``path`` (None when there is no file); extra keys are ignored, a missing or
    mistyped field is a one-line error naming the file, the field and the fix."""
    if not Path(path).is_file():
        return None
    fix = getattr(record, "LOST", "") + "rebuild the project with 'fpga-nn build --force'"
    data = read_object(path, fix)
    hints = typing.get_type_hints(record)
    values = {}
    for field in dataclasses.fields(record):
        if field.name not in data:
            if field.default is not dataclasses.MISSING:
                continue
            raise UserInputError(f"{path} is damaged (no '{field.name}'): {fix}")
        if not _accepts(hints[field.name], data[field.name]):
            raise UserInputError(f"{path} is damaged ('{field.name}' = {data[field.name]!r}): {fix}")
        values[field.name] = data[field.name]
    return record(**values)
