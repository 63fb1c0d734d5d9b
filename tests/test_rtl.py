"""Open-source RTL path (alkaid): round-half-even tracing, stream alignment, the default build's figures."""

import json
import shutil

import numpy as np
import pytest

from fpga_nn.hardware import rtl
from fpga_nn.hardware.yosys import count, yosys_family


def test_match_stream_finds_latency_and_respects_hold():
    expected = np.arange(1, 21, dtype=float).reshape(-1, 1)
    stream = np.zeros((20 * 2 + 10, 1))
    stream[5 + np.arange(20) * 2] = expected  # II 2, latency 5
    assert rtl.match_stream(stream, expected, hold=2) == 5
    assert rtl.match_stream(stream, expected, hold=1) is None


def test_output_codes_are_twos_complement():
    meta = {"output_kif": [1, 3, 4]}
    raw = np.array([[0], [1], [127], [128], [255]], dtype=np.int64)
    np.testing.assert_array_equal(rtl.from_output_codes(raw, meta).ravel(), [0, 1 / 16, 127 / 16, -8, -1 / 16])


def test_round_half_even_matches_numpy_and_differs_from_half_up():
    """QKeras rounds half to even (tf.round): alkaid's RND_CONV must give the same on every tie."""
    from alkaid.trace import FVArray, HWConfig, trace

    # every signed 8-bit value with 4 fractional bits, rounded to 1 fractional bit
    inp = FVArray.from_kif(np.ones(1, int), np.full(1, 3), np.full(1, 4), hwconf=HWConfig(1, -1, -1))
    x = np.arange(-128, 128).reshape(-1, 1) / 16
    even = trace(inp, inp.quantize(1, 3, 1, "SAT", "RND_CONV")).predict(x).ravel()
    half_up = trace(inp, inp.quantize(1, 3, 1, "SAT", "RND")).predict(x).ravel()
    np.testing.assert_array_equal(even, np.clip(np.round(x.ravel() * 2) / 2, -8, 7.5))
    assert np.sum(even != half_up) == 16  # the ties at an even multiple of 0.5 ...0.25 + k*1.0


