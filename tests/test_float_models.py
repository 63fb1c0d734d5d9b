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


def test_auto_types_hold_the_largest_value_in_the_fewest_integer_bits():
    from fpga_nn.errors import UserInputError
    from fpga_nn.fixed import FixedType
    from fpga_nn.frontends.float_profile import auto_width, holding

    assert holding(0.76, 16) == FixedType(True, 16, 1)  # [-1, 1 - 2^-15]
    assert holding(1.0, 16) == FixedType(True, 16, 2)  # 1.0 itself needs a second integer bit
    assert holding(3.7, 16, margin=1) == FixedType(True, 16, 4)
    assert holding(0.01, 16) == FixedType(True, 16, 0)  # no fewer than 0 integer bits
    assert holding(0.0, 12) == FixedType(True, 12, 1)
    assert auto_width("auto") == 16 and auto_width(" auto<10> ") == 10 and auto_width("ap_fixed<16,6>") is None
    with pytest.raises(UserInputError, match="the width must be 4 to 32 bits"):
        auto_width("auto<40>")


@pytest.mark.csim
def test_precision_auto_chooses_each_layers_type_from_the_profile(tmp_path, capsys):
    """``--precision auto``: 16-bit types per layer whose integer bits hold the weights' largest magnitude
    and the outputs' on --data (one spare bit; a softmax its bound 1), and C-simulation == emulator."""
    from fpga_nn.frontends.float_profile import holding

    model_path, data, model = _dense_softmax(tmp_path)
    out = tmp_path / "auto"
    assert _build(model_path, data, out, "--precision", "auto", "--max-flip", "100") == 0
    check = json.loads((out / "csim_check.json").read_text())
    assert check["mismatches"] == 0 and check["events"] == 1500
    assert "types per layer from the precision profile (auto)" in check["reference"]
    assert np.array_equal(np.load(out / "vectors" / "csim.npy"), np.load(out / "vectors" / "expected.npy"))
    build = json.loads((out / "build.json").read_text())
    assert build["precision"] == "auto"
    types = build["layer_types"]
    w, b = model.get_layer("fc1").get_weights()
    for key, arr in (("weight_t", w), ("bias_t", b)):
        t = holding(float(np.abs(arr).max()), 16)
        assert types["fc1"][key].startswith(f"fixed<16,{t.integer},")
    x = np.load(out / "vectors" / "inputs.npy")
    pre = x @ w + b  # fc1's sums before its ReLU: the Dense layer's own result type holds them
    t_pre = holding(float(np.abs(pre).max()), 16, margin=1)
    assert types["fc1"]["result_t"].startswith(f"fixed<16,{t_pre.integer},")
    assert types["fc1"]["accum_t"].startswith(f"fixed<19,{t_pre.integer},")  # 8 inputs: 3 more fraction bits
    assert types["out_softmax"]["result_t"].startswith("fixed<16,2,")  # the softmax's bound, 1.0
    assert types["out_softmax"]["exp_table_t"].startswith("fixed<18,8,RND,SAT")  # hls4ml's table default kept
    profile = json.loads((out / "precision_profile.json").read_text())
    fc1 = profile["layers"][0]
    assert fc1["weights"]["overflow"] == 0 and fc1["pre_activation"]["overflow"] == 0
    assert fc1["weights"]["types"] == {"weight": f"ap_fixed<16,{holding(np.abs(w).max(), 16).integer}>",
                                       "bias": f"ap_fixed<16,{holding(np.abs(b).max(), 16).integer}>"}  # fmt: skip
    assert (out / "plots" / "precision_profile.png").stat().st_size > 10_000
    assert "types per layer from the precision profile" in capsys.readouterr().out
