"""Tree ensembles: each library's margin reproduced, every branch kept on the input grid, the conifer
C-simulation and conifer's VHDL (GHDL, Verilator) equal to the emulator, and one-line refusals."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.convert import tree_types
from fpga_nn.fixed import FixedType
from fpga_nn.frontends import trees
from fpga_nn.verify import trees as emulator

PART = "xcvu13p-flga2577-2-e"


def _data(n=3000, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features))
    y = (x[:, 0] + x[:, 1] * x[:, 2] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return x, y


def _models(x, y):
    import xgboost as xgb
    from sklearn.ensemble import (
        AdaBoostClassifier,
        GradientBoostingClassifier,
        GradientBoostingRegressor,
        RandomForestClassifier,
    )
    from sklearn.tree import DecisionTreeClassifier

    return [
        xgb.XGBClassifier(n_estimators=25, max_depth=4, random_state=0, n_jobs=1).fit(x, y),
        GradientBoostingClassifier(n_estimators=15, max_depth=3, random_state=0).fit(x, y),
        RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0, n_jobs=1).fit(x, y),
        AdaBoostClassifier(DecisionTreeClassifier(max_depth=2), n_estimators=12, random_state=0).fit(x, y),
        GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0).fit(x, x[:, 0] * 2),
        # trained on data on a 1/8 grid: XGBoost's cuts are data values, so its thresholds sit on the input grid
        # and an event equal to one must go right (x < t is false)
        xgb.XGBClassifier(n_estimators=10, max_depth=3, random_state=0, n_jobs=1).fit(np.round(x * 8) / 8, y),
    ]


@pytest.fixture(scope="module")
def fitted():
    x, y = _data()
    return x, _models(x, y)


def test_each_library_margin_is_reproduced(fitted):
    """The neutral ensemble computes the library's own score (XGBoost: float32 sums, hence 1e-5)."""
    x, models = fitted
    for m in models:
        e = trees.from_model(m)
        np.testing.assert_allclose(e.margin(x), trees.library_margin(m, x, e), rtol=0, atol=1e-5, err_msg=str(m))
    assert [trees.from_model(m).convention for m in models] == ["<", "<=", "<=", "<=", "<=", "<"]


def _threshold_probe(e, q, t: FixedType, n_features: int) -> np.ndarray:
    """Events with every feature on, one step below and one above every threshold code on the grid of ``t``."""
    edges = np.concatenate([thr[tr.left >= 0] for tr, thr in zip(e.trees, q.thresholds, strict=True)])
    steps = np.unique(np.concatenate([edges - 1, edges, edges + 1])) * t.lsb
    return np.repeat(steps[:, None], n_features, axis=1)


@pytest.mark.parametrize("input_type", ["ap_fixed<16,3>", "ap_fixed<8,3>", "ap_fixed<6,2>"])
def test_threshold_codes_take_the_float_models_branch_at_every_node(fitted, input_type):
    """On the input grid the integer comparison goes where the library's float comparison goes, at every node
    of every tree, events sitting exactly on (and one step beside) every threshold included: the emulator's
    score code equals the sum of the rounded leaf codes of the leaves the float model reaches."""
    x, models = fitted
    t = FixedType.parse(input_type)
    for m in models:
        e = trees.from_model(m)
        q = tree_types.quantize(e, tree_types.choose_types(e, x, t))
        xg = tree_types.to_grid(np.concatenate([x, _threshold_probe(e, q, t, x.shape[1])]), q.types.input)
        want = np.full(len(xg), q.base, dtype=np.int64)
        for tree, val in zip(e.trees, q.values, strict=True):
            want += val[trees.leaf_index(tree, xg.astype(np.float32).astype(np.float64), e.convention)]
        got = emulator.score_codes(q, tree_types.input_codes(xg, q.types.input))
        assert np.array_equal(got, want), m


