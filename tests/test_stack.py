"""The stack: QKeras 0.9 on tf_keras beside Keras 3 and HGQ2, in one environment and one process.

* hgq2 0.2.0 ships a ``qkeras/`` compatibility package whose folders would shadow QKeras 0.9's
  modules; the Makefile installs hgq2 in a folder of its own behind site-packages, so ``import
  qkeras`` is QKeras 0.9 whichever package is imported first.
* hls4ml 1.3.0 picks its Keras parser from the installed ``keras``; ``frontends.hls4ml_sees`` routes
  a tf_keras model to the Keras 2 parser (without it: ``'Node' object has no attribute 'arguments'``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

ORIGINS = """
import json, sys
import fpga_nn
order = sys.argv[1].split(",")
mods = {}
for name in order:
    mods[name] = __import__(name)
import qkeras.qlayers, qkeras.quantizers, hgq.layers, keras, tensorflow as tf
from importlib.metadata import version
print(json.dumps({
    "qkeras": qkeras.__file__, "qlayers": qkeras.qlayers.__file__, "quantizers": qkeras.quantizers.__file__,
    "hgq": hgq.__file__, "hgq2": version("hgq2"), "qkeras_version": version("qkeras"),
    "keras": keras.__version__, "tf_keras_layer": type(tf.keras.layers.Dense(1)).__module__,
    "has_qadaptive": hasattr(qkeras.qlayers, "QAdaptiveActivation"),
}))
"""


@pytest.mark.parametrize("order", ["qkeras,hgq", "hgq,qkeras"])
def test_qkeras_09_and_hgq2_in_one_process_each_from_its_own_files(order):
    out = subprocess.run(
        [sys.executable, "-c", ORIGINS, order], capture_output=True, text=True, check=True, env=_env()
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    site = Path(sysconfig.get_paths()["purelib"])
    assert Path(got["qkeras"]) == site / "qkeras" / "__init__.py"
    assert Path(got["qlayers"]) == site / "qkeras" / "qlayers.py"  # the module file, not hgq2's qlayers/ folder
    assert Path(got["quantizers"]) == site / "qkeras" / "quantizers.py"
    assert got["has_qadaptive"] and got["qkeras_version"] == "0.9.0"
    assert Path(got["hgq"]).parent.name == "hgq" and site not in Path(got["hgq"]).parents
    assert got["hgq2"] == "0.2.0" and got["keras"].startswith("3.")
    assert got["tf_keras_layer"].startswith("tf_keras.")  # tf.keras is Keras 2 (TF_USE_LEGACY_KERAS=1)


def _env() -> dict:
    import os

    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_pip_check_is_clean():
    out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_a_qkeras_model_reaches_hls4mls_keras2_parser_and_its_yaml_names_the_model(tmp_path):
    import hls4ml

    from fpga_nn.convert.project import write_project
    from fpga_nn.fixed import FixedType
    from fpga_nn.frontends import keras_of

    from .qmodels import make_model

    model = make_model(hidden=(4,), wint=1, seed=1, name="routed")
    assert keras_of(model) == "tf_keras"
    with pytest.raises(AttributeError, match="arguments"):  # what hls4ml does on its own with Keras 3 installed
        hls4ml.utils.config_from_keras_model(model, granularity="name")
    write_project(model, tmp_path / "p", "xcvu13p-flga2577-2-e", FixedType.parse("ap_fixed<10,4>"))
    text = (tmp_path / "p" / "hls4ml_config.yml").read_text()
    assert "!keras_model" in text and "!!python" not in text


@pytest.mark.slow
@pytest.mark.csim
def test_an_hgq2_model_converts_bit_exact_beside_qkeras(tmp_path):
    """Keras 3 + HGQ2 and QKeras 0.9 in one process: hls4ml's Keras 3 parser, C-simulation == predict."""
    import hls4ml
    import keras
    import qkeras  # noqa: F401 - loaded first, as a build of a QKeras model would
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    keras.utils.set_random_seed(1)
    with (
        QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"),
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode="WRAP"),
        LayerConfigScope(enable_ebops=True, beta0=1e-5),
    ):
        model = keras.Sequential([keras.layers.Input((8,)), QDense(12, activation="relu"), QDense(3)])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 8)).astype(np.float32)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, rng.integers(0, 3, len(x)), epochs=1, batch_size=256, verbose=0)
    want = model.predict(x, verbose=0)
    hm = hls4ml.converters.convert_from_keras_model(
        model, output_dir=str(tmp_path / "hgq"), backend="Vitis", io_type="io_parallel",
        hls_config={"Model": {"Precision": "fixed<-1,0>", "ReuseFactor": 1}},
    )  # fmt: skip
    hm.compile()
    got = np.asarray(hm.predict(x.astype(np.float64))).reshape(want.shape)
    np.testing.assert_array_equal(got, want)


def test_model_families_are_named_before_loading(tmp_path, capsys):
    """A Keras 3 / HGQ2 .keras file and an HGQ proxy .h5 are refused in one line naming their family."""
    import h5py
    import keras
    from hgq.layers import QDense

    from fpga_nn.cli import main
    from fpga_nn.frontends.sniff import family

    np.save(tmp_path / "x.npy", np.zeros((4, 3), np.float32))
    k3 = tmp_path / "hgq.keras"
    keras.Sequential([keras.layers.Input((3,)), QDense(2)]).save(k3)
    assert family(k3)[0] == "keras3"
    assert main(["check", str(k3), "--data", str(tmp_path / "x.npy")]) == 0  # the HGQ2 frontend takes it
    assert "alkaid interpreter vs model.predict: 0 mismatches / 4 events" in capsys.readouterr().out
    # commands that take Keras 2 models only name the family in one line
    np.save(tmp_path / "a.npy", np.zeros((4, 3)))
    assert (
        main(
            [
                "compare",
                str(tmp_path / "a.npy"),
                str(tmp_path / "a.npy"),
                "--model",
                str(k3),
                "--out",
                str(tmp_path / "c"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "is a Keras 3" in err and "with HGQ2 layers" in err and len(err.strip().splitlines()) == 1
    qk3 = tmp_path / "qk3.keras"  # a qkeras-v3 archive: its config names the qkeras module
    import zipfile

    with zipfile.ZipFile(qk3, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps({"module": "qkeras.qlayers", "class_name": "QDense"}))
    assert family(qk3)[0] == "qkeras_v3"
    assert main(["check", str(qk3), "--data", str(tmp_path / "x.npy")]) == 2
    assert "qkeras-v3 layers: hls4ml 1.3.0 has no converter" in capsys.readouterr().err
    proxy = tmp_path / "proxy.h5"  # the model_config of an HGQ proxy model, as model.save writes it
    with h5py.File(proxy, "w") as f:
        f.attrs["model_config"] = json.dumps(
            {"class_name": "Functional", "config": {"layers": [{"class_name": "FixedPointQuantizer", "config": {}}]}}
        )
    assert family(proxy)[0] == "hgq_proxy"
    assert main(["check", str(proxy), "--data", str(tmp_path / "x.npy")]) == 2
    assert "is an HGQ proxy model (FixedPointQuantizer layers)" in capsys.readouterr().err
