"""Report parsers on real Vivado HLS 2020.1 files kept in tests/data (from hls4ml's public test data)."""

from pathlib import Path

import pytest

from fpga_nn.errors import ToolError, UserInputError
from fpga_nn.hardware import vendor
from fpga_nn.reports.vendor import Resources, parse_csynth_rpt, parse_csynth_xml, parse_utilization_rpt

DATA = Path(__file__).parent / "data" / "vivado-hls-2020.1"


@pytest.mark.parametrize(
    "parse, name",
    [(parse_csynth_xml, "myproject_csynth.xml"), (parse_csynth_rpt, "myproject_csynth.rpt")],
    ids=["xml", "rpt"],
)
def test_csynth(parse, name):
    r = parse(DATA / name)
    assert r.top == "myproject"
    assert r.part == "xc7z020-clg400-1"
    assert (r.latency.min_cycles, r.latency.max_cycles) == (10, 10)
    assert (r.latency.interval_min, r.latency.interval_max) == (8, 8)
    assert r.latency.target_clock_ns == 5.0 and r.latency.estimated_clock_ns == 4.049
    assert r.latency.max_ns == 50.0
    assert r.used == Resources(lut=2532, ff=7969, dsp=73, bram_18k=0, uram=0)
    assert r.available == Resources(lut=53200, ff=106400, dsp=220, bram_18k=280, uram=0)
    assert r.used.utilization(r.available)["dsp"] == 33.18


def test_xml_and_text_agree():
    a, b = parse_csynth_xml(DATA / "myproject_csynth.xml"), parse_csynth_rpt(DATA / "myproject_csynth.rpt")
    assert a._replace(source="") == b._replace(source="")


def test_logic_synthesis_utilization():
    u = parse_utilization_rpt(DATA / "vivado_synth.rpt")
    assert u.part == "7z020clg400-1"
    assert u.used == Resources(lut=1526, ff=2428, dsp=66, bram_18k=0, uram=0)
    assert u.available == Resources(lut=53200, ff=106400, dsp=220, bram_18k=280, uram=0)


@pytest.mark.parametrize("parse", [parse_csynth_xml, parse_csynth_rpt, parse_utilization_rpt])
def test_wrong_file_is_a_clear_error(parse, tmp_path):
    bad = tmp_path / "x.rpt"
    bad.write_text("<root><nothing/></root>" if parse is parse_csynth_xml else "not a report\n")
    with pytest.raises(UserInputError, match="x.rpt"):
        parse(bad)


def test_missing_vendor_tool_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert vendor.available("Vitis") is None
    with pytest.raises(ToolError, match="vitis-run or vitis_hls is not on PATH"):
        vendor.run_synthesis(tmp_path, "Vitis")
    assert "vivado_hls" in vendor.missing_message("Vivado")


def test_vendor_run_uses_the_tool_and_reads_its_reports(tmp_path, monkeypatch):
    """A stand-in vitis_hls on PATH: the run is made in the project with the build options written."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "vitis_hls"
    fake.write_text('#!/bin/sh\necho "$@" > called.txt\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    project = tmp_path / "prj"
    project.mkdir()
    vendor.run_synthesis(project, "Vitis", logic_synthesis=True)
    assert (project / "called.txt").read_text().strip() == "-f build_prj.tcl"
    opts = (project / "build_opt.tcl").read_text()
    assert "csim       0" in opts and "synth      1" in opts and "vsynth     1" in opts
    rep = project / "prj_prj" / "solution1" / "syn" / "report"
    rep.mkdir(parents=True)
    (rep / "prj_csynth.xml").write_text((DATA / "myproject_csynth.xml").read_text())
    assert vendor.find_reports(project, "prj") == {"csynth_xml": rep / "prj_csynth.xml"}
