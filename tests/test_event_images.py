"""Event images of seed 003: the disc drawing, and the processes' physics in the generated images."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_nn.data import event_images as ei


def test_disc_radius_is_alpha_ln_pt_and_phi_wraps():
    size, alpha = 32, 0.6
    centre = (16 + 0.5) / size
    eta, phi = -ei.ETA_MAX + centre * 2 * ei.ETA_MAX, -np.pi + centre * 2 * np.pi
    img = ei.draw([(1, eta, phi, np.exp(3.2 / alpha))], size, alpha)  # radius 3.2 pixels on a pixel centre
    assert img.dtype == np.uint8 and img.shape == (32, 32, 3)
    assert img[:, :, 1].sum() == 37 and img[:, :, 0].sum() == 0 == img[:, :, 2].sum()  # i^2 + j^2 <= 10
    edge = ei.draw([(2, 0.0, np.pi - 1e-6, np.exp(2 / alpha))], size, alpha)[:, :, 2]
    assert edge[:, 0].sum() > 0 and edge[:, -1].sum() > 0  # a disc at phi = pi continues at -pi


@pytest.fixture(scope="module")
def chunks():
    cfg = ei.EventImageConfig(n_events=(200, 400, 200), chunk_size=400)
    return cfg, {p: ei.generate_chunk(cfg, p, 0)[0] for p in ei.CLASSES}


def test_processes_look_like_themselves(chunks):
    cfg, out = chunks
    dy, tt, w = out["drell_yan"], out["ttbar"], out["w_jets"]
    for p, arrays in out.items():
        assert len(arrays["label"]) > 50, p
        assert np.all(arrays["label"] == ei.CLASSES.index(p)) and np.all(arrays["n_muons"] >= 1)
        assert set(np.unique(arrays["images"])) <= {0, 1}
        assert np.all(arrays["images"][:, :, :, 0].reshape(len(arrays["label"]), -1).max(axis=1) == 1)
    assert np.mean(dy["n_muons"] >= 2) > 0.5 > np.mean(w["n_muons"] >= 2)
    assert np.median(tt["n_jets"]) >= 3 > np.median(dy["n_jets"])
    assert np.median(w["met"]) > 2 * np.median(dy["met"])


def test_event_image_chunks_are_reproducible(chunks):
    cfg, out = chunks
    again, n = ei.generate_chunk(cfg, "w_jets", 0)
    assert n == 200
    for k, v in again.items():
        np.testing.assert_array_equal(v, out["w_jets"][k], err_msg=k)


@pytest.mark.csim
def test_quick_events_table_and_io_stream_firmware(tmp_path, monkeypatch):
    import json

    from fpga_nn.cli import main

    monkeypatch.setenv("FPGA_NN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "events"
    assert main(["events", "--quick", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    test = res["dataset"]["images"]["test"]
    assert res["dataset"]["path"].startswith("$FPGA_NN_CACHE/event_images/events-")  # no machine's folders
    n_test = sum(test.values())
    assert list(test) == list(ei.CLASSES) and min(test.values()) > 0
    fw = res["firmware"]
    # every C-simulated image: logits bit-exact against QKeras, the table softmax equal to the emulator
    assert fw["images"] == min(100, n_test) and fw["logit_mismatches"] == 0
    assert fw["softmax"]["emulator_mismatches"] == 0 and fw["softmax"]["function"] == "softmax"
    models = res["models"]
    assert set(models) == {
        "compact_cnn",
        "resnet_style",
        "densenet_style",
        "compact_cnn_qkeras",
        "compact_cnn_qkeras_firmware",
    }
    for name, m in models.items():
        counts = np.asarray(m["confusion"])
        expected = list(test.values()) if name != "compact_cnn_qkeras_firmware" else None
        if expected:
            assert counts.sum(axis=1).tolist() == expected, name
        assert m["accuracy"] == pytest.approx(np.trace(counts) / counts.sum(), abs=1e-12)
    # equal budgets: every float network ran the same number of epochs
    assert {models[k]["epochs_run"] for k in ("compact_cnn", "resnet_style", "densenet_style")} == {2}
    assert res["resnet_best_of_four"] is None  # the quick run trains two of the four large styles
    for name in ("results.md", "confusion.png", "roc.png", "loss.png", "scores.png"):
        assert (out / name).stat().st_size > 1000, name
    # the float networks are stored as Keras 3 files, the QKeras twin as HDF5
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "models").glob("*.*") if p.suffix in (".h5", ".keras")}
    assert sorted(stamps) == [
        "compact_cnn.keras",
        "compact_cnn_qkeras.h5",
        "densenet_style.keras",
        "resnet_style.keras",
    ]
    assert res["device"]["keras_backend"] == "tensorflow"
    assert main(["events", "--quick", "--out", str(out)]) == 0  # resumed: nothing retrained
    assert {
        p.name: p.stat().st_mtime_ns for p in (out / "models").glob("*.*") if p.suffix in (".h5", ".keras")
    } == stamps


def test_resnet_claim_verdicts():
    from fpga_nn.studies.events.run import LARGE, claim

    y = np.array([0, 1, 2] * 200)
    right = y.copy()
    wrong = (y + 1) % 3
    half = np.where(np.arange(len(y)) % 2 == 0, y, wrong)
    assert claim(y, {"resnet_style": right, **{k: half for k in LARGE[1:]}}, 50, 1)["verdict"] == "reproduced"
    assert (
        claim(y, {"resnet_style": half, "densenet_style": right, **{k: half for k in LARGE[2:]}}, 50, 1)["verdict"]
        == "refuted"
    )
    assert claim(y, {k: half for k in LARGE}, 50, 1)["verdict"] == "not resolved"
    assert claim(y, {"resnet_style": right}, 50, 1) is None
