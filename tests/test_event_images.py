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
    assert set(models) == {"compact_cnn", "resnet_style", "compact_cnn_qkeras", "compact_cnn_qkeras_firmware"}
    for name, m in models.items():
        counts = np.asarray(m["confusion"])
        expected = list(test.values()) if name != "compact_cnn_qkeras_firmware" else None
        if expected:
            assert counts.sum(axis=1).tolist() == expected, name
        assert m["accuracy"] == pytest.approx(np.trace(counts) / counts.sum(), abs=1e-12)
    # equal tuning: both learning rates searched for every float network, the lower validation loss chosen,
    # two seeds at it, early stopping (patience 1 of at most 2 epochs)
    for name in ("compact_cnn", "resnet_style"):
        m = models[name]
        losses = m["val_loss_by_learning_rate"]
        assert set(losses) == {"0.001", "0.003"} and f"{m['learning_rate']:g}" == min(losses, key=losses.get)
        assert m["seeds"] == 2 and len(m["accuracy_seeds"]) == 2 and set(m["epochs_run"]) <= {1, 2}
        assert m["accuracy_seeds"][0] == pytest.approx(m["accuracy"], abs=1e-5)  # the first seed's summary
    # the training-size curve: half and all of the training images, nested
    sizes = res["sizes"]
    assert [t["fraction"] for t in sizes] == [0.5, 1.0]
    assert sizes[0]["train_images"] == round(0.5 * sizes[1]["train_images"])
    assert [c["train_images"] for c in res["compact_vs_resnet"]] == [t["train_images"] for t in sizes]
    for c in res["compact_vs_resnet"]:
        assert c["verdict"].endswith(f"at {c['train_images']:,} training images")
    assert res["resnet_best_of_four"] is None  # the quick run trains one of the four large styles
    md = (out / "results.md").read_text()
    assert "reproduced" not in md and "refuted" not in md
    for name in ("results.md", "confusion.png", "roc.png", "loss.png", "scores.png", "sizes.png"):
        assert (out / name).stat().st_size > 1000, name
    assert str(tmp_path) not in (out / "results.json").read_text() + md
    runs = sorted(p.name for p in (out / "models" / "runs").glob("*.npz"))
    assert len(runs) == 2 * 2 + 2 * 1 + 2 * 1  # the search, the second seed, the half-size runs
    assert sorted(p.name for p in (out / "models").glob("*.h5")) == ["compact_cnn_qkeras.h5"]
    assert res["device"]["keras_backend"] == "tensorflow"
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "models").rglob("*.*") if p.suffix in (".h5", ".npz")}
    assert main(["events", "--quick", "--out", str(out)]) == 0  # resumed: nothing retrained
    assert {
        p.name: p.stat().st_mtime_ns for p in (out / "models").rglob("*.*") if p.suffix in (".h5", ".npz")
    } == stamps
    assert (
        json.loads((out / "results.json").read_text())["models"]["resnet_style"]["accuracy_seeds"]
        == (models["resnet_style"]["accuracy_seeds"])
    )


def _runs(probs: list[np.ndarray], n: int = 600) -> list[dict]:
    return [{"test": p, "train_images": n} for p in probs]