@pytest.mark.parametrize("input_type, source", [("ap_fixed<8,3>", None), ("ap_fixed<6,2>", "ap_fixed<10,4>")])
def test_alkaid_logic_of_the_trees_equals_the_emulator_at_every_threshold(fitted, input_type, source):
    """The traced logic (scan cost, leaner RTL) computes the emulator's score on every event, events on and
    beside every threshold included; with a wider source type it first rounds the inputs as to_grid does."""
    from fpga_nn.convert.tree_trace import trace_ensemble

    x, models = fitted
    t = FixedType.parse(input_type)
    src = FixedType.parse(source) if source else t
    for m in models:
        e = trees.from_model(m)
        q = tree_types.quantize(e, tree_types.choose_types(e, x, t))
        probe = _threshold_probe(e, q, t, x.shape[1])
        xs = tree_types.to_grid(np.concatenate([x, probe, 9 * x[:50]]), src)  # beyond the range: saturated
        want = emulator.emulate(q, tree_types.to_grid(xs, q.types.input))
        got = trace_ensemble(q, src if source else None).predict(xs).ravel()
        assert np.array_equal(got, want), m


def test_best_iteration_keeps_the_trees_predict_uses(tmp_path):
    import xgboost as xgb

    x, y = _data(seed=2)
    y = np.random.default_rng(3).integers(0, 2, len(y))  # noise: early stopping stops early
    m = xgb.XGBClassifier(n_estimators=40, max_depth=3, early_stopping_rounds=3, random_state=0, n_jobs=1)
    m.fit(x[:2000], y[:2000], eval_set=[(x[2000:], y[2000:])], verbose=False)
    m.save_model(tmp_path / "m.json")
    e, booster = trees.load(tmp_path / "m.json")
    assert len(e.trees) == m.best_iteration + 1 < 40 and "best_iteration" in e.notes[0]
    np.testing.assert_allclose(e.margin(x), m.predict(x, output_margin=True), atol=1e-5)


def test_a_score_type_that_cannot_hold_the_sums_is_refused(fitted):
    x, models = fitted
    e = trees.from_model(models[0])
    with pytest.raises(Exception, match=r"cannot hold the ensemble's sums .* give ap_fixed<\d+,\d+>"):
        tree_types.choose_types(e, x, None, FixedType.parse("ap_fixed<8,1>"))


@pytest.fixture(scope="module")
def xgb_file(tmp_path_factory):
    import xgboost as xgb

    d = tmp_path_factory.mktemp("xgb")
    x, y = _data(n=2500, seed=1)
    xgb.XGBClassifier(n_estimators=4, max_depth=2, random_state=0, n_jobs=1).fit(x[:1500], y[:1500]).save_model(
        d / "trees.json"
    )
    np.save(d / "x.npy", x[1500:])
    return d


