"""fpga-nn scan: config, points, Pareto front, a tiny scan on a 2-worker LocalCluster equal to a serial run."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from fpga_nn.cli import main
from fpga_nn.errors import UserInputError
from fpga_nn.scan import config as scan_config
from fpga_nn.scan.config import Hardware
from fpga_nn.scan.report import front, rtl_candidates

TINY = """
training: {epochs: 1, patience: 1}
grid:
  hidden: [[3]]
  weight_bits: [4, 6]
  weight_integer: [1]
  activation_bits: [6]
  activation_integer: [3]
  reuse_factor: [1]
  latency_cutoff: [7.0]
hgq2: {hidden: [[3]], beta: [1.0e-5], latency_cutoff: [7.0]}
trees: {n_estimators: [8], max_depth: [3], learning_rate: [0.3], input_bits: [6], score_fraction: [8],
        latency_cutoff: [7.0]}
hardware: {rtl_max_points: 0, rtl_near_front: 0.0}
"""


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("grid: {hiden: [[4]]}\n", "unknown key in 'grid' 'hiden' (did you mean 'hidden'?)"),
        ("grid: {hidden: [4, 6]}\n", "each 'hidden' entry is a list of widths"),
        ("grid: {weight_bits: []}\n", "grid 'weight_bits' must be a non-empty list"),
        ("schema: 2\n", "schema 2 is not 1"),
        ("sample: sobol\n", "'sample' = 'sobol' must be one of grid, random"),
        ("working_point: {trigger_rate_khz: 2000}\n", "trigger rate must lie between 0 and the input rate"),
        # silent wrong answers of the round-3 probe: each is now refused naming the key and the range
        ("grid: {latency_cutoff: [-1.0]}\n", "'grid.latency_cutoff' = -1.0 must be a finite number > 0"),
        ("training: {learning_rate: -1}\n", "'training.learning_rate' = -1 must be a finite number > 0 and <= 1"),
        ("grid: {reuse_factor: [0]}\n", "'grid.reuse_factor' = 0 must be an integer >= 1 and <= 1024"),
        ("training: {batch_size: 0}\n", "'training.batch_size' = 0 must be an integer >= 1"),
        ("n_random: 0\n", "'n_random' = 0 must be an integer >= 1"),
        ("hardware: {rtl_max_points: -1}\n", "'hardware.rtl_max_points' = -1 must be an integer >= 0"),
        ("training: {epochs: ten}\n", "'training.epochs' = 'ten' must be an integer >= 1"),
        ("training: {epochs: true}\n", "'training.epochs' = True must be an integer >= 1"),
        ("training: [1, 2]\n", "'training' = [1, 2] must be a mapping of keys"),
        ("working_point: {input_rate_khz: .nan}\n", "'working_point.input_rate_khz' = nan must be a finite number > 0"),
        ("grid: {weight_bits: [4], weight_integer: [5]}\n", "weight_integer exceeds a weight_bits"),
        # the HGQ2 family's section
        ("hgq2: {hiden: [[4]]}\n", "unknown key in 'hgq2' 'hiden' (did you mean 'hidden'?)"),
        ("hgq2: {beta: [-1.0e-5]}\n", "'hgq2.beta' = -1e-05 must be a finite number >= 0"),
        ("hgq2: {beta: 1.0e-5}\n", "'hgq2.beta' must be a non-empty list of values"),
        ("hgq2: {hidden: [6]}\n", "'hgq2.hidden' = 6 must be a list of widths"),
        ("hgq2: {model: mynet}\n", "hgq2.model 'mynet' is neither 'trigger' nor 'module:function'"),
        ("hgq2: [1]\n", "'hgq2' = [1] must be a mapping of keys"),
        ("grid: null\nhgq2: null\ntrees: null\n", "'grid', 'hgq2' and 'trees' are all null"),
        ("trees: {max_depth: [0]}\n", "'trees.max_depth' = 0 must be an integer >= 1 and <= 10"),
    ],
)
def test_scan_config_errors_name_the_key(tmp_path, text, phrase):
    path = tmp_path / "scan.yaml"
    path.write_text(text)
    with pytest.raises(UserInputError, match=re.escape(phrase)):
        scan_config.load_config(path)


def test_points_cover_the_grid_and_ids_follow_every_setting(tmp_path):
    cfg = scan_config.load_config()
    n_qkeras = n_hgq2 = n_trees = 1
    for axis in scan_config.AXES:
        n_qkeras *= len(getattr(cfg.grid, axis))
    for axis in scan_config.HGQ2_AXES:
        n_hgq2 *= len(getattr(cfg.hgq2, axis))
    for axis in scan_config.TREE_AXES:
        n_trees *= len(getattr(cfg.trees, axis))
    n = n_qkeras + n_hgq2 + n_trees
    pts = scan_config.points(cfg)
    assert len(pts) == n and len({json.dumps(p, sort_keys=True) for p in pts}) == n
    assert [scan_config.family(p) for p in pts] == ["qkeras"] * n_qkeras + ["hgq2"] * n_hgq2 + ["trees"] * n_trees
    assert sorted({p["beta"] for p in pts[n_qkeras : n_qkeras + n_hgq2]}) == sorted(cfg.hgq2.beta)
    assert n_trees == 18 and {p["max_depth"] for p in pts[-n_trees:]} == {2, 3, 4}
    path = tmp_path / "random.yaml"
    path.write_text("sample: random\nn_random: 5\n")
    drawn = scan_config.points(scan_config.load_config(path))
    assert len(drawn) == 5 and all(p in pts for p in drawn)
    ctx = {"data": "x"}
    ids = {scan_config.point_id(p, ctx) for p in pts}
    assert len(ids) == n  # every setting enters the id
    assert scan_config.point_id(pts[0], ctx) != scan_config.point_id(pts[0], {"data": "y"})
    # a QKeras point's id depends on neither the HGQ2 nor the trees section beside it, an HGQ2 point's does
    with_hgq2 = {**ctx, "hgq2": {"model": "trigger", "versions": {"hgq2": "0.2.0"}}}
    with_trees = {**with_hgq2, "trees": {"versions": {"xgboost": "3.2.0"}}}
    assert scan_config.point_id(pts[0], with_trees) == scan_config.point_id(pts[0], ctx)
    other = {**ctx, "hgq2": {"model": "a.b:c", "versions": {"hgq2": "0.2.0"}}}
    hgq = n_qkeras
    assert scan_config.point_id(pts[hgq], with_hgq2) != scan_config.point_id(pts[hgq], other)
    assert scan_config.point_id(pts[hgq], with_trees) == scan_config.point_id(pts[hgq], with_hgq2)
    # a tree point's depends on XGBoost's version, not on the networks' model functions
    tree, xgb_other = pts[-1], {**with_trees, "trees": {"versions": {"xgboost": "2.1.0"}}}
    assert scan_config.point_id(tree, with_trees) != scan_config.point_id(tree, xgb_other)
    assert scan_config.point_id(tree, with_trees) == scan_config.point_id(tree, {**with_trees, "model": "a.b:c"})
    path.write_text("grid: null\ntrees: null\n")  # HGQ2 points alone
    assert {scan_config.family(p) for p in scan_config.points(scan_config.load_config(path))} == {"hgq2"}


def _pt(pid, eff, cost, stages, ok=True):
    bad = 0 if ok else 1
    return {
        "id": pid,
        "efficiency": eff,
        "alkaid": {"cost": cost, "stages": stages},
        "checks": {"emulator_vs_qkeras_mismatches": bad, "alkaid_vs_emulator_mismatches": 0},
    }


def test_pareto_front_and_rtl_candidates():
    pts = [
        _pt("a", 0.50, 400, 2),
        _pt("b", 0.45, 100, 1),
        _pt("c", 0.44, 150, 1),  # dominated by b
        _pt("d", 0.49, 300, 3),  # less efficient than a but cheaper: on the front
        _pt("e", 0.60, 50, 1, ok=False),  # would dominate all, but its firmware check failed
        _pt("f", 0.495, 410, 2),  # dominated by a, within 0.01 of it
    ]
    assert sorted(front(pts)) == ["a", "b", "d"]
    assert rtl_candidates(pts, Hardware("xcvu13p-flga2577-2-e", 5.0, 0.01, 10)) == [
        "a",
        "d",
        "b",
        "f",
    ]  # c stays dominated by b
    assert rtl_candidates(pts, Hardware("xcvu13p-flga2577-2-e", 5.0, 0.0, 2)) == ["a", "d"]


def _comparable(out):
    record = json.loads((out / "results.json").read_text())
    return [{k: v for k, v in p.items() if k != "seconds"} for p in record["points"]], record["front"]


def test_the_cut_baseline_finds_the_best_window_on_one_input():
    import numpy as np

    from fpga_nn.reports.metrics import best_window_cut, window_efficiency

    # input 0: signal at 3..5 of 0..9, background flat; input 1: signal high, but 40 % of the background too
    sig0, bkg0 = [3, 4, 4, 5, 5, 5, 4, 3, 9, 0], list(range(10)) * 2
    sig1, bkg1 = [9] * 10, [9] * 8 + [0] * 12
    x = np.array([[a, b] for a, b in zip(sig0 + bkg0, sig1 + bkg1, strict=True)], dtype=float)
    y = np.array([1] * 10 + [0] * 20)
    cut = best_window_cut(x, y, 0.3, names=("a", "b"))
    # window 3 <= a <= 5 keeps 8 of 10 signal and 6 of 20 background (0.3); nothing on b passes 0.3
    assert cut == {
        "target_background_efficiency": 0.3,
        "input": "a",
        "low": 3.0,
        "high": 5.0,
        "signal_efficiency": 0.8,
        "background_efficiency": 0.3,
    }
    assert window_efficiency(x, y, cut, ("a", "b")) == {"signal_efficiency": 0.8, "background_efficiency": 0.3}
    loose = best_window_cut(x, y, 0.5, names=("a", "b"))  # one-sided: b >= 9 (no upper end), all signal
    assert (loose["input"], loose["low"], loose["high"], loose["signal_efficiency"]) == ("b", 9.0, None, 1.0)


@pytest.mark.slow
@pytest.mark.rtl
def test_tiny_scan_on_a_local_cluster_equals_a_serial_run_and_resumes(tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    assert main(["scan", str(config), "--serial", "--out", str(serial)]) == 0
    assert main(["scan", str(config), "--workers", "2", "--out", str(dask)]) == 0
    points, on_front = _comparable(dask)
    assert (points, on_front) == _comparable(serial)
    assert len(points) == 4 and all(p["valid"] for p in points)
    assert [p["family"] for p in points] == ["qkeras", "qkeras", "hgq2", "trees"]
    for p in points[:2]:  # firmware == QKeras == alkaid's interpreter on every test event
        assert p["checks"] == {"emulator_vs_qkeras_mismatches": 0, "alkaid_vs_emulator_mismatches": 0}
        assert p["efficiency"]["source"].startswith("bit-exact emulator")
    hgq = points[2]  # HGQ2: alkaid's interpreter of the traced logic == model.predict on every test event
    assert hgq["checks"] == {"interpreter_vs_model_mismatches": 0}
    assert hgq["efficiency"]["source"].startswith("alkaid interpreter") and hgq["ebops"]["value"] > 0
    assert hgq["settings"] == {"family": "hgq2", "hidden": [3], "beta": 1e-5, "reuse_factor": 1, "latency_cutoff": 7.0}
    tree = points[3]  # XGBoost: the tree emulator (== conifer's C-simulation) == alkaid's logic on every test event
    assert tree["checks"] == {"alkaid_vs_emulator_mismatches": 0} and tree["cost"]["value"] > 0
    assert tree["efficiency"]["source"].startswith("bit-exact tree emulator")
    assert tree["settings"]["n_estimators"] == 8 and tree["parameters"] > 8  # nodes of 8 trees
    for p in points:
        assert p["lut"]["value"] is None and p["lut"]["source"] == "not synthesized (off the front)"
    pareto = json.loads((dask / "pareto.json").read_text())
    eff = {p["id"]: p["efficiency"]["value"] for p in points}
    assert [p["id"] for p in pareto["front"]] == sorted(on_front, key=lambda i: -eff[i])
    assert (dask / "efficiency_vs_lut.png").stat().st_size > 1000
    assert "data:image/png;base64," in (dask / "index.html").read_text()
    base = json.loads((dask / "results.json").read_text())["baseline"]  # the cut every network should beat
    assert (
        base["input"] in ("lep1_pt", "lep2_pt", "photon_pt", "m_llg", "pt_t") and base["background_efficiency"] <= 0.05
    )
    assert 0 < base["test"]["signal_efficiency"] <= 1 and pareto["baseline"] == base

    # a killed scan: one point missing, a staging folder left behind; the rerun redoes only that point,
    # and (now asked for) runs Verilator and Yosys on every point, of both families
    best = max(on_front, key=lambda i: eff[i])
    lost = next(p["id"] for p in points if p["id"] != best)
    shutil.rmtree(serial / "points" / lost)
    (serial / "points" / f".{lost}.killed").mkdir()
    before = os.stat(serial / "points" / best / "result.json").st_mtime_ns
    config.write_text(TINY.replace("rtl_max_points: 0, rtl_near_front: 0.0", "rtl_max_points: 4, rtl_near_front: 1.0"))
    capsys.readouterr()
    assert main(["scan", str(config), "--serial", "--out", str(serial)]) == 0
    assert os.stat(serial / "points" / best / "result.json").st_mtime_ns == before
    assert not list((serial / "points").glob(".*"))
    again, _ = _comparable(serial)
    assert [p["id"] for p in again if p["lut"]["value"] is not None] == [p["id"] for p in points]
    for rtl in again:
        assert rtl["checks"]["rtl_mismatches"] == 0 and rtl["lut"]["source"].startswith("Yosys")
        assert rtl["latency_cycles"]["source"].startswith("RTL simulation")
        # alkaid's estimate is the pipeline it writes: Verilator measures exactly that many cycles
        assert rtl["latency_cycles"]["value"] == rtl["latency_cycles_estimate"]["value"]
    for p, q in zip(again, points, strict=True):  # everything else as before
        assert {
            k: v
            for k, v in p.items()
            if k not in ("lut", "inv", "ff", "dsp", "latency_cycles", "latency_ns", "ii", "checks")
        } == {
            k: v
            for k, v in q.items()
            if k not in ("lut", "inv", "ff", "dsp", "latency_cycles", "latency_ns", "ii", "checks")
        }
    kept = max((p for p in points if p["family"] == "qkeras"), key=lambda p: p["efficiency"]["value"])["id"]

    # the chosen point builds and verifies like any other build
    assert (
        main(
            [
                "build",
                "--from-scan",
                str(serial),
                "--point",
                kept,
                "--part",
                "xcvu13p-flga2577-2-e",
                "--no-rtl",
                "--output-dir",
                str(tmp_path / "prj"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    eff = next(p["efficiency"]["value"] for p in points if p["id"] == kept)
    assert "csim check: 0 mismatches / 11718 events" in out and f"(the scan's emulator gave {eff:.4f})" in out
    m = json.loads((tmp_path / "prj" / "metrics.json").read_text())
    assert m["csim"]["scan_working_point"]["signal_efficiency"] == eff
    stage = json.loads((tmp_path / "prj" / "csim_check.json").read_text())["input_stage"]
    assert stage["mismatches"] == 0 and stage["events"] == 11718  # the trigger's input stage, from the codes

    def build_point(point: dict, name: str):
        prj = tmp_path / name
        args = ["build", "--from-scan", str(serial), "--point", point["id"], "--part", "xcvu13p-flga2577-2-e"]
        assert main([*args, "--no-rtl", "--output-dir", str(prj)]) == 0
        return prj, capsys.readouterr().out

    # so does the HGQ2 point: hls4ml's C-simulation == model.predict == alkaid's interpreter on every event
    prj, out = build_point(hgq, "prj_hgq2")
    assert "csim check: 0 mismatches / 11718 events" in out
    assert f"(the scan's interpreter gave {hgq['efficiency']['value']:.4f})" in out
    check = json.loads((prj / "csim_check.json").read_text())
    assert check["family"] == "hgq2" and check["alkaid_interpreter"]["mismatches_vs_csim"] == 0
    assert (prj / "model.keras").is_file() and not (prj / "model.h5").exists()

    # and the tree point: conifer's C-simulation == the tree emulator that scored it, on every test event
    prj, out = build_point(tree, "prj_trees")
    assert "csim check: 0 mismatches / 11718 events (bit-exact against fpga-nn's tree emulator" in out
    assert f"(the scan's tree emulator gave {tree['efficiency']['value']:.4f})" in out
    m = json.loads((prj / "metrics.json").read_text())
    assert m["csim"]["scan_working_point"]["signal_efficiency"] == tree["efficiency"]["value"]
    assert json.loads((prj / "build.json").read_text())["input_type"] == "ap_fixed<7,1>"  # 6 bits and a sign


def test_a_config_names_any_model_building_function():
    from fpga_nn.scan.point import build_model

    settings = {
        "hidden": [5, 3],
        "weight_bits": 6,
        "weight_integer": 1,
        "activation_bits": [8, 6],
        "activation_integer": [3, 2],
        "reuse_factor": 1,
        "latency_cutoff": 7.0,
    }
    model = build_model("fpga_nn.models.trigger:trigger_mlp", settings)
    assert [layer.name for layer in model.layers] == [
        "inputs",
        "hidden1",
        "hidden1_relu",
        "hidden2",
        "hidden2_relu",
        "output",
        "score",
    ]
    assert model.get_layer("hidden2").units == 3
    q = model.get_layer("hidden2_relu").get_config()["activation"].get_config()
    assert (q["bits"], q["integer"]) == (6, 2)


def test_the_hgq2_trigger_and_a_wrong_family_function(tmp_path):
    from fpga_nn.scan.point import build_model

    settings = {"family": "hgq2", "hidden": [5, 3], "beta": 1e-4, "reuse_factor": 1, "latency_cutoff": 7.0}
    model = build_model("trigger", settings)
    assert [(type(layer).__name__, layer.units) for layer in model.layers] == [
        ("QDense", 5),
        ("QDense", 3),
        ("QDense", 1),
    ]
    assert all(float(layer.beta) == pytest.approx(1e-4, rel=1e-6) and layer.enable_ebops for layer in model.layers)
    mine = build_model("tests.scan_models:hgq2_net", settings)  # a user's HGQ2 model function, given hidden
    assert [layer.units for layer in mine.layers] == [5, 3, 1] and type(mine).__module__.startswith("keras")
    with pytest.raises(UserInputError, match=r"scan hgq2.model 'tests.scan_models:qkeras_net' returned .*not an HGQ2"):
        build_model("tests.scan_models:qkeras_net", settings)
    qkeras = {k: v for k, v in settings.items() if k not in ("family", "beta")}
    qkeras.update(weight_bits=6, weight_integer=1, activation_bits=8, activation_integer=3)
    with pytest.raises(UserInputError, match=r"scan model 'tests.scan_models:hgq2_net' returned .*not a QKeras"):
        build_model("tests.scan_models:hgq2_net", qkeras)


def test_an_unknown_or_failing_model_function_is_one_line(tmp_path, capsys):
    config = tmp_path / "scan.yaml"
    config.write_text("model: nosuch.module:net\n")
    assert main(["scan", str(config), "--serial", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scan model 'nosuch.module:net' not found" in err[0]
    from fpga_nn.scan.point import build_model

    with pytest.raises(
        UserInputError, match=r"scan model 'fpga_nn.models.trigger:trigger_mlp' failed for .*ValueError"
    ):
        build_model("fpga_nn.models.trigger:trigger_mlp", {"hidden": [4, 2], "activation_bits": [8]})
    with pytest.raises(
        UserInputError, match=r"scan model 'tests.scan_models:fails_silently' failed for .*: ValueError: ValueError$"
    ):
        build_model("tests.scan_models:fails_silently", {"hidden": [4]})
