"""The reference suite: losses, figures of merit, and the --quick run end to end (firmware rows included)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fpga_nn.cli import main
from fpga_nn.reports import significance as sig


def _brute_dcor(x, y, w):
    p = w / w.sum()
    a, b = np.abs(x[:, None] - x[None]), np.abs(y[:, None] - y[None])

    def centre(m):
        r = m @ p
        return m - r[:, None] - r[None, :] + p @ r

    A, B = centre(a), centre(b)
    pp = p[:, None] * p[None]
    return np.sum(pp * A * B) / np.sqrt(np.sum(pp * A * A) * np.sum(pp * B * B))


def test_distance_correlation_exact():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = x**2 + 0.3 * rng.normal(size=300)
    w = rng.poisson(1.0, 300) + 0.5
    assert sig.distance_correlation_sq(x, y, w, block=64) == pytest.approx(_brute_dcor(x, y, w), rel=1e-10)
    assert sig.distance_correlation_sq(x, 2 * x + 3) == pytest.approx(1.0, rel=1e-12)
    # with ties in the data too (the sort-based row means)
    xt = np.round(x, 1)
    assert sig.distance_correlation_sq(xt, y) == pytest.approx(_brute_dcor(xt, y, np.ones(300)), rel=1e-10)


def _u_centred_dcor(x, y):
    """Szekely and Rizzo's U-centred dCor^2, from the matrices (Ann. Statist. 42 (2014) 2382, eq. 2.3)."""
    n = len(x)

    def u(m):
        r = m.sum(axis=1)
        out = m - r[:, None] / (n - 2) - r[None, :] / (n - 2) + m.sum() / ((n - 1) * (n - 2))
        np.fill_diagonal(out, 0.0)
        return out

    A, B = u(np.abs(x[:, None] - x[None])), u(np.abs(y[:, None] - y[None]))
    return np.sum(A * B) / np.sqrt(np.sum(A * A) * np.sum(B * B))


def test_the_u_centred_distance_correlation_is_exact_and_unbiased():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    y = np.abs(x) + 0.5 * rng.normal(size=200)
    got = sig.distance_correlation_sq(x, y, block=48, unbiased=True)
    assert got == pytest.approx(_u_centred_dcor(x, y), rel=1e-10)
    # integer weights count events: the same as the sample with each event repeated
    k = rng.integers(1, 4, 200)
    assert sig.distance_correlation_sq(x, y, k, unbiased=True) == pytest.approx(
        _u_centred_dcor(np.repeat(x, k), np.repeat(y, k)), rel=1e-10
    )
    # independent variables: the V-statistic sits at its bias, the U-centred estimate around zero
    v, u = [], []
    for _ in range(40):
        a, b = rng.normal(size=(2, 400))
        v.append(sig.distance_correlation_sq(a, b))
        u.append(sig.distance_correlation_sq(a, b, unbiased=True))
    assert np.mean(v) > 5 * np.std(v) / np.sqrt(40) and abs(np.mean(u)) < 3 * np.std(u) / np.sqrt(40)


@pytest.mark.parametrize("keras_name", ["keras", "tf_keras"])
def test_disco_loss_equals_numpy(keras_name):
    """The DisCo term in Keras 3's ops (float rows, any backend) and in TensorFlow's (QKeras rows)."""
    import tensorflow as tf

    from fpga_nn.training.losses import disco, ops_for

    rng = np.random.default_rng(1)
    m = rng.uniform(100, 180, 256)
    s = 1 / (1 + np.exp(-(m - 140) / 20 + rng.normal(size=256)))
    w = (rng.uniform(size=256) < 0.6).astype(np.float64)  # background mask as weights
    ops = ops_for(keras_name)
    args = (m, s, w) if keras_name == "keras" else (tf.constant(m), tf.constant(s), tf.constant(w))
    got = float(np.asarray(disco(*args, ops=ops)))
    assert got == pytest.approx(sig.distance_correlation_sq(m[w > 0], s[w > 0]), rel=1e-9)


