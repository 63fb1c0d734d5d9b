"""A softmax head cannot pass silently: its argmax must name the logits' top class on enough events."""

import json

import numpy as np
import pytest

from fpga_nn.cli import main

from .conftest import PART


def _close_logits_model(tmp_path):
    """Logits that differ by small steps (16-bit activations): hls4ml's softmax tables tie them."""
    import tensorflow as tf
    from qkeras import QActivation, QDense

    tf.keras.utils.set_random_seed(3)
    inp = tf.keras.Input((6,), name="x")
    h = QDense(5, kernel_quantizer="quantized_bits(12,3,alpha=1)", bias_quantizer="quantized_bits(12,3,alpha=1)",
               name="logits")(inp)  # fmt: skip
    h = QActivation("quantized_bits(16,4,alpha=1)", name="q")(h)
    model = tf.keras.Model(inp, tf.keras.layers.Activation("softmax", name="softmax")(h))
    w = model.get_layer("logits").get_weights()
    rng = np.random.default_rng(0)
    model.get_layer("logits").set_weights([np.round(rng.normal(0, 0.05, w[0].shape) * 256) / 256, w[1]])
    model.save(tmp_path / "sm.h5")
    np.save(tmp_path / "x.npy", np.round(np.random.default_rng(1).normal(0, 2, (2000, 6)) * 16) / 16)


@pytest.mark.csim
def test_the_softmax_gate_fails_a_tied_table_and_a_stated_threshold_passes_it(tmp_path, capsys):
    _close_logits_model(tmp_path)
    argv = ["build", "--part", PART, "--model", str(tmp_path / "sm.h5"), "--data", str(tmp_path / "x.npy"), "--no-rtl"]
    assert main(argv + ["--output-dir", str(tmp_path / "p")]) == 4
    err = capsys.readouterr().err
    assert "below --min-argmax-agreement 99 %" in err and "--no-softmax" in err
    check = json.loads((tmp_path / "p" / "csim_check.json").read_text())
    head = check["softmax"]
    assert check["mismatches"] == 0 and head["emulator_mismatches"] == 0  # exact logits, exact tables: still bad
    vec = tmp_path / "p" / "vectors"
    out, logits = np.load(vec / "csim.npy"), np.load(vec / "logits_csim.npy").reshape(2000, -1)
    agree = 100.0 * np.mean(out.argmax(1) == logits.argmax(1))
    ties = int(np.sum(np.sum(out == out.max(1, keepdims=True), axis=1) > 1))
    assert head["argmax_vs_logits_percent"] == round(agree, 4) < 99 and head["tied_events"] == ties > 0

    assert main(argv + ["--output-dir", str(tmp_path / "q"), "--min-argmax-agreement", "90"]) == 0
    assert f"argmax names the logits' top class on {agree:.2f} %" in capsys.readouterr().out
    assert main(argv + ["--output-dir", str(tmp_path / "r"), "--no-softmax"]) == 0  # the logits: exact


@pytest.mark.csim
def test_the_gate_names_tables_that_pass_and_the_rebuild_agrees_as_the_emulator_said(tmp_path, capsys):
    """The failing gate's remedy: the cheapest --softmax-table-size/--softmax-table-type with which the
    emulator's copy of hls4ml's tables passes; rebuilt with them, the C-simulation agrees exactly as predicted."""
    import shlex

    _close_logits_model(tmp_path)
    argv = ["build", "--part", PART, "--model", str(tmp_path / "sm.h5"), "--data", str(tmp_path / "x.npy"), "--no-rtl"]
    assert main(argv + ["--output-dir", str(tmp_path / "p")]) == 4
    remedy = json.loads((tmp_path / "p" / "csim_check.json").read_text())["softmax"]["remedy"]
    assert remedy["options"] and remedy["agreement_percent"] >= 99.0
    fix = shlex.split(" ".join(remedy["options"]))
    assert f"rebuild with {' '.join(remedy['options'])}" in capsys.readouterr().err
    assert main(argv + ["--output-dir", str(tmp_path / "q"), *fix]) == 0
    check = json.loads((tmp_path / "q" / "csim_check.json").read_text())
    assert check["mismatches"] == 0 and check["softmax"]["emulator_mismatches"] == 0
    assert check["softmax"]["argmax_vs_logits_percent"] == remedy["agreement_percent"]
    emulation = json.loads((tmp_path / "q" / "emulation.json").read_text())
    softmax = next(layer for layer in emulation["layers"] if layer["class"] == "Softmax")
    if "--softmax-table-size" in fix:
        assert softmax["attrs"]["inv_table_size"] == int(fix[fix.index("--softmax-table-size") + 1])
    if "--softmax-table-type" in fix:
        assert softmax["types"]["exp_table_t"] == fix[fix.index("--softmax-table-type") + 1]


def test_softmax_table_options_are_checked_before_any_work(tmp_path, capsys):
    argv = ["build", "--part", PART, "--no-rtl", "--output-dir", str(tmp_path / "p")]
    assert main(argv + ["--softmax-table-size", "1000"]) == 2
    assert "--softmax-table-size 1000 must be a power of two from 2 to 65536" in capsys.readouterr().err
    assert main(argv + ["--softmax-table-type", "ap_fixed<18"]) == 2
    assert "cannot read fixed-point type 'ap_fixed<18'" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
