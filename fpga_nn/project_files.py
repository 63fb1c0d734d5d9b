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

from dataclasses import dataclass
from pathlib import Path

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
