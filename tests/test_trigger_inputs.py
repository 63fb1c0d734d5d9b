import numpy as np

from fpga_nn.data import trigger_inputs


def test_encoding_lsb_offset_and_clipping():
    feats = {
        "lep1_pt": np.array([0.0, 0.49, 0.5, 127.5, 500.0]),
        "lep2_pt": np.array([10.0, 10.25, 10.5, 10.74, -3.0]),
        "photon_pt": np.zeros(5),
        "m_llg": np.array([99.0, 100.0, 125.0, 227.4, 227.5]),
        "pt_t": np.ones(5),
    }
    codes = trigger_inputs.encode(feats)
    assert codes.dtype == np.uint8 and codes.shape == (5, 5)
    assert codes[:, 0].tolist() == [0, 0, 1, 255, 255]
    assert codes[:, 1].tolist() == [20, 20, 21, 21, 0]
    assert codes[:, 3].tolist() == [0, 0, 50, 254, 255]
    assert codes[:, 4].tolist() == [2] * 5


def test_network_inputs_are_exact_ufixed_8_0():
    codes = np.repeat(np.arange(256, dtype=np.uint8).reshape(-1, 1), 5, axis=1)
    x = trigger_inputs.to_network(codes)
    assert x.dtype == np.float32
    for i in range(5):
        np.testing.assert_array_equal(x[:, i] * 256, np.arange(256))
