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
