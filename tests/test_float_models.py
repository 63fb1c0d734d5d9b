"""Float Keras models at a chosen precision (``build --precision``), written the way their users write them:
Sequential with fused activations, JSON + weights, batch normalization, a Conv1D tagger. The firmware equals
the emulation of the chosen types on every event; the float model's agreement is measured and gated."""

import json

import numpy as np
import pytest

from fpga_nn.cli import main

from .conftest import PART


def _dense_softmax(tmp_path):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(5)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((8,)),
            tf.keras.layers.Dense(12, activation="relu", name="fc1"),
            tf.keras.layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    path = tmp_path / "float_dense.h5"
    model.save(path)
    x = np.random.default_rng(1).normal(size=(1500, 8)).astype(np.float32)
    np.save(tmp_path / "x8.npy", x)
    return path, tmp_path / "x8.npy", model


def _build(model, data, out, *extra, weights=None):
    argv = ["build", "--part", PART, "--model", str(model), "--data", str(data), "--output-dir", str(out), "--no-rtl"]
    return main(argv + (["--weights", str(weights)] if weights else []) + list(extra))


@pytest.mark.csim
def test_a_float_model_is_bit_exact_against_the_emulation_of_its_precision(tmp_path, capsys):
    model_path, data, model = _dense_softmax(tmp_path)
    out = tmp_path / "p"
    assert _build(model_path, data, out, "--precision", "ap_fixed<16,6>", "--max-flip", "100") == 0
    check = json.loads((out / "csim_check.json").read_text())
    assert check["events"] == 1500 and check["mismatches"] == 0
    assert check["reference"].startswith("fpga-nn's emulator") and check["family"] == "float"
    csim, emu = np.load(out / "vectors" / "csim.npy"), np.load(out / "vectors" / "expected.npy")
    assert np.array_equal(csim, emu)  # the whole output, softmax table included
    floats = np.load(out / "vectors" / "float_outputs.npy")
    x = np.load(out / "vectors" / "inputs.npy")
    assert np.array_equal(floats, model.predict(x, verbose=0))  # the float model, on the inputs the firmware saw
    agree = check["float_agreement"]
    flips = int(np.sum(floats.argmax(1) != csim.argmax(1)))
    assert agree["working_points"] == [{"decision": "argmax", "flipped": flips, "percent": 100.0 * flips / 1500}]
    assert agree["max_abs_diff"] == pytest.approx(float(np.abs(floats - csim).max()))
    profile = json.loads((out / "precision_profile.json").read_text())
    assert [r["layer"] for r in profile["layers"]] == ["fc1", "out", "out_softmax"]
    assert profile["layers"][0]["weights"]["values"] == 8 * 12 + 12
    assert (out / "plots" / "precision_profile.png").stat().st_size > 10_000
    build = json.loads((out / "build.json").read_text())
    assert build["precision"] == "ap_fixed<16,6>" and build["layer_types"]["fc1"]["accum_t"].startswith("fixed<16,6")
    text = capsys.readouterr().out
    assert "0 mismatches / 1500 events (bit-exact against fpga-nn's emulator" in text and "flipped" in text


@pytest.mark.csim
def test_too_many_flipped_decisions_fail_the_build_and_name_the_fix(tmp_path, capsys):
    model_path, data, _ = _dense_softmax(tmp_path)
    out = tmp_path / "coarse"
    assert _build(model_path, data, out, "--precision", "ap_fixed<6,2>", "--max-flip", "0.5") == 4
    err = capsys.readouterr().err
    assert "flips" in err and "more than --max-flip 0.5 %" in err and "wider --precision" in err
    check = json.loads((out / "csim_check.json").read_text())  # the project is kept for inspection
    assert check["mismatches"] == 0 and check["float_agreement"]["worst_percent"] > 0.5


def test_a_float_model_without_precision_is_told_to_give_one(tmp_path, capsys):
    model_path, data, _ = _dense_softmax(tmp_path)
    assert _build(model_path, data, tmp_path / "q") != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--precision 'ap_fixed<16,6>'" in err[0]
    assert not (tmp_path / "q").exists()


