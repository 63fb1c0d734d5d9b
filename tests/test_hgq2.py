"""HGQ2 / Keras 3 models through ``fpga-nn build``: written the way HGQ2's docs write them, trained,
saved as ``.keras``; the C-simulation equals ``model.predict`` on every event, alkaid's interpreter
agrees, and the RTL figures come from alkaid's Keras 3 tracer through Verilator and Yosys."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.cli import main

from .conftest import PART


def _scopes():
    from hgq.config import LayerConfigScope, QuantizerConfigScope

    return (
        QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"),
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="WRAP"),
        LayerConfigScope(enable_ebops=True, beta0=1e-5),
    )


def _dense(path, rng):
    import keras
    from hgq.layers import QDense

    keras.utils.set_random_seed(3)
    a, b, c = _scopes()
    with a, b, c:
        model = keras.Sequential(
            [keras.layers.Input((6,)), QDense(10, activation="relu"), QDense(6, activation="relu"), QDense(2)]
        )
    x = rng.normal(size=(1500, 6)).astype(np.float32)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, (x[:, 0] + x[:, 1] > 0).astype(int), epochs=2, batch_size=128, verbose=0)
    model.save(path)
    return x


def _cnn_softmax(path, rng):
    import keras
    from hgq.layers import QConv2D, QDense, QMaxPool2D, QSoftmax

    keras.utils.set_random_seed(4)
    a, b, c = _scopes()
    with a, b, c:
        inp = keras.layers.Input((6, 6, 1))
        h = QConv2D(2, (3, 3), activation="relu")(inp)
        h = QMaxPool2D((2, 2))(h)
        h = keras.layers.Flatten()(h)
        h = QDense(4, activation="relu")(h)
        out = QSoftmax()(QDense(3)(h))
        model = keras.Model(inp, out)
    x = rng.normal(size=(800, 6, 6, 1)).astype(np.float32)
    y = (x[:, :3].mean(axis=(1, 2, 3)) > 0).astype(int) + (x[:, 3:].mean(axis=(1, 2, 3)) > 0).astype(int)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=64, verbose=0)
    model.save(path)
    return x


@pytest.mark.slow
@pytest.mark.csim
@pytest.mark.rtl
@pytest.mark.parametrize("kind", ["dense", "cnn_softmax"])
def test_an_hgq2_model_builds_bit_exact_with_rtl_figures(tmp_path, rng, capsys, kind):
    model_path = tmp_path / f"{kind}.keras"
    x = (_dense if kind == "dense" else _cnn_softmax)(model_path, rng)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "p"
    args = ["build", "--part", PART, "--model", str(model_path), "--data", str(tmp_path / "x.npy")]
    assert main([*args, "--output-dir", str(out), "--name", "hq"]) == 0, capsys.readouterr().err
    check = json.loads((out / "csim_check.json").read_text())
    assert check["family"] == "hgq2" and check["events"] == len(x) and check["mismatches"] == 0
    assert not check["emulator"]["available"]
    build = json.loads((out / "build.json").read_text())
    rtl = json.loads((out / "rtl" / "rtl_check.json").read_text())
    counts = json.loads((out / "rtl" / "yosys_counts.json").read_text())
    assert rtl["events"] == len(x) and rtl["mismatches_offline"] == 0 and rtl["initiation_interval"] == 1
    assert counts["lut"] > 0 and counts["dsp"] == 0
    report = json.loads((out / "report.json").read_text())
    assert report["latency"]["cycles_max"] == rtl["latency_cycles"]
    interp = check["alkaid_interpreter"]
    if kind == "dense":
        assert interp == {"available": True, "events": len(x), "mismatches_vs_csim": 0, "mismatches_vs_model": 0}
        assert rtl["mismatches_csim"] == 0 and "rtl_scope" not in build
    else:  # the softmax output is exact in the C-simulation; the RTL figures are the logits'
        assert not interp["available"] and "cannot trace" in interp["reason"]
        assert "logits" in build["rtl_scope"] and any("logits" in n for n in report["notes"])
    assert (out / "model.keras").is_file() and "keras_model.keras" not in (out / "hls4ml_config.yml").read_text()


def test_options_that_do_not_apply_to_an_hgq2_model_are_one_line(tmp_path, rng, capsys):
    model_path = tmp_path / "d.keras"
    x = _dense(model_path, rng)
    np.save(tmp_path / "x.npy", x[:10])
    args = ["build", "--part", PART, "--model", str(model_path), "--data", str(tmp_path / "x.npy")]
    assert main([*args, "--input-precision", "ap_fixed<8,3>", "--output-dir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--input-precision does not apply to a Keras 3 / HGQ2 model" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kind", ["dense", "cnn_softmax"])
def test_check_names_the_second_reference_of_every_layer(tmp_path, rng, capsys, kind):
    model_path = tmp_path / f"{kind}.keras"
    x = (_dense if kind == "dense" else _cnn_softmax)(model_path, rng)
    np.save(tmp_path / "x.npy", x)
    capsys.readouterr()
    assert main(["check", str(model_path), "--data", str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if " exact " in f"{line} " and not line.startswith("verdict:")]
    alkaid = [line for line in rows if line.endswith("(second reference: alkaid's interpreter)")]
    if kind == "dense":
        assert len(rows) == len(alkaid) == 3
        assert f"alkaid interpreter vs model.predict: 0 mismatches / {len(x)} events" in lines
    else:  # alkaid 0.8.2 traces the logits: the QSoftmax head alone has no second reference, and says so
        (head,) = [line for line in rows if line not in alkaid]
        assert head.split()[1] == "QSoftmax" and "no second reference: alkaid 0.8.2 does not trace QSoftmax" in head
        assert len(alkaid) == len(rows) - 1 >= 5
        assert f"alkaid interpreter vs model.predict (logits): 0 mismatches / {len(x)} events" in lines
