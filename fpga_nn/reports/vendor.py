"""Typed records parsed from Xilinx HLS and Vivado report files.

``csynth.xml`` (C synthesis: latency, interval, estimated resources) is preferred; the text
``csynth.rpt`` is read when the XML is absent. ``report_utilization`` text files give post-
synthesis LUT/FF/DSP/BRAM counts. The parsers are tested on real Vivado HLS 2020.1 files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

from ..errors import UserInputError


class Resources(NamedTuple):
    """Counts of FPGA resources; BRAM in 18 Kb halves as the HLS reports count them."""

    lut: int
    ff: int
    dsp: int
    bram_18k: int
    uram: int = 0

    def utilization(self, available: Resources) -> dict[str, float | None]:
        pairs = zip(self._fields, self, available, strict=True)
        return {k: (round(100.0 * v / a, 2) if a else None) for k, v, a in pairs}


class Latency(NamedTuple):
    min_cycles: int
    max_cycles: int
    interval_min: int
    interval_max: int
    target_clock_ns: float
    estimated_clock_ns: float | None

    @property
    def min_ns(self) -> float:
        return self.min_cycles * self.target_clock_ns

    @property
    def max_ns(self) -> float:
        return self.max_cycles * self.target_clock_ns


class CSynthReport(NamedTuple):
    source: str  # file the figures came from
    top: str | None
    part: str | None
    latency: Latency
    used: Resources
    available: Resources


class SynthUtilization(NamedTuple):
    source: str
    part: str | None
    used: Resources
    available: Resources


def _int(text: str | None) -> int:
    return int(text.strip()) if text and text.strip() not in ("-", "") else 0


def parse_csynth_xml(path: str | Path) -> CSynthReport:
    path = Path(path)
    root = ET.parse(path).getroot()

    def find(tag: str) -> str | None:
        el = root.find(f".//{tag}")
        return el.text if el is not None else None

    def resources(section: str) -> Resources:
        sec = root.find(f".//AreaEstimates/{section}")
        if sec is None:
            raise UserInputError(f"{path}: no AreaEstimates/{section} section: is this a csynth.xml?")
        dsp = sec.findtext("DSP48E") or sec.findtext("DSP") or "0"
        return Resources(
            _int(sec.findtext("LUT")),
            _int(sec.findtext("FF")),
            _int(dsp),
            _int(sec.findtext("BRAM_18K")),
            _int(sec.findtext("URAM")),
        )

    lat = root.find(".//PerformanceEstimates/SummaryOfOverallLatency")
    if lat is None:
        raise UserInputError(f"{path}: no latency summary: is this a csynth.xml?")
    est = find("EstimatedClockPeriod")
    latency = Latency(
        _int(lat.findtext("Best-caseLatency")),
        _int(lat.findtext("Worst-caseLatency")),
        _int(lat.findtext("Interval-min")),
        _int(lat.findtext("Interval-max")),
        float(find("TargetClockPeriod")),
        float(est) if est else None,
    )
    return CSynthReport(
        str(path), find("TopModelName"), find("Part"), latency, resources("Resources"), resources("AvailableResources")
    )


_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")


def _rows(text: str) -> list[list[str]]:
    return [[c.strip() for c in m.group(1).split("|")] for line in text.splitlines() if (m := _TABLE_ROW.match(line))]


def parse_csynth_rpt(path: str | Path) -> CSynthReport:
    """The text form of the C-synthesis report (used when no XML was kept)."""
    path = Path(path)
    text = path.read_text()
    clock = re.search(r"\|\s*ap_clk\s*\|\s*([\d.]+)\s*ns\s*\|\s*([\d.]+)\s*ns", text)
    after = text[text.find("+ Latency:") :] if "+ Latency:" in text else ""
    lat = re.search(r"^\s*\|\s*(\d+)\|\s*(\d+)\|[^|\n]*\|[^|\n]*\|\s*(\d+)\|\s*(\d+)\|", after, re.M)
    if clock is None or lat is None:
        raise UserInputError(f"{path}: no clock or latency summary found: is this a csynth.rpt?")
    total = avail = None
    for row in _rows(text):
        if row[0] == "Total" and total is None and len(row) == 6:
            total = row
        elif row[0] == "Available" and avail is None and len(row) == 6:
            avail = row

    def res(row):  # | Name | BRAM_18K | DSP48E | FF | LUT | URAM |
        return Resources(_int(row[4]), _int(row[3]), _int(row[2]), _int(row[1]), _int(row[5]))

    if total is None or avail is None:
        raise UserInputError(f"{path}: no utilization summary found")
    part = re.search(r"\* Target device:\s*(\S+)", text)
    top = re.search(r"== Vivado HLS Report for '([^']+)'|== Vitis HLS Report for '([^']+)'", text)
    latency = Latency(
        int(lat.group(1)),
        int(lat.group(2)),
        int(lat.group(3)),
        int(lat.group(4)),
        float(clock.group(1)),
        float(clock.group(2)),
    )
    return CSynthReport(
        str(path),
        (top.group(1) or top.group(2)) if top else None,
        part.group(1) if part else None,
        latency,
        res(total),
        res(avail),
    )


def parse_utilization_rpt(path: str | Path) -> SynthUtilization:
    """Vivado ``report_utilization`` after synthesis or implementation."""
    path = Path(path)
    text = path.read_text()
    table: dict[str, tuple[int, int]] = {}
    for row in _rows(text):
        if len(row) >= 5 and row[1].isdigit():
            name = row[0].rstrip("*").strip()
            table.setdefault(name, (int(row[1]), _int(row[3])))
    lut = table.get("Slice LUTs") or table.get("CLB LUTs")
    ff = table.get("Slice Registers") or table.get("CLB Registers")
    dsp = table.get("DSPs")
    bram = table.get("Block RAM Tile")
    if lut is None or ff is None:
        raise UserInputError(f"{path}: no LUT/register table found: is this a report_utilization file?")
    uram = table.get("URAM", (0, 0))
    dsp = dsp or (0, 0)
    bram = bram or (0, 0)
    used = Resources(lut[0], ff[0], dsp[0], 2 * bram[0], uram[0])
    available = Resources(lut[1], ff[1], dsp[1], 2 * bram[1], uram[1])
    device = re.search(r"\|\s*Device\s*:\s*(\S+)", text)
    return SynthUtilization(str(path), device.group(1) if device else None, used, available)