@pytest.mark.csim
@pytest.mark.rtl
def test_an_xgboost_file_builds_bit_exact_with_rtl_figures(xgb_file, tmp_path, capsys):
    out = tmp_path / "prj"
    args = ["build", "--model", str(xgb_file / "trees.json"), "--data", str(xgb_file / "x.npy"), "--part", PART]
    assert main([*args, "--output-dir", str(out)]) == 0
    printed = capsys.readouterr().out
    check = json.loads((out / "csim_check.json").read_text())
    assert (check["events"], check["mismatches"]) == (1000, 0)
    assert check["reference"] == "fpga-nn's tree emulator" and check["float_agreement"]["worst_percent"] <= 1.0
    record = json.loads((out / "build.json").read_text())
    assert (record["family"], record["trees"], record["max_depth"]) == ("trees", 4, 2)
    codes = json.loads((out / "tree_codes.json").read_text())
    assert len(codes["trees"]) == 4 and codes["types"] == record["tree_types"]
    # the C-simulation, the emulator and the RTL agree on every event; latency and cells are measured
    assert np.array_equal(np.load(out / "vectors" / "csim.npy"), np.load(out / "vectors" / "expected.npy"))
    rtl = json.loads((out / "rtl" / "rtl_check.json").read_text())
    assert (rtl["events"], rtl["mismatches_offline"], rtl["mismatches_csim"]) == (1000, 0, 0)
    assert rtl["latency_cycles"] > 3 and rtl["initiation_interval"] == 1
    report = json.loads((out / "report.json").read_text())
    assert report["latency"]["source"] == "RTL simulation (Verilator, conifer VHDL (GHDL synth))"
    assert report["csim"]["source"].startswith("conifer HLS C-simulation")
    yosys = next(r for r in report["resources"] if r["source"].startswith("Yosys"))
    assert yosys["lut"] > 0 and yosys["ff"] > 0 and "conifer VHDL" in yosys["source"]
    assert "csim check: 0 mismatches / 1000 events (bit-exact against fpga-nn's tree emulator" in printed
    assert (out / "firmware" / "parameters.h").is_file() and (out / "build_hls.tcl").is_file()
    # fpga-nn emulate reads the project's tree_codes.json: the firmware's scores from the raw events, no model
    assert main(["emulate", str(out), "--data", str(xgb_file / "x.npy"), "--out", str(tmp_path / "y.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "y.npy").ravel(), np.load(out / "vectors" / "csim.npy"))
    # the folder alone gives the same report (fpga-nn report reads what the build wrote)
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["latency"] == report["latency"]


@pytest.mark.csim
@pytest.mark.rtl
def test_a_large_ensemble_gets_its_rtl_figures_from_alkaid_logic(xgb_file, tmp_path, capsys, monkeypatch):
    """Beyond VHDL_MAX_NODES (here: every ensemble) the RTL is alkaid's Verilog of the same integer trees:
    bit-exact against the emulator and the C-simulation on every event, in the cycles alkaid's pipeline has."""
    from fpga_nn.build import tree_model
    from fpga_nn.convert import conifer_project

    monkeypatch.setattr(tree_model, "VHDL_MAX_NODES", 0)
    # and the C-simulation in 3 processes on consecutive slices, put back in order (as a suite-size run does)
    monkeypatch.setattr(conifer_project, "PARALLEL_EVENTS", 300)
    monkeypatch.setenv("FPGA_NN_JOBS", "3")
    out = tmp_path / "prj"
    args = ["build", "--model", str(xgb_file / "trees.json"), "--data", str(xgb_file / "x.npy"), "--part", PART]
    assert main([*args, "--output-dir", str(out)]) == 0
    check = json.loads((out / "csim_check.json").read_text())
    assert (check["events"], check["mismatches"]) == (1000, 0)
    rtl = json.loads((out / "rtl" / "rtl_check.json").read_text())
    assert (rtl["events"], rtl["mismatches_offline"], rtl["mismatches_csim"]) == (1000, 0, 0)
    assert rtl["latency_cycles"] == rtl["stages"] and rtl["initiation_interval"] == 1
    assert json.loads((out / "build.json").read_text())["rtl_source"] == "alkaid Verilog of the same integer trees"
    report = json.loads((out / "report.json").read_text())
    assert report["latency"]["source"] == "RTL simulation (Verilator, alkaid Verilog of the same integer trees)"
    yosys = next(r for r in report["resources"] if r["source"].startswith("Yosys"))
    assert yosys["lut"] > 0 and "alkaid Verilog" in yosys["source"]
    assert not (out / "rtl" / "src" / "BDTTop.v").exists()  # conifer's VHDL path did not run


@pytest.mark.csim
def test_a_scikit_learn_pickle_builds_bit_exact(tmp_path, capsys):
    from sklearn.ensemble import RandomForestClassifier

    x, y = _data(n=1500, seed=4)
    m = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0, n_jobs=1).fit(x, y)
    (tmp_path / "rf.pkl").write_bytes(pickle.dumps(m))
    np.save(tmp_path / "x.npy", x[:500])
    args = ["build", "--model", str(tmp_path / "rf.pkl"), "--data", str(tmp_path / "x.npy"), "--part", PART]
    assert main([*args, "--input-precision", "ap_fixed<10,4>", "--no-rtl", "--output-dir", str(tmp_path / "p")]) == 0
    check = json.loads((tmp_path / "p" / "csim_check.json").read_text())
    assert (check["events"], check["mismatches"]) == (500, 0) and check["input_type"] == "ap_fixed<10,4>"
    assert json.loads((tmp_path / "p" / "build.json").read_text())["model"].startswith("scikit-learn")


def _refusals(tmp_path):
    import xgboost as xgb
    from sklearn.linear_model import LogisticRegression

    x, y = _data(n=600, seed=5)
    three = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(x, three).save_model(tmp_path / "multi.json")
    xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1).fit(x, y).save_model(tmp_path / "ok.json")
    (tmp_path / "linear.pkl").write_bytes(pickle.dumps(LogisticRegression().fit(x, y)))
    (tmp_path / "broken.pkl").write_bytes(b"not a pickle")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "x3.npy", x[:, :3])
    return tmp_path


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["--model", "multi.json"], "3 classes"),
        (["--model", "linear.pkl"], "is a sklearn.LogisticRegression: fpga-nn builds XGBoost models and scikit-learn"),
        (["--model", "broken.pkl"], "could not be unpickled"),
        (["--model", "ok.json", "--data", "x3.npy"], "the ensemble takes 4 features"),
        (["--model", "ok.json", "--name", "bdt"], "project name 'bdt' is a name conifer's C++ uses itself"),
        (["--model", "ok.json", "--io-type", "io_stream"], "--io-type io_stream is for networks"),
        (["--model", "ok.json", "--precision", "ap_fixed<6,1>"], "cannot hold the ensemble's sums"),
        (["--model", "ok.json", "--weights", "x.npy"], "--weights is for Keras models"),
    ],
    ids=[
        "multiclass",
        "not-trees",
        "broken-pickle",
        "features",
        "reserved-name",
        "io-stream",
        "narrow-score",
        "weights",
    ],
)
def test_bad_tree_builds_are_one_line_and_write_nothing(tmp_path, capsys, argv, phrase):
    d = _refusals(tmp_path)
    argv = [a if not a.endswith((".json", ".pkl", ".npy")) else str(d / a) for a in argv]
    if "--data" not in argv:
        argv += ["--data", str(d / "x.npy")]
    before = sorted(p.name for p in d.iterdir())
    assert main(["build", *argv, "--part", PART, "--output-dir", str(d / "out")]) != 0
    err = capsys.readouterr().err.strip()
    assert phrase in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in d.iterdir()) == before  # no project folder, nothing touched


@pytest.mark.csim
def test_a_large_test_set_is_emulated_whole_and_c_simulated_in_part(tmp_path, fitted):
    """A study's tree firmware (``TreeModel.csim_events``): the first N events C-simulated against the emulator,
    every event emulated and compared with the float model."""
    from fpga_nn.build.core import run_build
    from fpga_nn.build.firmware import BuildOptions
    from fpga_nn.build.tree_model import FAMILY, TreeModel

    x, models = fitted
    m = models[1]  # GradientBoosting
    opts = BuildOptions(part=PART, name="gb", output_dir=tmp_path / "gb", rtl=False)
    built = run_build("model", TreeModel(trees.from_model(m), m, csim_events=200), x[:900], None, opts, family=FAMILY)
    s = built.check
    assert (s["events"], s["mismatches"], s["emulated_events"]) == (200, 0, 900)
    assert s["float_agreement"]["events"] == 900 and len(np.load(tmp_path / "gb" / "vectors" / "csim.npy")) == 200
