"""The C++17 export (seed 001's hand port, generated): bit-exact with the C-simulation on every event."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.errors import UnsupportedModelError
from fpga_nn.verify import cpp_export


@pytest.mark.csim
def test_sequential_sigmoid_net_exports_bit_exact(tmp_path):
    """A T5-style Sequential QKeras net (inputs in [0, 1], two hidden layers, sigmoid head), as users write it."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    q = quantized_bits(8, 1, alpha=1)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((23,)),
            QDense(32, kernel_quantizer=q, bias_quantizer=q),
            QActivation(quantized_relu(8, 3)),
            QDense(32, kernel_quantizer=q, bias_quantizer=q),
            QActivation(quantized_relu(8, 3)),
            QDense(1, kernel_quantizer=q, bias_quantizer=q),
            tf.keras.layers.Activation("sigmoid"),
        ]
    )
    rng = np.random.default_rng(5)
    model.set_weights([rng.uniform(-0.8, 0.8, w.shape).astype(np.float32) for w in model.get_weights()])
    model.save(tmp_path / "t5.h5")
    x = (rng.integers(0, 1024, (3000, 23)) / 1024).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "t5"
    args = ["build", "--model", str(tmp_path / "t5.h5"), "--data", str(tmp_path / "x.npy"), "--part"]
    assert main([*args, "xcvu13p-flga2577-2-e", "--no-rtl", "--cpp", "--output-dir", str(out)]) == 0
    check = json.loads((out / "cpp" / "check.json").read_text())
    assert check == {
        "header": "cpp/t5.h",
        "events": 3000,
        "mismatches_vs_csim": 0,
        "from": "network inputs (predict_one)",
        "compiler": "g++",
        "standard": "c++17",
    }
    header = (out / "cpp" / "t5.h").read_text()
    assert "template <std::size_t N, typename In>" in header and '#include "ap_fixed.h"' in header
    assert (out / "cpp" / "ap_types" / "ap_fixed.h").is_file()
    # the check compares against the C-simulation of the sigmoid table: different from the float sigmoid
    csim = np.load(out / "vectors" / "csim.npy").ravel()
    assert not np.array_equal(csim, model.predict(x, verbose=0).ravel())


def test_unexported_layers_are_named():
    with pytest.raises(UnsupportedModelError, match=r"layer 'conv1' \(Conv2D\) is not exported"):
        cpp_export._layer_code(
            {"name": "conv1", "class": "Conv2D", "types": {"result_t": "ap_fixed<8,3>"}}, {}, "x", 4, "ap_fixed<8,3>"
        )
    with pytest.raises(UnsupportedModelError, match=r"export the --no-softmax build"):
        cpp_export._layer_code(
            {"name": "sm", "class": "Softmax", "types": {"result_t": "ap_fixed<8,3>"}}, {}, "x", 4, "ap_fixed<8,3>"
        )
