"""The default job's output directory: every file the trigger designer is promised, bit-exact."""

import json

import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.csim]

EXPECTED_FILES = [
    "build_prj.tcl",
    "build_lib.sh",
    "hls4ml_config.yml",
    "model.h5",
    "csim_check.json",
    "metrics.json",
    "build.json",
    "firmware/trigger.cpp",
    "firmware/parameters.h",
    "vectors/inputs.npy",
    "vectors/expected.npy",
    "vectors/csim.npy",
    "vectors/labels.npy",
    "plots/roc.png",
    "plots/loss.png",
    "plots/scores.png",
    "tb_data/tb_input_features.dat",
]


def test_layout(default_build):
    for rel in EXPECTED_FILES:
        assert (default_build / rel).is_file(), rel
    assert not list(default_build.parent.glob(".trigger.building-*")), "staging folder left behind"
    assert not list((default_build / "firmware").glob("*.so"))
    cfg = (default_build / "hls4ml_config.yml").read_text()
    assert ".building-" not in cfg, "paths of the staging folder leaked into the project"
    assert f"OutputDir: {default_build}" in cfg and str(default_build / "model.h5") in cfg


def test_csim_check_every_test_event(default_build):
    check = json.loads((default_build / "csim_check.json").read_text())
    assert check["events"] == 11_718
    assert check["mismatches"] == 0
    assert check["max_abs_diff_lsb"] == 0.0
    assert check["first_mismatches"] == []
    assert check["output_type"] == "ap_fixed<8,4,RND_CONV,SAT>"
    assert check["input_type"] == "ap_ufixed<8,0>"


def test_saved_model_reproduces_csim_bit_for_bit(default_build):
    from qkeras.utils import load_qmodel

    model = load_qmodel(str(default_build / "model.h5"), compile=False)
    x = np.load(default_build / "vectors" / "inputs.npy")
    assert x.dtype == np.float32 and x.shape == (11_718, 5)
    np.testing.assert_array_equal(x * 256, np.round(x * 256))  # 8-bit codes exactly
    fresh = model.predict(x, verbose=0)
    np.testing.assert_array_equal(fresh, np.load(default_build / "vectors" / "csim.npy"))
    np.testing.assert_array_equal(fresh, np.load(default_build / "vectors" / "expected.npy"))


def test_metrics_and_types(default_build):
    m = json.loads((default_build / "metrics.json").read_text())
    assert m["dataset"]["test"] == 11_718
    assert m["csim"]["auc"] == m["quantized"]["auc"]
    assert [w["target_background_efficiency"] for w in m["csim"]["working_points"]] == [0.01, 0.05, 0.10]
    for w in m["csim"]["working_points"]:
        assert w["background_efficiency"] <= w["target_background_efficiency"]
    build = json.loads((default_build / "build.json").read_text())
    assert build["layer_types"]["hidden_relu"]["result_t"] == "ufixed<8,3,RND_CONV,SAT,0>"
    assert build["layer_types"]["output"]["result_t"] == "fixed<8,4,RND_CONV,SAT,0>"
    assert "score" not in build["layer_types"]  # merged into 'output' with the quantizer's type