def test_resnet_claim_verdicts_follow_paired_differences_over_seeds():
    from fpga_nn.studies.events.compare import LARGE, compact_vs_resnet, resnet_claim

    y = np.array([0, 1, 2] * 200)
    eye = np.eye(3)
    right, wrong = eye[y], eye[(y + 1) % 3]
    half = np.where((np.arange(len(y)) % 2 == 0)[:, None], right, wrong)
    good, weak = _runs([right, right, right]), _runs([half, half, half])

    def claim(seeds):
        return resnet_claim(y, {"seeds": seeds}, 50, 1)

    c = claim({"resnet_style": good, **{k: weak for k in LARGE[1:]}})
    assert c["verdict"] == "reproduced at 600 training images" and c["seeds"] == 3
    assert c["resnet_minus"]["densenet_style"]["difference"] == pytest.approx(0.5)
    c = claim({"resnet_style": weak, "densenet_style": good, **{k: weak for k in LARGE[2:]}})
    assert c["verdict"] == "not reproduced at 600 training images: densenet_style higher"
    assert claim({k: weak for k in LARGE})["verdict"] == "not resolved at 600 training images"
    assert claim({"resnet_style": good}) is None
    # a difference that flips sign between seeds is not resolved, however large each seed's is
    flip = _runs([right, half, right, half])
    c = claim({"resnet_style": flip, "densenet_style": _runs([half, right, half, right])})
    assert (
        c["verdict"] == "not resolved at 600 training images"
        and c["resnet_minus"]["densenet_style"]["seed_error"] > 0.2
    )
    grid = {"sizes": {0.5: {"compact_cnn": _runs([right] * 2, 300), "resnet_style": _runs([half] * 2, 300)}}}
    (c,) = compact_vs_resnet(y, grid, 50, 1)
    assert c["verdict"] == "compact higher at 300 training images" and c["difference"] == pytest.approx(0.5)


def test_tuning_chooses_by_validation_loss_and_resumes_run_by_run(tmp_path):
    from fpga_nn.errors import UserInputError
    from fpga_nn.training import tuning

    calls = []

    def fit(name, lr, seed, fraction):
        calls.append((name, lr, seed, fraction))
        loss = {("a", 1e-3): 0.5, ("a", 3e-4): 0.7, ("b", 1e-3): 0.9, ("b", 3e-4): 0.4}[name, lr]
        return {"val_loss": loss + seed / 100, "test": np.full(4, seed + fraction), "train_images": int(100 * fraction)}

    t = tuning.Tuning(learning_rates=(1e-3, 3e-4), seeds=3, fractions=(0.25,), size_seeds=2)
    grid = tuning.run_grid(("a", "b"), t, fit)
    assert grid["chosen"] == {"a": 1e-3, "b": 3e-4}
    # the search for every network first, then the seeds, then the smaller sets: a stopped study is level
    assert calls[:4] == [("a", 1e-3, 0, 1.0), ("b", 1e-3, 0, 1.0), ("a", 3e-4, 0, 1.0), ("b", 3e-4, 0, 1.0)]
    assert calls[4:8] == [("a", 1e-3, 1, 1.0), ("b", 3e-4, 1, 1.0), ("a", 1e-3, 2, 1.0), ("b", 3e-4, 2, 1.0)]
    assert calls[8:] == [("a", 1e-3, 0, 0.25), ("b", 3e-4, 0, 0.25), ("a", 1e-3, 1, 0.25), ("b", 3e-4, 1, 0.25)]
    assert [r["val_loss"] for r in grid["seeds"]["b"]] == pytest.approx([0.4, 0.41, 0.42], abs=1e-12)
    assert grid["sizes"][1.0]["a"] == grid["seeds"]["a"]  # the whole set: every seed
    # nested subsets: the quarter lies inside the half, a seed does not change them
    train = np.arange(10, 90)
    q, h = tuning.subset(train, 0.25, 3), tuning.subset(train, 0.5, 3)
    assert len(q) == 20 and len(h) == 40 and set(q) <= set(h) <= set(train)
    np.testing.assert_array_equal(tuning.subset(train, 1.0, 3), train)
    # the store: a second ask with the same settings reads the run back; other settings train again
    store = tuning.RunStore(tmp_path)
    made = []

    def make():
        made.append(1)
        return {"test": np.arange(6, dtype=np.float32).reshape(2, 3), "val_loss": 0.25, "history": {"loss": [1.0]}}

    key = {"network": "a", "learning_rate": 1e-3, "seed": 0}
    first = store.get(key, make)
    again = store.get(key, make)
    assert len(made) == 1 and again["val_loss"] == 0.25 and again["history"] == {"loss": [1.0]}
    np.testing.assert_array_equal(again["test"], first["test"])
    store.get({**key, "seed": 1}, make)
    assert len(made) == 2 and len(list(tmp_path.glob("a-*.npz"))) == 2
    with pytest.raises(UserInputError, match="fractions"):
        tuning.Tuning(fractions=(1.5,))
