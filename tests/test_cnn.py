"""The image task: jet-image generation and a small compact-CNN firmware build, bit-exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.build.firmware import BuildOptions
from fpga_nn.cli import main
from fpga_nn.data import jets
from fpga_nn.studies.cnn.run import CnnConfig, build_cnn

SMALL = jets.JetImageConfig(n_events_w=400, n_events_qcd=300, chunk_size=200, sizes=(16, 32), seed=5)


def test_jet_chunk_is_reproducible_and_physical():
    a, n = jets.generate_chunk(SMALL, "W", 1)
    b, _ = jets.generate_chunk(SMALL, "W", 1)
    assert n == 200 and len(a["jet_pt"]) > 20
    np.testing.assert_array_equal(a["image32"], b["image32"])  # same seed, same jets, same pixels
    assert np.all((a["jet_pt"] > 450) & (a["jet_pt"] < 550)) and np.all(np.abs(a["jet_eta"]) < 2)
    # both sizes come from the same constituents: the 32x32 image pooled 2x2 is the 16x16 image
    pooled = a["image32"].reshape(-1, 16, 2, 16, 2).sum(axis=(2, 4))
    np.testing.assert_allclose(pooled, a["image16"], rtol=1e-5, atol=1e-7)
    # W jets carry the W mass: the median jet mass lies near 80 GeV
    assert 65 < np.median(a["jet_mass"]) < 95


@pytest.mark.csim
def test_small_cnn_build_bit_exact_and_its_tuned_table(tmp_path, monkeypatch):
    from fpga_nn.reports.paired import words
    from fpga_nn.training.tuning import Tuning

    monkeypatch.setenv("FPGA_NN_CACHE", str(tmp_path / "cache"))
    tune = Tuning(learning_rates=(1e-3, 3e-3), seeds=2, fractions=(0.5,), size_seeds=1, max_epochs=1)
    cfg = CnnConfig(data=SMALL, size=16, epochs=1, csim_images=10_000, references=("compact_cnn",), tuning=tune)
    table = tmp_path / "table"
    target = build_cnn(
        BuildOptions(part="xcvu13p-flga2577-2-e", name="cnn", output_dir=tmp_path / "cnn", io_type="io_stream"),
        cfg,
        table_dir=table,
        workers=2,
    ).project
    res = json.loads((table / "results.json").read_text())
    rows = {r["model"]: r for r in res["rows"]}
    assert list(rows) == ["compact_cnn", "compact_cnn_qkeras_8bit", "compact_cnn_firmware", "jet_mass_window"]
    # the simplest baseline: a window on the jet mass, centred on the training W jets' median, no training
    mass = res["mass_baseline"]
    assert [c["model"] for c in mass["comparisons"]] == ["compact_cnn", "compact_cnn_firmware"]
    assert [len(c["per_seed"]) for c in mass["comparisons"]] == [2, 1] and 40 < mass["centre_gev"] < 120
    assert rows["jet_mass_window"]["parameters"] == 2 and "confusion" not in rows["jet_mass_window"]
    for c in mass["comparisons"]:
        assert c["error"] > 0 and c["verdict"] == words(c)  # a direction only beyond twice the combined error
        assert c["difference"] == pytest.approx(
            rows[c["model"]]["auc"]["mean"] - rows["jet_mass_window"]["auc"]["mean"]
        )
    ref = rows["compact_cnn"]
    assert set(ref["val_loss_by_learning_rate"]) == {"0.001", "0.003"} and ref["auc"]["seeds"] == 2
    assert f"{ref['learning_rate']:g}" == min(
        ref["val_loss_by_learning_rate"], key=ref["val_loss_by_learning_rate"].get
    )
    assert rows["compact_cnn_firmware"]["auc"]["mean"] == rows["compact_cnn_qkeras_8bit"]["auc"]["mean"]
    assert [f["fpr"] for f in ref["tpr_at_fpr"]] == [0.01]  # no FPR the test set cannot measure
    assert [t["fraction"] for t in res["sizes"]] == [0.5, 1.0] and res["compact_vs_resnet"] is None
    assert len(list((table / "models" / "runs").glob("compact_cnn-*.npz"))) == 2 + 1 + 1
    md = (table / "results.md").read_text()
    assert "1e-03" not in md and "3e-04" not in md and str(tmp_path) not in md + json.dumps(res)
    assert (table / "sizes.png").stat().st_size > 1000
    check = json.loads((target / "csim_check.json").read_text())
    m = json.loads((target / "metrics.json").read_text())
    n_test = m["dataset"]["test"]
    assert (check["mismatches"], check["events"]) == (0, n_test)  # every test image through the C-simulation
    assert m["emulator_whole_test_set"] == {**m["emulator_whole_test_set"], "images": n_test, "mismatches_vs_qkeras": 0}
    assert check["emulator"]["mismatches_vs_csim"] == 0
    labels = np.load(target / "vectors" / "labels.npy")
    assert 0 < labels.sum() < len(labels)  # the checked images hold both W and QCD jets
    assert json.loads((target / "build.json").read_text())["io_type"] == "io_stream"
    # an existing project is kept without --force
    with pytest.raises(Exception, match="already exists"):
        build_cnn(BuildOptions(part="xcvu13p-flga2577-2-e", name="cnn", output_dir=tmp_path / "cnn"), cfg)


def test_build_cnn_bad_part_fails_before_work(tmp_path, capsys):
    assert main(["build", "--model", "cnn", "--part", "xcv-nonsense", "--output-dir", str(tmp_path / "x")]) == 2
    assert "part" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.csim
def test_user_cnn_with_dropout_builds_bit_exact(tmp_path, capsys):
    """--model FILE.h5 takes QConv2D, MaxPooling2D, Dropout and Flatten (io_stream)."""
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    tf.keras.utils.set_random_seed(4)
    x_in = tf.keras.Input((8, 8, 1))
    h = QConv2D(
        3,
        3,
        padding="same",
        kernel_quantizer=quantized_bits(6, 0, alpha=1),
        bias_quantizer=quantized_bits(6, 0, alpha=1),
        name="conv",
    )(x_in)
    h = QActivation(quantized_relu(8, 3), name="relu")(h)
    h = tf.keras.layers.MaxPooling2D(2, name="pool")(h)
    h = tf.keras.layers.Dropout(0.3, name="drop")(h)
    h = tf.keras.layers.Flatten(name="flat")(h)
    h = QDense(
        1, kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1), name="out"
    )(h)
    h = QActivation(quantized_bits(8, 3, alpha=1), name="score")(h)
    tf.keras.Model(x_in, h).save(tmp_path / "cnn.h5")
    np.save(tmp_path / "x.npy", (np.random.default_rng(1).integers(0, 256, (200, 8, 8, 1)) / 256).astype(np.float32))
    assert (
        main(
            [
                "build",
                "--part",
                "xcvu13p-flga2577-2-e",
                "--model",
                str(tmp_path / "cnn.h5"),
                "--data",
                str(tmp_path / "x.npy"),
                "--io-type",
                "io_stream",
                "--no-rtl",
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    assert "0 mismatches / 200 events" in capsys.readouterr().out


def test_build_task_cnn_dispatches_and_model_cnn_says_so(tmp_path, monkeypatch, capsys):
    """The image task is `--task cnn`; `--model cnn` without such a file names the option (no guessing)."""
    import fpga_nn.studies.cnn.run as cnn_pipeline

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cnn").mkdir()
    from fpga_nn.build.result import BuildResult

    proj = BuildResult(
        "cnn",
        tmp_path / "proj",
        {"mismatches": 0, "events": 7, "output_type": "ap_fixed<8,4>"},
        {
            "quantized": {"auc": 0.5},
            "csim": {"auc": 0.5, "images": 7},
            "emulator_whole_test_set": {"images": 9, "mismatches_vs_qkeras": 0},
        },
    )
    calls = []
    monkeypatch.setattr(cnn_pipeline, "build_cnn", lambda options, *a, **k: calls.append(options) or proj)
    assert main(["build", "--model", "cnn", "--part", "xcvu13p-flga2577-2-e"]) == 2
    assert "the compact-CNN task is 'fpga-nn build --task cnn'" in capsys.readouterr().err
    assert main(["build", "--task", "cnn", "--part", "xcvu13p-flga2577-2-e"]) == 0
    assert calls[0].io_type == "io_stream" and calls[0].name == "cnn"
    assert "emulator == QKeras on 9 of 9 test images" in capsys.readouterr().out


def test_the_seed_claim_is_worded_from_paired_auc_differences_over_seeds():
    from fpga_nn.studies.cnn.table import claim

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=2000) < 0.5).astype(int)

    def runs(noise, n=3, images=500):
        return [{"test": y + rng.normal(0, noise, len(y)), "train_images": images} for _ in range(n)]

    rows = [{"model": "compact_cnn", "parameters": 100}, {"model": "resnet_style", "parameters": 6500}]
    cfg = CnnConfig(bootstrap=50)
    grid = {
        "sizes": {
            0.5: {"compact_cnn": runs(0.6, images=250), "resnet_style": runs(1.5, images=250)},
            1.0: {"compact_cnn": runs(1.5), "resnet_style": runs(0.6)},
        }
    }
    c = claim(y, grid, rows, cfg)
    assert [d["verdict"] for d in c["by_size"]] == [
        "compact higher at 250 training images",
        "compact lower at 500 training images",
    ]
    assert c["verdict"] == "compact lower at 500 training images" and c["parameter_ratio"] == 65
    for d in c["by_size"]:
        assert abs(d["difference"]) > 2 * d["error"] > 0 and len(d["per_seed"]) == 3 and d["seed_error"] > 0
    same = claim(y, {"sizes": {1.0: {"compact_cnn": (r := runs(1.0)), "resnet_style": r}}}, rows, cfg)
    assert same["verdict"] == "not resolved at 500 training images" and same["by_size"][0]["error"] == 0
    assert "reproduced" not in json.dumps(c)
    assert claim(y, grid, rows[:1], cfg) is None


def test_every_other_reference_is_measured_beside_the_compact_cnn_by_the_same_rule():
    from fpga_nn.studies.cnn.table import beside_compact

    rng = np.random.default_rng(1)
    y = (rng.uniform(size=2000) < 0.5).astype(int)

    def runs(noise, n=3):
        return [{"test": y + rng.normal(0, noise, len(y)), "train_images": 500} for _ in range(n)]

    grid = {"sizes": {1.0: {"compact_cnn": runs(0.6), "resnet_style": runs(0.6), "mobilenetv2_style": runs(1.5)}}}
    cfg = CnnConfig(bootstrap=50)
    assert cfg.references == ("compact_cnn", "resnet_style", "mobilenetv2_style")  # the packaged table has all three
    out = beside_compact(y, grid, cfg)
    assert list(out) == ["mobilenetv2_style"]  # the ResNet style is seed 002's claim, worded by claim()
    (d,) = out["mobilenetv2_style"]
    assert d["verdict"] == "compact higher at 500 training images" and d["difference"] > 2 * d["error"] > 0
    assert beside_compact(y, grid, CnnConfig(references=("resnet_style", "mobilenetv2_style"))) == {}
