"""HGQ proxy models (Keras 2, ``FixedPointQuantizer`` layers) through ``fpga-nn build``.

hls4ml's example-models repository ships six (three ``model.save`` files, three JSON + weights);
``benchmarks/outside_models.py`` builds them where a user has a copy (not committed here). CI checks
the two things that make those builds trustworthy: fpga-nn's own ``FixedPointQuantizer`` (HGQ v1 needs
Keras < 3, so it cannot share this environment) quantizes exactly as an ``ap_fixed`` cast does, for
every rounding and overflow mode the proxies use; and a proxy model written with it, saved and
loaded like HGQ's, builds bit-exact in both file forms.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.fixed import FixedType
from fpga_nn.fixed.arith import from_float, to_float

from .conftest import PART

MODES = [(r, s) for r in ("TRN", "RND", "RND_CONV", "TRN_ZERO", "RND_ZERO", "RND_INF", "RND_MIN_INF") for s in
         ("WRAP", "SAT", "SAT_SYM")]  # fmt: skip


@pytest.mark.parametrize("rnd, sat", MODES, ids=[f"{r}-{s}" for r, s in MODES])
def test_the_proxy_quantizer_is_an_ap_fixed_cast(rnd, sat):
    from fpga_nn.frontends.hgq_proxy import custom_objects

    layer_cls = custom_objects()["FixedPointQuantizer"]
    rng = np.random.default_rng(7)
    k, b, i = np.array([1, 0, 1, 1, 0]), np.array([8, 6, 5, 12, 3]), np.array([3, 2, -1, 6, 0])
    q = layer_cls(keep_negative=k, bits=b, integers=i, RND=rnd, SAT=sat)
    x = np.concatenate([rng.uniform(-80, 80, (4000, 5)), rng.integers(-600, 600, (2000, 5)) / 16]).astype(np.float32)
    got = np.asarray(q(x))
    for col in range(5):
        t = FixedType(bool(k[col]), int(b[col]), int(i[col]), rnd, sat)
        want = to_float(from_float(x[:, col].astype(np.float64), t), t)
        np.testing.assert_array_equal(got[:, col], want.astype(np.float32), err_msg=f"column {col}: {t.to_ap()}")


def _proxy(rng):
    """A small proxy network as HGQ writes one: quantizer, Dense, quantizer, ReLU, quantizer, Dense, quantizer.

    One type per quantizer: HGQ writes a heterogeneous proxy with ``overrides`` holding the layer types
    its precision derivation found, which hls4ml then uses; the six example proxies of hls4ml's
    repository (heterogeneous ones included) are built by ``benchmarks/outside_models.py``."""
    import tensorflow as tf

    from fpga_nn.frontends.hgq_proxy import custom_objects

    fpq = custom_objects()["FixedPointQuantizer"]
    inp = tf.keras.Input((6,), name="inp")
    h = fpq(1, 8, 3, name="inp_q", RND="TRN", SAT="WRAP")(inp)
    h = tf.keras.layers.Dense(8, name="d1")(h)
    h = fpq(1, 10, 5, name="d1_q", RND="RND", SAT="SAT")(h)
    h = tf.keras.layers.Activation("relu", name="d1_relu")(h)
    h = fpq(0, 7, 4, name="d1_relu_q", RND="TRN", SAT="SAT")(h)
    h = tf.keras.layers.Dense(3, name="d2")(h)
    out = fpq(1, 10, 5, name="d2_q", RND="RND_CONV", SAT="WRAP")(h)
    model = tf.keras.Model(inp, out, name="proxy")
    weights = [np.round(rng.normal(0, 0.5, w.shape) * 32) / 32 for w in model.get_weights() if w.dtype != np.int8]
    it = iter(weights)
    model.set_weights([w if w.dtype == np.int8 else next(it) for w in model.get_weights()])
    return model


@pytest.mark.slow
@pytest.mark.csim
@pytest.mark.parametrize("form", ["h5", "json+weights"])
def test_a_proxy_model_builds_bit_exact(tmp_path, rng, capsys, form):
    from fpga_nn.frontends.sniff import family

    model = _proxy(rng)
    if form == "h5":
        model.save(tmp_path / "proxy.h5", save_format="h5")
        files = ["--model", str(tmp_path / "proxy.h5")]
    else:
        (tmp_path / "proxy.json").write_text(model.to_json())
        model.save_weights(str(tmp_path / "proxy_weights.h5"))
        files = ["--model", str(tmp_path / "proxy.json"), "--weights", str(tmp_path / "proxy_weights.h5")]
    assert family(files[1])[0] == "hgq_proxy"
    np.save(tmp_path / "x.npy", rng.normal(0, 3, (2000, 6)).astype(np.float32))
    out = tmp_path / "p"
    args = ["build", "--part", PART, *files, "--data", str(tmp_path / "x.npy"), "--output-dir", str(out)]
    assert main([*args, "--name", "proxy", "--no-rtl"]) == 0, capsys.readouterr().err
    check = json.loads((out / "csim_check.json").read_text())
    assert check["family"] == "hgq_proxy" and check["events"] == 2000 and check["mismatches"] == 0
    layer_types = json.loads((out / "build.json").read_text())["layer_types"]
    assert any("d1" in name for name in layer_types)
    assert (out / "model.h5").is_file()
