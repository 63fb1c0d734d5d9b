"""C-simulation equals the offline QKeras prediction bit for bit, over the axes that matter."""

import numpy as np
import pytest

from fpga_nn.build.firmware import BuildOptions, convert_and_verify
from fpga_nn.fixed import FixedType

from .conftest import PART
from .qmodels import make_model, signed_inputs

VARIATIONS = {
    "w4-int0": dict(wbits=4, wint=0, relu=(4, 2)),
    "w6-int1": dict(wbits=6, wint=1, relu=(6, 2)),
    "w8-int0-alpha1": dict(wbits=8, wint=0),
    "w8-int1-alpha1": dict(wbits=8, wint=1),
    "relu-8-0": dict(relu=(8, 0)),
    "relu-10-4": dict(relu=(10, 4), out=(12, 5)),
    "two-hidden": dict(hidden=(16, 8), wint=1),
    "five-class": dict(hidden=(12,), n_out=5, out=(8, 2)),
}


@pytest.mark.csim
@pytest.mark.parametrize("variation", list(VARIATIONS), ids=list(VARIATIONS))
def test_csim_equals_qkeras(variation, tmp_path):
    model = make_model(seed=len(variation), **VARIATIONS[variation])
    x = signed_inputs(3000, 5, seed=1)
    input_type = FixedType.narrowest_for(x)
    assert input_type == FixedType(True, 10, 4)
    checked = convert_and_verify(model, x, input_type, tmp_path, BuildOptions(part=PART, name="var"))
    summary = checked.summary
    assert summary["events"] == 3000
    assert summary["mismatches"] == 0, summary["first_mismatches"][:3]
    assert summary["max_abs_diff_lsb"] == 0.0
    csim = np.load(tmp_path / "vectors" / "csim.npy")
    np.testing.assert_array_equal(checked.csim, csim)  # the typed result holds what the files hold
    np.testing.assert_array_equal(checked.inputs, np.load(tmp_path / "vectors" / "inputs.npy"))
    assert checked.mismatches == 0
    expected = model.predict(x, verbose=0)
    np.testing.assert_array_equal(csim, expected)
    # The test data must exercise the network: many distinct output codes, some saturated.
    assert len(np.unique(expected)) > 20
    assert not list((tmp_path / "firmware").glob("*.so")), "the csim library must not be left behind"


@pytest.mark.csim
def test_mismatch_is_reported_with_first_diverging_layer(tmp_path, monkeypatch):
    """A float Dense whose weights hls4ml's default type cuts (fpga-nn's widening of quantizer-less weights,
    ``float_weight_types``, switched off, as before it existed): the firmware is not QKeras, the check says
    so and names the layer."""
    import tensorflow as tf

    from fpga_nn.convert import project

    monkeypatch.setattr(project, "float_weight_types", lambda hls_model, model: {})

    x_in = tf.keras.Input((4,), name="inputs")
    h = tf.keras.layers.Dense(3, name="float_dense")(x_in)
    model = tf.keras.Model(x_in, h)
    model.set_weights([np.full((4, 3), 0.1234567, np.float32), np.full(3, 0.3, np.float32)])
    x = signed_inputs(200, 4, seed=2)
    checked = convert_and_verify(model, x, FixedType(True, 10, 4), tmp_path, BuildOptions(part=PART, name="bad"))
    summary = checked.summary
    assert summary["mismatches"] > 0
    assert summary["divergence"]["layer"] == "float_dense"
    assert len(summary["first_mismatches"]) == min(10, summary["mismatches"])