@pytest.mark.parametrize("keras_name", ["keras", "tf_keras"])
def test_extreme_and_bce_losses_are_the_seed_formulas_and_proper(keras_name):
    import tensorflow as tf

    from fpga_nn.training.losses import bce_terms, extreme_terms, ops_for

    ops = ops_for(keras_name)
    const = (lambda a: a) if keras_name == "keras" else tf.constant

    def terms(f, y, z):
        return np.asarray(f(const(np.full_like(z, y)), const(z), ops))

    z = np.linspace(-6, 6, 49)
    p = 1 / (1 + np.exp(-z))
    for y in (0.0, 1.0):
        seed = -y * (-1 / p - np.log(1 - p) + np.log(p)) - (1 - y) * (1 / (p - 1) + np.log(1 - p) - np.log(p))
        np.testing.assert_allclose(terms(extreme_terms, y, z), seed, rtol=1e-12)
        np.testing.assert_allclose(terms(bce_terms, y, z), -y * np.log(p) - (1 - y) * np.log(1 - p), rtol=1e-12)
    # a proper scoring rule: for a true signal fraction q the expected loss is smallest at p = q
    zz = np.linspace(-4, 4, 8001)
    for q in (0.2, 0.5, 0.7):
        e = q * terms(extreme_terms, 1.0, zz) + (1 - q) * terms(extreme_terms, 0.0, zz)
        assert 1 / (1 + np.exp(-zz[np.argmin(e)])) == pytest.approx(q, abs=1e-3)


def test_weighted_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(2)
    score = np.round(rng.normal(size=2000), 1)  # many ties
    label = (rng.uniform(size=2000) < 0.4).astype(int)
    score = score + 0.5 * label
    w = rng.uniform(0.1, 3, 2000)
    assert sig.weighted_auc(score, label, w) == pytest.approx(roc_auc_score(label, score, sample_weight=w), rel=1e-12)


def test_binned_significance_by_hand():
    # signal weights 1 at scores 0.1..0.4 (two bins of 2), background at 0.15 (w 4) and 0.35 (w 1)
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.15, 0.35])
    label = np.array([1, 1, 1, 1, 0, 0])
    w = np.array([1, 1, 1, 1, 4.0, 1.0])
    z = sig.binned_significance(score, label, w, n_bins=2)

    def asimov(s, b):
        return np.sqrt(2 * ((s + b) * np.log(1 + s / b) - s))

    assert z == pytest.approx(np.hypot(asimov(2, 4), asimov(2, 1)), rel=1e-12)
    assert sig.binned_significance(score, label, w, n_bins=1) == pytest.approx(asimov(4, 5), rel=1e-12)


