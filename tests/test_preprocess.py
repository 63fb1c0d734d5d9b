"""Preprocessing declared with the model: one table per feature in training, emulate, firmware and C++."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.data import preprocess
from fpga_nn.errors import UserInputError

PART = "xcvu13p-flga2577-2-e"

LOG_FEATURE = {
    "name": "radius",
    "unit": "cm",
    "bus": {"bits": 8, "lsb": 0.5, "offset": 0.0},
    "transform": [{"op": "log10", "offset": 1.0}, {"op": "affine", "offset": 0.0, "scale": 0.45}],
}


def declaration(*features, input_type="ap_ufixed<8,0>"):
    return {"input_type": input_type, "features": list(features)}


def test_log10_table_is_the_rounded_transform_of_every_code():
    pre = preprocess.from_dict(declaration(LOG_FEATURE))
    codes = np.arange(256)
    want = np.clip(np.rint(np.log10(codes * 0.5 + 1.0) * 0.45 * 256), 0, 255)
    np.testing.assert_array_equal(pre.table(0), want)
    assert pre.affine(0) is None
    raw = np.array([[0.0], [0.49], [0.5], [12.3], [127.5], [1e6], [-3.0]])
    np.testing.assert_array_equal(pre.encode(raw).ravel(), [0, 0, 1, 24, 255, 255, 0])
    np.testing.assert_array_equal(pre(raw).ravel() * 256, want[[0, 0, 1, 24, 255, 255, 0]])


def test_trigger_coding_is_a_declaration_of_wires():
    from fpga_nn.data import trigger_inputs

    pre = trigger_inputs.PREPROCESSING
    assert pre.names == trigger_inputs.NAMES and pre.input_type.to_ap() == "ap_ufixed<8,0>"
    assert [pre.affine(i) for i in range(5)] == [(0, 1)] * 5
    feats = {name: np.array([0.0, 0.74, 127.5, 300.0]) for name in trigger_inputs.NAMES}
    feats["m_llg"] = np.array([99.0, 100.74, 227.5, 400.0])
    np.testing.assert_array_equal(trigger_inputs.encode(feats), [[0] * 5, [1] * 5, [255] * 5, [255] * 5])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"transform": [{"op": "log10", "offset": 0.0}]}, "feature 'radius': the transform gives -inf for bus code 0"),
        ({"transform": [{"op": "ln"}]}, "feature 'radius': unknown transform 'ln'"),
        ({"bus": {"bits": 13, "lsb": 0.5}}, "a 13-bit bus with a non-affine transform needs a table of 8192 entries"),
        ({"bus": {"bits": 8, "lsb": 0.0}}, "feature 'radius': bus lsb must be a finite number > 0"),
        ({"transform": [{"op": "clip", "min": 1.0, "max": 0.0}]}, "feature 'radius': clip needs finite min, max"),
    ],
)
def test_bad_declarations_name_the_feature(change, message):
    with pytest.raises(UserInputError, match=message.replace("(", r"\(")):
        preprocess.from_dict(declaration({**LOG_FEATURE, **change}))


def test_stage_refuses_codes_beyond_the_bus():
    pre = preprocess.from_dict(declaration(LOG_FEATURE))
    with pytest.raises(UserInputError, match="feature 'radius': bus code 256 is outside 0..255"):
        pre.stage(np.array([[256]]))
    with pytest.raises(UserInputError, match=r"declares 1 features \(radius\), give an array of shape \(N, 1\)"):
        pre.stage(np.zeros((3, 2)))


@pytest.mark.slow
def test_trigger_project_has_a_checked_input_stage_and_vendor_testbench(default_build, tmp_path):
    check = json.loads((default_build / "csim_check.json").read_text())
    stage = check["input_stage"]
    assert stage["mismatches"] == 0 and stage["events"] == check["events"] == 11718
    assert {f["kind"] for f in stage["features"].values()} == {"wire"}
    assert json.loads((default_build / "build.json").read_text())["top_function"] == "trigger_codes"
    assert "set_top ${project_name}_codes" in (default_build / "build_prj.tcl").read_text()
    assert preprocess.from_model_file(default_build / "model.h5") == preprocess.load(default_build / "preprocess.json")
    # the vendor testbench, compiled with g++: bus codes in, the codes top function, the expected outputs out
    fw = default_build / "firmware"
    exe = tmp_path / "tb"
    cmd = ["g++", "-std=c++14", "-O1", f"-I{fw}", f"-I{fw / 'ap_types'}", "trigger_test.cpp"]
    subprocess.run(
        [*cmd, str(fw / "trigger.cpp"), str(fw / "trigger_codes.cpp"), "-o", str(exe)], cwd=default_build, check=True
    )
    work = tmp_path / "run"
    (work / "tb_data").mkdir(parents=True)
    for name in ("tb_input_features.dat", "tb_output_predictions.dat"):
        (work / "tb_data" / name).write_text((default_build / "tb_data" / name).read_text())
    subprocess.run([str(exe)], cwd=work, check=True, capture_output=True)
    got = np.loadtxt(work / "tb_data" / "csim_results.log")
    codes = np.loadtxt(work / "tb_data" / "tb_input_features.dat")
    np.testing.assert_array_equal(codes, np.load(default_build / "vectors" / "codes.npy")[:10_000])
    np.testing.assert_array_equal(got, np.load(default_build / "vectors" / "csim.npy")[:10_000].ravel())


def _t5_style_model(tmp_path, n_in=4):
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(8, 1, alpha=1)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((n_in,)),
            QDense(16, kernel_quantizer=q, bias_quantizer=q),
            QActivation(quantized_relu(8, 3)),
            QDense(1, kernel_quantizer=q, bias_quantizer=q, name="output"),
            QActivation(quantized_bits(10, 4, alpha=1)),
        ]
    )
    rng = np.random.default_rng(3)
    model.set_weights([rng.uniform(-1, 1, w.shape).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.mark.slow
def test_model_carrying_its_preprocessing_builds_from_raw_values(tmp_path, capsys):
    model = _t5_style_model(tmp_path)
    pre = preprocess.from_dict(
        declaration(
            LOG_FEATURE,
            {**LOG_FEATURE, "name": "pt", "unit": "GeV", "bus": {"bits": 10, "lsb": 0.125, "offset": 0.0}},
            {
                "name": "z",
                "unit": "cm",
                "bus": {"bits": 8, "lsb": 1.0, "offset": -128.0},
                "transform": [{"op": "affine", "offset": -128.0, "scale": 1 / 256}],
            },
            {
                "name": "eta",
                "bus": {"bits": 6, "lsb": 0.125, "offset": -4.0},
                "transform": [{"op": "affine", "offset": -4.0, "scale": 0.125}],
            },
            input_type="ap_ufixed<10,0>",
        )
    )
    assert [pre.affine(i) for i in range(4)] == [None, None, (0, 4), (0, 16)]
    model.save(tmp_path / "net.h5")
    pre.attach(tmp_path / "net.h5")
    rng = np.random.default_rng(9)
    raw = np.stack(
        [rng.exponential(20, 3000), rng.exponential(10, 3000), rng.normal(0, 60, 3000), rng.normal(0, 1.5, 3000)], 1
    )
    raw[:20] = [[1e4, 1e4, 500.0, 9.0]]  # saturating values: the bus coding clips them, as hardware does
    np.save(tmp_path / "raw.npy", raw)
    assert main(["check", str(tmp_path / "net.h5"), "--data", str(tmp_path / "raw.npy")]) == 0
    said = capsys.readouterr().out
    assert "input type: ap_ufixed<10,0>" in said
    assert "preprocessing: declared in the model file: 4 features (2 affine, 2 table); --data holds raw values" in said
    out = tmp_path / "p"
    args = ["build", "--model", str(tmp_path / "net.h5"), "--data", str(tmp_path / "raw.npy"), "--part", PART]
    assert main([*args, "--input-precision", "ap_fixed<16,6>", "--output-dir", str(tmp_path / "refused")]) == 2
    assert "the preprocessing fixes the input type (ap_ufixed<10,0>): drop --input-precision" in capsys.readouterr().err
    assert main([*args, "--no-rtl", "--cpp", "--output-dir", str(out)]) == 0
    check = json.loads((out / "csim_check.json").read_text())
    assert check["mismatches"] == 0 and check["events"] == 3000
    assert check["input_stage"]["mismatches"] == 0
    assert {k: f["kind"] for k, f in check["input_stage"]["features"].items()} == {
        "radius": "table",
        "pt": "table",
        "z": "affine",
        "eta": "affine",
    }
    # training's view (the declaration applied in NumPy) is what the firmware saw
    np.testing.assert_array_equal(np.load(out / "vectors" / "inputs.npy"), pre(raw))
    cpp = json.loads((out / "cpp" / "check.json").read_text())
    assert cpp["mismatches_vs_csim"] == 0 and cpp["from"] == "raw values (predict_raw)" and cpp["events"] == 3000
    assert main(["emulate", str(out), "--data", str(tmp_path / "raw.npy"), "--out", str(tmp_path / "e.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "e.npy").astype(np.float32), np.load(out / "vectors" / "csim.npy"))


@pytest.mark.slow
def test_json_architecture_with_weights_builds(tmp_path, capsys):
    model = _t5_style_model(tmp_path, n_in=5)
    (tmp_path / "net.json").write_text(model.to_json())
    model.save_weights(str(tmp_path / "net_weights.h5"))
    x = (np.random.default_rng(2).integers(0, 256, (500, 5)) / 256).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    args = ["build", "--model", str(tmp_path / "net.json"), "--data", str(tmp_path / "x.npy"), "--part", PART]
    assert main([*args, "--output-dir", str(tmp_path / "refused")]) == 2
    assert not (tmp_path / "refused").exists()
    assert "holds only the architecture: give its weights with --weights FILE.h5" in capsys.readouterr().err
    out = tmp_path / "j"
    assert main([*args, "--weights", str(tmp_path / "net_weights.h5"), "--no-rtl", "--output-dir", str(out)]) == 0
    check = json.loads((out / "csim_check.json").read_text())
    assert check["mismatches"] == 0 and check["events"] == 500
    np.testing.assert_array_equal(np.load(out / "vectors" / "expected.npy"), model.predict(x, verbose=0))