def test_model_trace_equals_qkeras_without_verilator(rng):
    """The traced logic of a QKeras net, run by alkaid's interpreter, equals QKeras bit for bit."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    from tensorflow import keras

    from fpga_nn.convert.to_rtl import trace_model
    from fpga_nn.fixed import FixedType

    q = quantized_bits(6, 0, alpha=1)
    model = keras.Sequential(
        [
            keras.Input((7,)),
            QDense(9, kernel_quantizer=q, bias_quantizer=q),
            QActivation(quantized_relu(6, 2)),
            QDense(3, kernel_quantizer=q, bias_quantizer=q),
            QActivation(quantized_bits(8, 3, alpha=1)),
        ]
    )
    model.set_weights([rng.normal(0, 0.6, w.shape) for w in model.get_weights()])
    x = rng.integers(0, 256, (4000, 7)) / 256
    comb = trace_model(model, FixedType(False, 8, 0))
    np.testing.assert_array_equal(comb.predict(x), model.predict(x, verbose=0))
    figures = rtl.estimate(comb)
    assert figures["cost"] == float(comb.cost) > 0 and figures["stages"] >= 1


def test_yosys_family_and_counts():
    assert yosys_family("xcvu13p-flga2577-2-e") == "xcup"
    assert yosys_family("xcku115-flvb2104-2-i") == "xcu"
    assert yosys_family("xc7z020clg400-1") == "xc7"
    c = count(
        {"LUT2": 5, "LUT6": 2, "INV": 1, "FDRE": 7, "FDSE": 1, "CARRY8": 3, "DSP48E2": 2, "MUXF7": 1, "IBUF": 9}, "xcup"
    )
    assert (c.lut, c.inv, c.ff, c.carry, c.dsp, c.muxf) == (7, 1, 8, 3, 2, 1)


@pytest.mark.slow
@pytest.mark.csim
@pytest.mark.rtl
def test_default_build_rtl_figures(default_build):
    """Consistency of the RTL figures across files; their exact values are in test_baselines.py."""
    check = json.loads((default_build / "rtl" / "rtl_check.json").read_text())
    assert check["events"] == 11_718
    assert check["mismatches_offline"] == 0 and check["mismatches_csim"] == 0
    assert check["initiation_interval"] == 1
    assert check["latency_cycles"] == check["stages"]  # one register stage per cycle, no stall
    counts = json.loads((default_build / "rtl" / "yosys_counts.json").read_text())
    assert counts["dsp"] == 0  # distributed arithmetic: constant multiplications in LUTs
    report = json.loads((default_build / "report.json").read_text())
    assert report["latency"]["cycles_max"] == check["latency_cycles"]
    assert report["latency"]["ii"] == 1
    assert report["latency"]["source"].startswith("RTL simulation")
    yosys_row = [r for r in report["resources"] if r["source"].startswith("Yosys")]
    assert yosys_row and yosys_row[0]["lut"] == counts["lut"] and yosys_row[0]["dsp"] == 0
    assert yosys_row[0]["inv"] == counts["inv"] and counts["inv"] + counts["lut"] == sum(
        n for c, n in counts["cells"].items() if c.startswith("LUT") or c == "INV"
    )
    assert yosys_row[0]["utilization_pct"]["lut"] == round(100 * counts["lut"] / 1_728_000, 4)
    wps = [w for w in report["physics"]["working_points"] if w["model"] == "firmware (csim)"]
    assert [w["target_background_efficiency"] for w in wps] == [0.01, 0.05, 0.10]
    for w in wps:
        assert w["trigger_rate_khz"] == pytest.approx(w["background_efficiency"] * 1000.0)
    html = (default_build / "report.html").read_text()
    assert "data:image/png;base64," in html and "RTL simulation" in html and "Yosys" in html


@pytest.mark.slow
def test_report_prefers_vendor_figures_and_names_sources(default_build, tmp_path):
    from fpga_nn.reports.report import write

    project = tmp_path / "trigger"
    shutil.copytree(default_build, project)
    rep = project / "trigger_prj" / "solution1" / "syn" / "report"
    rep.mkdir(parents=True)
    data = __import__("pathlib").Path(__file__).parent / "data" / "vivado-hls-2020.1"
    shutil.copy(data / "myproject_csynth.xml", rep / "trigger_csynth.xml")
    shutil.copy(data / "vivado_synth.rpt", project / "vivado_synth.rpt")
    r = write(project, input_rate_khz=250.0)
    assert r["latency"]["source"] == "vendor csynth (trigger_csynth.xml)"
    assert (r["latency"]["cycles_max"], r["latency"]["ii"], r["latency"]["ns_max"]) == (10, 8, 50.0)
    sources = [row["source"] for row in r["resources"]]
    assert sources[0] == "vendor synthesis (vivado_synth.rpt)" and sources[1].startswith("vendor csynth estimate")
    assert sources[2].startswith("Yosys")
    assert (r["resources"][0]["lut"], r["resources"][0]["ff"], r["resources"][0]["dsp"]) == (1526, 2428, 66)
    assert r["physics"]["input_rate_khz"] == 250.0
    assert "report_roc.png" in {p.name for p in (project / "plots").iterdir()}


@pytest.mark.slow
def test_report_without_rtl_still_appears(default_build, tmp_path, capsys):
    from fpga_nn.cli import main

    project = tmp_path / "p"
    shutil.copytree(default_build, project)
    shutil.rmtree(project / "rtl")
    (project / "rtl_status.json").write_text(json.dumps({"message": "RTL path not available: 'yosys' not found"}))
    assert main(["report", str(project)]) == 0
    out = capsys.readouterr().out
    assert "note: RTL path not available: 'yosys' not found" in out
    r = json.loads((project / "report.json").read_text())
    assert r["latency"] is None and r["resources"] == []
    metrics = json.loads((project / "metrics.json").read_text())
    assert r["csim"]["mismatches"] == 0 and r["physics"]["auc"]["firmware (csim)"] == metrics["csim"]["auc"]


@pytest.mark.parametrize("spelling", ["string", "object"])
def test_activation_type_reads_string_quantizers(spelling):
    """Users (and JSON-reloaded models) give QActivation its quantizer as a string: the RTL trace must
    read the same (k, i, f) as from the object (it saw a `str` and gave up on every such model)."""
    from qkeras import QActivation, quantized_bits, quantized_relu

    from fpga_nn.convert.to_rtl import _activation_type

    relu = QActivation("quantized_relu(6)" if spelling == "string" else quantized_relu(6), name="r")
    bits = QActivation(
        "quantized_bits(8,3,alpha=1)" if spelling == "string" else quantized_bits(8, 3, alpha=1), name="b"
    )
    assert _activation_type(relu) == (0, 0, 6)
    assert _activation_type(bits) == (1, 3, 4)