def test_bad_suite_config_is_named(tmp_path, capsys):
    bad = tmp_path / "suite.yaml"
    bad.write_text(
        "dataset: {n_signal: 10, n_background: 10, seed: 1}\nwindow: [120, 130]\nsignificance: {}\n"
        "training: {}\nrows: [{method: SVM}]\n"
    )
    assert main(["suite", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "method 'SVM' unknown" in capsys.readouterr().err
    assert main(["suite", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("training: {epoch: 3}\n", "unknown key in 'training' 'epoch' (did you mean 'epochs'?)"),
        ("etn: {dmodel: 8}\n", "unknown key in 'etn' 'dmodel' (did you mean 'd_model'?)"),
        ("rows: [{method: FNN, los: bce}]\n", "unknown row key 'los' (did you mean 'loss'?)"),
        ("trainig: {epochs: 3}\n", "unknown section 'trainig' (did you mean 'training'?)"),
        ("quick: {bdt: {n_estimator: 3}}\n", "unknown key in 'bdt' 'n_estimator' (did you mean 'n_estimators'?)"),
        ("schema: 2\n", "schema 2 is not 1"),
    ],
)
def test_suite_config_typos_are_refused(tmp_path, text, phrase):
    from fpga_nn.errors import UserInputError
    from fpga_nn.studies.suite.run import load_config

    path = tmp_path / "suite.yaml"
    path.write_text(text)
    with pytest.raises(UserInputError, match=re.escape(phrase)):
        load_config(path)


def test_a_partial_suite_config_takes_the_packaged_defaults(tmp_path):
    from fpga_nn.studies.suite.run import load_config

    path = tmp_path / "suite.yaml"
    path.write_text("training: {epochs: 3}\netn: {n_heads: 4}\n")
    cfg, packaged = load_config(path), load_config()
    assert cfg.training == dataclasses.replace(packaged.training, epochs=3)
    # one default: the YAML; the user's training epochs are the ETN's too (a later layer than the packaged etn:)
    assert cfg.etn == dataclasses.replace(packaged.etn, n_heads=4, epochs=3) and cfg.etn.d_model == 16
    assert cfg.rows == packaged.rows


@pytest.mark.csim
def test_quick_suite_end_to_end(tmp_path, monkeypatch, shared_cache):
    """Every method, both losses, DisCo, the shower variation, seeds and the firmware rows; then a resumed rerun."""
    monkeypatch.setenv("FPGA_NN_CACHE", str(shared_cache))
    out = tmp_path / "suite"
    assert main(["suite", "--quick", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    keys = [r["key"] for r in res["rows"]]
    assert keys == [
        "Random",
        "Cut-pt_llg_over_m",
        "BDT",
        "XGBoost",
        "FNN-bce",
        "FNN-extreme-15in",
        "FNN-extreme+disco",
        "DFNN-bce",
        "ETN-bce+disco",
        "FNN-bce-firmware",
        "DFNN-bce-firmware",
    ]
    n_test = res["dataset"]["n_events"]["test"]
    # training.max_background: 400 background events trained on, every signal event, full test set
    n, n_sig = res["dataset"]["n_events"], res["dataset"]["n_signal"]
    assert n["train"] - n_sig["train"] == 400 and n["test"] - n_sig["test"] > 400
    for r in res["rows"]:
        t = r["test"]
        assert 0 < t["significance"] and 0 <= t["auc"] <= 1 and -0.05 < t["bkg_corr"] < 1  # U-centred: may be < 0
        assert "test_variation" in r
        if r["firmware"]:
            c = r["firmware_check"]
            assert (c["mismatches"], c["events"]) == (0, n_test)  # csim == QKeras on every test event
            assert r["firmware_test"]["significance"] == t["significance"]
            assert r["firmware_test"]["auc"] == t["auc"]
    nn = {r["key"]: r for r in res["rows"]}
    # the XGBoost row keeps its float figures and adds its conifer firmware: C-simulated on every test event,
    # equal to fpga-nn's tree emulator, its own significance from the firmware's scores
    xgb = nn["XGBoost"]
    assert xgb["tree_firmware"] and not xgb["firmware"] and not nn["BDT"]["tree_firmware"]
    c = xgb["firmware_check"]
    assert (c["events"], c["mismatches"], c["failure"]) == (n_test, 0, None)
    assert c["reference"] == "fpga-nn's tree emulator" and c["project"] == "firmware/XGBoost"
    assert 0 < xgb["firmware_test"]["significance"] and abs(xgb["firmware_test"]["auc"] - xgb["test"]["auc"]) < 0.01
    assert "latency" not in c  # the quick section leaves the trees' RTL out (firmware.trees_rtl: false)
    assert c["emulated_events"] == n_test  # every test event emulated; C-simulated up to trees_csim_events
    etn = nn["ETN-bce+disco"]
    # the kept epoch is the one of highest validation AUC (training.png shows the same history)
    history = json.loads((out / "rows" / "ETN-bce+disco.json").read_text())["history"]["val_auc"]
    assert etn["parameters"] > 0 and etn["best_epoch"] == int(np.argmax(history)) + 1
    # seed 004's protocol: 11 inputs without DisCo, 15 with; every neural row trained per seed
    assert len(nn["FNN-bce"]["features"]) == 11 and len(nn["BDT"]["features"]) == 11
    assert len(etn["features"]) == 15 and "lep1_pt" in etn["features"] and "lep1_pt" not in nn["DFNN-bce"]["features"]
    # DisCo's effect alone: the DisCo row against its twin on the same 15 inputs
    assert nn["FNN-extreme-15in"]["features"] == nn["FNN-extreme+disco"]["features"]
    disco = [c for c in res["comparisons"] if c["a"] == "FNN-extreme+disco"]
    assert {c["b"] for c in disco} == {"FNN-extreme-15in"} and {c["metric"] for c in disco} >= {"bkg_corr"}
    md = (out / "results.md").read_text()
    assert "the background correlation of FNN Ext (15 inputs):" in md
    assert "(first seed)" in md and "signif. (variation)" not in md
    for key in ("FNN-bce", "FNN-extreme+disco", "DFNN-bce", "ETN-bce+disco", "FNN-bce-firmware"):
        seeds = nn[key]["seeds"]
        assert [s["seed"] for s in seeds] == [1, 2]
        mean = nn[key]["seed_summary"]["significance"]["mean"]
        assert mean == pytest.approx(np.mean([s["significance"] for s in seeds]), rel=1e-12)
        assert seeds[0]["significance"] == nn[key]["test"]["significance"]  # the first seed's model is tabulated
    assert "seeds" not in nn["BDT"]
    # the simplest baseline: the significance's bins in pT(llg)/m alone, larger signal-like (on training)
    cut = nn["Cut-pt_llg_over_m"]
    assert cut["features"] == ["pt_llg_over_m"] and (cut["parameters"], cut["parameters_kind"]) == (7, "cuts")
    assert cut["extra"]["direction"] == "larger is signal-like" and cut["extra"]["train_auc"] > 0.55
    cut_scores = np.load(out / "rows" / "Cut-pt_llg_over_m.npz")["test"]
    # the standardised ratio itself (both signs), not a probability; categories in it separate the classes
    assert len(cut_scores) == n_test and cut_scores.min() < 0 < cut_scores.max() and cut["test"]["auc"] > 0.55
    against = {(c["a"], c["metric"]) for c in res["comparisons"] if c["b"] == "Cut-pt_llg_over_m"}
    assert against == {(k, m) for k in ("BDT", "XGBoost", "FNN-bce", "DFNN-bce") for m in ("significance", "auc")}
    assert "**Against the simplest baseline, Cuts on pt_llg_over_m alone** (larger is signal-like;" in md
    assert "| Cuts on pt_llg_over_m | N.A. | 1 |" in md and "| 7 cuts |" in md
    # yields: Pythia's cross sections of the generated samples at 138 fb^-1, unscaled
    xs = res["dataset"]["cross_sections"]
    assert xs["sigma_source"] == {
        "signal": "Pythia sigmaGen of the sample",
        "background": "Pythia sigmaGen of the sample",
    }
    assert res["dataset"]["lumi_scale"] == 1.0 and res["dataset"]["effective_lumi_fb"] == 138
    assert set(nn["XGBoost"]["test"]["significance_by_floor"]) == {"0.5", "1", "2"}
    assert nn["XGBoost"]["test"]["significance_by_floor"]["1"] == nn["XGBoost"]["test"]["significance"]
    above = res["pt_llg_above_40_gev"]
    assert len(above) == 3 and all(0 <= v <= 1 for v in above.values())
    for name in ("results.md", "roc.png", "mass_by_score.png", "training.png", "pt_llg.png"):
        assert (out / name).stat().st_size > 1000
    assert "| XGBoost |" in (out / "results.md").read_text()
    # the background against the ATLAS measurement, reweighted to it; the table again with Z + jets added
    val = res["background_validation"]["models"]
    assert set(val) == {"power_shower", "default_shower"} and not res["reweighted_to_measurement"]  # quick: off
    assert all(m["pt_llg_over_m"]["chi2"] > 0 and m["pt_llg_over_m"]["n_bins"] == 11 for m in val.values())
    zj = res["dataset"]["zjets"]
    assert zj["n_generated"] == 3000 and zj["mc_events"] > 0 and res["zjets_fake_rate"]["jet_candidates"] > 0
    for r in res["rows"]:
        assert 0 <= r["test_zjets"]["auc"] <= 1
        assert len(r["test_zjets"]["seeds"]) == (2 if r["key"] in nn and "seeds" in nn[r["key"]] else 0)
    assert "## The background against the measurement" in md and "## With Z + jets (fake photon)" in md
    assert (out / "background_validation.png").stat().st_size > 1000

    # resumable: a second run retrains nothing (same row files, untouched)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json")}
    assert main(["suite", "--quick", "--out", str(out)]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json")} == stamps
    assert json.loads((out / "results.json").read_text())["rows"][1]["test"] == res["rows"][1]["test"]
    assert sorted(os.listdir(out / "firmware")) == ["DFNN-bce-firmware", "FNN-bce-firmware", "XGBoost"]
    assert "XGBoost firmware (conifer): C-simulation == fpga-nn's tree emulator" in (out / "results.md").read_text()

    # the same command on JAX (its own process: a process keeps its first Keras backend): the float rows are
    # retrained there (their settings hash holds the backend), the QKeras and tree rows are reused as they are
    env = {**os.environ, "FPGA_NN_CACHE": str(shared_cache)}
    done = subprocess.run(
        [sys.executable, "-m", "fpga_nn", "suite", "--quick", "--backend", "jax", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    floats = ("FNN-bce", "FNN-extreme-15in", "FNN-extreme+disco", "DFNN-bce", "ETN-bce+disco")
    after = {p.name: p.stat().st_mtime_ns for p in (out / "rows").glob("*.json")}
    assert sorted(k for k in after if after[k] != stamps[k]) == sorted(f"{k}.json" for k in floats)
    jax_res = json.loads((out / "results.json").read_text())
    assert [r["key"] for r in jax_res["rows"]] == keys and jax_res["device"]["keras_backend"] == "jax"
    for r in jax_res["rows"]:
        if r["key"] in floats:
            assert r["made_on"]["keras_backend"] == "jax" and [s["seed"] for s in r["seeds"]] == [1, 2]
            assert 0 < r["test"]["significance"] and 0 <= r["test"]["auc"] <= 1
        else:  # untouched: the same figures as the TensorFlow run's, firmware checks included
            assert r == nn[r["key"]], r["key"]


def test_gpu_path_mixed_precision_on_cpu(tmp_path):
    """The GPU settings (float16 compute, float32 logit) exercised on the CPU with a tiny ETN."""
    from fpga_nn.studies.suite import run as suite

    rng = np.random.default_rng(3)
    n = 600
    y = (rng.uniform(size=n) < 0.5).astype(np.int8)
    x = rng.normal(size=(n, 4)).astype(np.float32) + y[:, None] * 0.8
    mass = rng.uniform(100, 180, n)
    mass[y == 1] = rng.normal(125, 2, int(y.sum()))
    prep = suite.Prepared(
        x={"train": x[:400], "val": x[400:]},
        y={"train": y[:400], "val": y[400:]},
        mass={"train": mass[:400], "val": mass[400:]},
        weight={"train": np.ones(400), "val": np.ones(200)},
        mean=np.zeros(4),
        std=np.ones(4),
        info={},
    )
    packaged = suite.load_config()
    cfg = dataclasses.replace(
        packaged,
        training=dataclasses.replace(
            packaged.training, seed=1, epochs=2, batch_size=64, disco_lambda=1.0, mixed_precision="always"
        ),
        etn=dataclasses.replace(packaged.etn, d_model=8, n_blocks=1, n_heads=2, epochs=2),
        disco=dataclasses.replace(packaged.disco, epochs=2),
        window=(120, 130),
        significance=dataclasses.replace(packaged.significance, n_bins=4),
    )
    model, meta = suite.train_network(
        cfg, {"method": "ETN", "loss": "extreme", "disco": True}, prep, prep.x, progress=False
    )
    assert meta["mixed_precision"] is True
    assert model.get_layer("ffn0_a").compute_dtype == "float16"
    assert model.get_layer("logit").compute_dtype == "float32"
    assert meta["epochs_run"] == 2 and all(np.isfinite(meta["history"]["val_auc"]))
    import keras

    assert meta["backend"]["keras_backend"] == keras.backend.backend()
    assert keras.mixed_precision.global_policy().name == "float32"  # restored for the next row


def test_the_parsed_suite_config_is_frozen_typed_and_carries_its_schema():
    from fpga_nn.studies.suite.config import SCHEMA, VALUES, SuiteConfig
    from fpga_nn.studies.suite.run import load_config
    from fpga_nn.yamlconfig import plain

    cfg = load_config()
    assert isinstance(cfg, SuiteConfig) and cfg.schema == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.training.epochs = 1
    with pytest.raises(TypeError, match="frozen"):
        cfg.rows[0]["method"] = "BDT"
    assert isinstance(cfg.rows, tuple) and isinstance(cfg.window, tuple)
    written = json.loads(json.dumps(plain(cfg)))["training"]  # written into results.json as is
    assert written == {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg.training).items()}
    # the schema is derived from the fields: every section's keys, every value's check (48 of them)
    assert SCHEMA["etn"] == {"d_model", "n_blocks", "n_heads", "epochs", "patience"} and SCHEMA["window"] is None
    assert len(VALUES) == 58 and VALUES["training.select"].choices == ("val_auc", "val_significance")
    assert VALUES["significance.sigma_fb.signal"].lo_open


def test_differences_combine_seed_and_test_errors_and_the_baseline_is_worded_from_them():
    from fpga_nn.studies.suite.compare import baseline, comparisons, correlation_difference, paired_difference

    def row(key, method, z, reps, seeds=None, corr=(1e-3, 2e-4)):
        r = {"key": key, "label": key, "method": method, "disco": False, "firmware": False, "extra": {}}
        r["test"] = {"significance": z, "auc": 0.7, "significance_err": 0.01, "bkg_corr": corr[0]}
        r["test"] |= {"bkg_corr_err": corr[1], "replicas": {"significance": reps, "auc": [0.7, 0.7]}}
        if seeds:
            r["seeds"] = [{"significance": v, "auc": 0.7, "bkg_corr": corr[0]} for v in seeds]
        return r

    cut = row("Cut-pt_llg_over_m", "Cut", 1.0, [1.0, 1.02])
    cut["extra"]["direction"] = "larger is signal-like"
    fnn = row("FNN-bce", "FNN", 1.1, [1.1, 1.1], seeds=[1.1, 1.2])
    # seed mean 1.15 - 1.0; bootstrap std of (0.1, 0.08) = 0.01; the seeds' variance of the mean 0.005 / 2
    d, e = paired_difference(fnn, cut, "significance")
    assert d == pytest.approx(0.15, abs=1e-12) and e == pytest.approx(np.sqrt(0.01**2 + 0.005 / 2), rel=1e-9)
    disco = row("FNN-bce+disco", "FNN", 1.1, [1.1, 1.1], seeds=[1.1, 1.1], corr=(4e-4, 1e-4))
    d, e = correlation_difference(disco, fnn)
    assert d == pytest.approx(-6e-4, rel=1e-9) and e == pytest.approx(np.hypot(1e-4, 2e-4), rel=1e-9)
    res = {"rows": [cut, fnn], "comparisons": comparisons([cut, fnn])}
    assert [(c["a"], c["b"], c["metric"]) for c in res["comparisons"]] == [
        ("FNN-bce", "Cut-pt_llg_over_m", "significance"),
        ("FNN-bce", "Cut-pt_llg_over_m", "auc"),
    ]
    line = baseline(res)[0]
    assert "**Against the simplest baseline, Cut-pt_llg_over_m alone** (larger is signal-like;" in line
    assert "FNN-bce +0.1500 ± 0.0510 (higher), AUC +0.00 ± 0.00 pts (not resolved)" in line
    # a wider seed spread: a larger mean shift and still not resolved
    fnn["seeds"][0]["significance"], fnn["seeds"][1]["significance"] = 1.0, 1.4
    res["comparisons"] = comparisons([cut, fnn])
    assert "FNN-bce +0.2000 ± 0.2002 (not resolved)" in baseline(res)[0]
    assert baseline({"rows": [fnn], "comparisons": []}) == []


def test_every_packaged_firmware_row_has_a_project_name_its_toolchain_takes(tmp_path):
    """The packaged full table builds BDT firmware: conifer's C++ reserves the name 'BDT' itself."""
    from fpga_nn.convert.conifer_project import check_name
    from fpga_nn.studies.suite.firmware import _options
    from fpga_nn.studies.suite.run import load_config

    rows = [r for r in load_config().rows if r.get("firmware")]
    names = {r["method"]: _options(r, tmp_path, "xcvu9p-flga2104-2L-e", rtl=False).name for r in rows}
    assert names == {
        "BDT": "BDT_trees",
        "XGBoost": "XGBoost_trees",
        "FNN": "FNN_bce_firmware",
        "DFNN": "DFNN_bce_firmware",
    }
    from fpga_nn.errors import UserInputError

    with pytest.raises(UserInputError, match="project name 'BDT' is a name conifer's C\\+\\+ uses itself"):
        check_name("BDT")  # the row key, the name the suite gave the project before
    for method in ("BDT", "XGBoost"):
        check_name(names[method])
    assert _options(rows[0], tmp_path, "xcvu9p-flga2104-2L-e", rtl=False).output_dir == tmp_path / "firmware" / "BDT"


def test_epoch_budgets_and_rows_stopped_by_them():
    from fpga_nn.studies.suite.config import epoch_budget
    from fpga_nn.studies.suite.report import budget_limited
    from fpga_nn.studies.suite.run import load_config
    from fpga_nn.yamlconfig import plain

    config = plain(load_config())
    budgets = {
        (m, k): tuple(epoch_budget(config, {"method": m, k: True} if k else {"method": m}).values())
        for m, k in [
            ("FNN", None),
            ("DFNN", None),
            ("ETN", None),
            ("FNN", "disco"),
            ("ETN", "disco"),
            ("FNN", "firmware"),
        ]
    }
    assert budgets == {
        ("FNN", None): (100, 10),  # the fnn: section over training's 40
        ("DFNN", None): (40, 10),
        ("ETN", None): (16, 4),
        ("FNN", "disco"): (15, 5),  # capped by disco:
        ("ETN", "disco"): (15, 4),
        ("FNN", "firmware"): (60, 8),  # capped by firmware:
    }
    rows = [
        {"label": "ETN BCE", "method": "ETN", "seeds": [{"best_epoch": e} for e in (16, 9, 16)]},
        {"label": "DFNN BCE", "method": "DFNN", "seeds": [{"best_epoch": 40}]},
        {"label": "FNN BCE", "method": "FNN", "seeds": [{"best_epoch": 40}]},  # below its 100
        {"label": "BDT", "method": "BDT"},
    ]
    line = budget_limited({"config": config, "rows": rows})[0]
    assert line.endswith("best): ETN BCE 2 of 3 (at 16 epochs); DFNN BCE 1 of 1 (at 40 epochs).")
    assert budget_limited({"config": config, "rows": rows[2:]})[0].startswith("- Every neural row's every seed")


def test_seed_ordering_verdicts_from_paired_differences():
    from fpga_nn.studies.suite.report import floor_dependence, ordering

    def res(d1, d2, d3, err=0.01):
        c = [("XGBoost", "BDT", d1), ("DFNN-bce", "XGBoost", d2), ("ETN-bce", "DFNN-bce", d3)]
        return {
            "comparisons": [{"a": a, "b": b, "metric": "significance", "difference": d, "error": err} for a, b, d in c]
        }

    # strict steps beyond 2 errors show a direction, not the seed's gap; <= at equality is only not contradicted
    line = ordering(res(0.05, 0.03, 0.0))[0]
    assert "in significance: direction only, every strict step beyond 2 errors.**" in line
    assert "XGBoost - BDT = +0.0500 ± 0.0100 (direction only)" in line and "(not contradicted)" in line
    assert "reproduced" not in line
    assert "in significance: not resolved.**" in ordering(res(0.05, 0.01, 0.0))[0]
    line = ordering(res(0.05, 0.03, -0.03))[0]
    assert "in significance: refuted.**" in line and "ETN-bce - DFNN-bce = -0.0300 ± 0.0100 (refuted)" in line
    assert ordering({"comparisons": []}) == []
    rows = [
        {
            "label": "A",
            "test": {"significance": 1.0, "significance_err": 0.02, "significance_by_floor": {"0.5": 1.0, "2": 0.99}},
        },
        {
            "label": "B",
            "test": {"significance": 1.2, "significance_err": 0.01, "significance_by_floor": {"0.5": 1.2, "2": 1.2}},
        },
    ]
    assert floor_dependence({"rows": rows}) == [
        "- Empty-bin floor halved or doubled: the largest change of any row's significance is 0.0100 "
        "(A, bootstrap error 0.0200)."
    ]


def _p4(pt, eta, phi):
    """Massless four-momenta (px, py, pz, E) from pT, eta, phi."""
    pt, eta, phi = (np.atleast_1d(np.asarray(v, np.float64)) for v in (pt, eta, phi))
    return np.stack([pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)], axis=1)


def test_the_atlas_fiducial_region_by_hand():
    """Two muons and a photon inside the measurement's region give their pT(llg) and m(llg); a photon of a
    hadron decay, a photon with hadrons in its cone or one near a lepton is not the region's photon."""
    from fpga_nn.data import fiducial
    from fpga_nn.data.kinematics import mass, pt

    ids = np.array([13, -13, 22])
    p4 = np.concatenate([_p4(45.0, 0.3, 0.0), _p4(40.0, -0.5, 2.8), _p4(35.0, 1.0, -1.7)])
    system = p4.sum(axis=0)
    got = fiducial._event(ids, p4, np.ones(3, bool))
    assert got == (pytest.approx(float(pt(system[None])[0]), rel=1e-12), pytest.approx(float(mass(system[None])[0])))
    assert fiducial._event(ids, p4, np.array([True, True, False])) is None  # the photon of a pi0: not prompt
    pion = _p4(3.0, 1.05, -1.72)  # 3 GeV of hadrons within dR 0.2: above 7 % of 35 GeV
    assert fiducial._event(np.append(ids, 211), np.concatenate([p4, pion]), np.ones(4, bool)) is None
    near = np.concatenate([_p4(45.0, 0.3, 0.0), _p4(40.0, -0.5, 2.8), _p4(35.0, 0.5, 0.1)])  # dR(l, g) < 0.4
    assert fiducial._event(ids, near, np.ones(3, bool)) is None
    ref = fiducial.reference()
    widths = np.diff(ref["pt_llg"]["edges_gev"])
    assert np.sum(np.multiply(ref["pt_llg"]["value"], widths)) == pytest.approx(534.1, abs=0.05)  # table 5
    assert ref["sigma_fiducial_fb"] == {"value": 533.73, "error": 15.55628}  # table 1


def test_the_background_is_weighted_by_measured_over_pythia():
    from fpga_nn.data import fiducial
    from fpga_nn.studies.suite import background

    rng = np.random.default_rng(3)
    x = rng.exponential(0.15, 50_000)
    spectrum = {"pt_llg": x * 125.0, "m_llg": np.full(len(x), 125.0), "fb_per_event": 0.01}
    c = background.compare(spectrum, "pt_llg_over_m")
    ref = fiducial.reference()["pt_llg_over_m"]
    assert c["measured"] == ref["value"] and c["n_bins"] == 11
    counts = np.histogram(np.minimum(x, 4.999), ref["edges"])[0]
    assert c["pythia_events"] == counts.tolist() and counts[-1] < 10 <= counts[-2]  # the last bin: too few
    np.testing.assert_allclose(np.multiply(c["ratio"], c["pythia"])[:-1], ref["value"][:-1], rtol=1e-12)
    assert c["ratio"][-1] == c["ratio"][-2]  # takes its neighbour's ratio
    np.testing.assert_allclose(c["pythia"], counts * 0.01 / np.diff(ref["edges"]), rtol=1e-12)
    w = background.weights(np.array([0.0, 0.07, 0.3, 4.9, 7.0]), c)
    np.testing.assert_array_equal(w, np.asarray(c["ratio"])[[0, 1, 4, 10, 10]])  # overflow: the last bin's
    rate = background.fake_rate({"natural_hadron_decay": 3, "natural_prompt": 1, "jet_candidates": 738})
    assert rate["rate"] == 3 / 738 and rate["error"] == np.sqrt(3) / 738


def test_photon_clusters_and_the_zjets_sample():
    """A pi0's two photons 0.01 apart become one candidate with cluster_dr; a Z + jets chunk records how
    often its own events pass with a photon of a hadron decay beside the jet-as-photon rows."""
    from fpga_nn.data import selection
    from fpga_nn.data.generator import GenerationConfig, generate_chunk_stats

    ids = np.array([22, 22, 22, 211])
    p4 = np.concatenate([_p4(20.0, 0.5, 1.0), _p4(6.0, 0.51, 1.0), _p4(6.0, -1.0, 1.0), _p4(1.0, 0.52, 1.0)])
    cid, cp4, cprompt = selection._cluster_photons(ids, p4, np.array([False, True, True, True]), 0.05)
    assert cid.tolist() == [22, 22, 211] and cprompt.tolist() == [False, True, True]
    np.testing.assert_allclose(cp4[0], p4[0] + p4[1], rtol=1e-12)
    same = selection._cluster_photons(ids, p4, np.ones(4, bool), 0.0)
    assert same[1] is p4
    cfg = GenerationConfig(
        n_signal=0,
        n_background=1500,
        chunk_size=1500,
        seed=5,
        mhat_min=110,
        mhat_max=200,
        cluster_dr=0.05,
        background_process="zjets",
    )
    assert "WeakBosonAndParton:qg2gmZq = on" in cfg.pythia_settings("background")
    rows, stats = generate_chunk_stats(cfg, "background", 0)
    assert stats["jet_candidates"] == len(rows) > 100
    assert {"natural_hadron_decay", "natural_prompt"} <= set(stats)
    assert GenerationConfig().fingerprint() == GenerationConfig(cluster_dr=0.0).fingerprint()
    from fpga_nn.errors import UserInputError

    with pytest.raises(UserInputError, match="background process"):
        GenerationConfig(background_process="ttbar")


def test_a_users_training_budget_is_every_rows_unless_their_file_sets_the_methods(tmp_path):
    """The packaged fnn: {epochs: 100} overrides the packaged training's 40, but not a user's training: a
    user's (or quick:'s) later training epochs / patience win; a method section in the same file wins again."""
    from pathlib import Path

    from fpga_nn.studies.suite.config import epoch_budget
    from fpga_nn.studies.suite.run import load_config
    from fpga_nn.yamlconfig import plain

    def budgets(text: str, quick: bool = False) -> dict:
        (f := tmp_path / "suite.yaml").write_text(text)
        config = plain(load_config(f, quick))
        return {m: tuple(epoch_budget(config, {"method": m}).values()) for m in ("FNN", "DFNN", "ETN")}

    assert budgets("schema: 1\n") == {"FNN": (100, 10), "DFNN": (40, 10), "ETN": (16, 4)}
    assert budgets("training: {epochs: 12}\n") == {"FNN": (12, 10), "DFNN": (12, 10), "ETN": (12, 4)}
    assert budgets("training: {epochs: 12, patience: 3}\nfnn: {epochs: 7}\n") == {
        "FNN": (7, 3),
        "DFNN": (12, 3),
        "ETN": (12, 3),
    }
    quick = "training: {epochs: 30}\nquick: {training: {epochs: 5}, etn: {epochs: 2}}\n"
    assert budgets(quick) == {"FNN": (30, 10), "DFNN": (30, 10), "ETN": (30, 4)}
    assert budgets(quick, quick=True) == {"FNN": (5, 10), "DFNN": (5, 10), "ETN": (2, 4)}
    # the backend benchmark's config trains every row 12 epochs (the FNN trained the packaged 100: 14 minutes of CI)
    config = plain(load_config(Path(__file__).resolve().parents[1] / "benchmarks" / "backends.yaml", True))
    assert {m: epoch_budget(config, {"method": m})["epochs"] for m in ("FNN", "DFNN")} == {"FNN": 12, "DFNN": 12}