def test_precision_is_refused_for_a_quantized_model(tmp_path, capsys):
    import tensorflow as tf
    from qkeras import QActivation, QDense

    model = tf.keras.Sequential(
        [
            tf.keras.Input((3,)),
            QDense(2, kernel_quantizer="quantized_bits(4,0,alpha=1)", name="qd"),
            QActivation("quantized_relu(4,2)"),
        ]
    )
    model.save(tmp_path / "q.h5")
    np.save(tmp_path / "x.npy", np.zeros((4, 3), np.float32))
    assert _build(tmp_path / "q.h5", tmp_path / "x.npy", tmp_path / "p", "--precision", "ap_fixed<16,6>") == 2
    err = capsys.readouterr().err
    assert "'qd' is quantized and fixes its own types: drop --precision" in err


@pytest.mark.csim
def test_json_weights_batchnorm_sigmoid_and_conv1d_float_models(tmp_path):
    """One score with batch normalization (JSON + weights, working points at 1/10/50 % of the float model's
    pass rate), and a Conv1D tagger: C-simulation == emulator on every event."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(7)
    inp = tf.keras.Input((6,), name="feats")
    h = tf.keras.layers.Dense(10, name="d1")(inp)
    h = tf.keras.layers.BatchNormalization(name="bn1")(h)
    h = tf.keras.layers.Activation("relu", name="r1")(h)
    y = tf.keras.layers.Dense(1, activation="sigmoid", name="score")(h)
    bn = tf.keras.Model(inp, y, name="bn_net")
    bn.get_layer("bn1").set_weights(
        [np.linspace(0.5, 1.5, 10)] * 2 + [np.linspace(-0.3, 0.3, 10), np.linspace(0.5, 2, 10)]
    )
    (tmp_path / "bn.json").write_text(bn.to_json())
    bn.save_weights(tmp_path / "bn_weights.h5")
    np.save(tmp_path / "x6.npy", np.random.default_rng(2).normal(size=(1200, 6)).astype(np.float32))
    out = tmp_path / "bn"
    assert _build(tmp_path / "bn.json", tmp_path / "x6.npy", out, "--precision", "ap_fixed<18,8>", "--max-flip", "100",
                  weights=tmp_path / "bn_weights.h5") == 0  # fmt: skip
    check = json.loads((out / "csim_check.json").read_text())
    assert check["mismatches"] == 0 and len(check["float_agreement"]["working_points"]) == 3

    conv = tf.keras.Sequential(
        [
            tf.keras.Input((10, 3)),
            tf.keras.layers.Conv1D(4, 3, activation="relu", name="c1"),
            tf.keras.layers.Flatten(name="flat"),
            tf.keras.layers.Dense(3, activation="softmax", name="cls"),
        ]
    )
    conv.save(tmp_path / "conv.h5")
    np.save(tmp_path / "x10.npy", np.random.default_rng(3).uniform(-1, 1, (800, 10, 3)).astype(np.float32))
    out = tmp_path / "conv"
    assert (
        _build(tmp_path / "conv.h5", tmp_path / "x10.npy", out, "--precision", "ap_fixed<16,6>", "--max-flip", "100")
        == 0
    )
    assert json.loads((out / "csim_check.json").read_text())["mismatches"] == 0


@pytest.mark.csim
def test_a_depthwise_model_gets_io_stream_without_asking(tmp_path, capsys, caplog):
    """Depthwise convolutions exist for io_stream only in hls4ml: build picks it, says so, and is exact."""
    from . import corpus

    case = {c.name: c for c in corpus.cases()}["qdepthwise2d"]
    case.make().save(tmp_path / "dw.h5")
    np.save(tmp_path / "x.npy", corpus.inputs(case, 200))
    out = tmp_path / "dw"
    assert _build(tmp_path / "dw.h5", tmp_path / "x.npy", out) == 0
    assert "io type io_stream: layer 'dw' (QDepthwiseConv2D) exists for io_stream only" in caplog.text
    assert json.loads((out / "build.json").read_text())["io_type"] == "io_stream"
    assert json.loads((out / "csim_check.json").read_text())["mismatches"] == 0
    capsys.readouterr()
    assert _build(tmp_path / "dw.h5", tmp_path / "x.npy", tmp_path / "p", "--io-type", "io_parallel") == 2
    assert "layer 'dw' (QDepthwiseConv2D) is refused" in capsys.readouterr().err  # a choice given is kept
