"""Keras 3 backends: the suite's float rows train on TensorFlow and on JAX to the same physics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.errors import UserInputError
from fpga_nn.training import backend

# the config benchmarks/backends.py runs: float rows only, trained long enough to learn, four seeds each
CONFIG = Path(__file__).resolve().parents[1] / "benchmarks" / "backends.yaml"


def _python(code: str) -> str:
    """Run ``code`` in a new Python process (its own Keras backend); its stdout, after it succeeded."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _float_rows(out) -> dict:
    res = json.loads((out / "results.json").read_text())
    return res, {r["key"]: r for r in res["rows"]}


def test_quick_suite_float_rows_agree_on_tensorflow_and_jax(tmp_path, monkeypatch, shared_cache):
    """The same rows on two backends: each learns (AUC well above a random score's 0.5 on every seed), and the
    seed means differ by less than four standard errors of the difference (seed spreads, 4 seeds each: a
    Student t of 6 degrees of freedom passes 4 with 0.7 % probability, so another CPU's rounding does not
    fail it by chance). Seeds draw different initial weights on each backend: only the statistics agree."""
    cfg = CONFIG
    monkeypatch.setenv("FPGA_NN_CACHE", str(shared_cache))
    outs = {b: tmp_path / b for b in ("tensorflow", "jax")}
    args = ["suite", "--quick", "--config", str(cfg)]
    # this process may hold Keras 3 on TensorFlow already (a process keeps its first backend): JAX runs apart
    assert main([*args, "--backend", "tensorflow", "--out", str(outs["tensorflow"])]) == 0
    env = {**os.environ, "FPGA_NN_CACHE": str(shared_cache)}
    done = subprocess.run(
        [sys.executable, "-m", "fpga_nn", *args, "--backend", "jax", "--out", str(outs["jax"])],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[jax, CPU]" in done.stdout
    (tf_res, tf_rows), (jax_res, jax_rows) = _float_rows(outs["tensorflow"]), _float_rows(outs["jax"])
    assert tf_res["device"]["keras_backend"] == "tensorflow" and jax_res["device"]["keras_backend"] == "jax"
    assert "jax" in jax_res["device"] and "gpu" in jax_res["device"]
    assert list(tf_rows) == list(jax_rows) == ["FNN-bce", "DFNN-bce"]
    for key in tf_rows:
        assert tf_rows[key]["made_on"]["keras_backend"] == "tensorflow"
        assert jax_rows[key]["made_on"]["keras_backend"] == "jax"
        auc = {b: np.array([s["auc"] for s in rows[key]["seeds"]]) for b, rows in (("tf", tf_rows), ("jax", jax_rows))}
        assert all(len(a) == 4 and a.min() > 0.6 for a in auc.values()), (key, auc)
        diff = auc["tf"].mean() - auc["jax"].mean()
        err = np.sqrt(auc["tf"].var(ddof=1) / 4 + auc["jax"].var(ddof=1) / 4)
        assert abs(diff) < 4 * err, (key, diff, err, auc)
    table = (outs["jax"] / "results.md").read_text()
    assert "| jax, CPU |" in table and "float networks: Keras" in table and "on jax" in table


def test_a_process_keeps_its_first_backend():
    import keras

    other = "jax" if keras.backend.backend() != "jax" else "tensorflow"
    with pytest.raises(UserInputError, match=f"already loaded with the '{keras.backend.backend()}' backend"):
        backend.use(other)
    assert backend.use(keras.backend.backend()) == keras.backend.backend()


def test_the_backend_comes_from_the_argument_then_keras_backend(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "JAX")
    assert backend.requested() == "jax" and backend.requested("tensorflow") == "tensorflow"
    monkeypatch.delenv("KERAS_BACKEND")
    assert backend.requested() == "tensorflow"
    with pytest.raises(UserInputError, match="unknown Keras backend 'theano': choose one of tensorflow, jax, torch"):
        backend.requested("theano")


def test_jax_float_rows_train_where_tensorflow_cannot_be_imported(tmp_path):
    """The float rows' code on JAX in a process where TensorFlow, tf_keras and QKeras cannot be imported, as on
    the GPU machine, which has none of them."""
    code = (
        "import sys\n"
        "class NoTensorFlow:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'tf_keras', 'qkeras'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoTensorFlow())\n"
        "import numpy as np\n"
        "from fpga_nn.training import backend\n"
        "backend.use('jax')\n"
        "from fpga_nn.models import reference as ref\n"
        "from fpga_nn.training.losses import make_loss\n"
        "from fpga_nn.training.train import fit_keep_best, set_seeds\n"
        "import keras\n"
        "set_seeds(3, keras3=True)\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=(512, 4)).astype('float32'); y = (x[:, 0] > 0).astype('float32')\n"
        "t = np.stack([y, rng.uniform(100, 150, 512)], 1).astype('float32')\n"
        "for m in (ref.feed_forward(4, (3,), 'fnn'), ref.etn(4, 8, 1, 2)):\n"
        "    m.compile(optimizer=keras.optimizers.Adam(0.01), loss=make_loss('extreme', 1.0), jit_compile=True)\n"
        "    r = fit_keep_best(m, x, t, (x, t), epochs=2, batch_size=128)\n"
        "    assert r.epochs_run == 2 and np.isfinite(r.history['loss']).all()\n"
        "print(keras.backend.backend(), 'tensorflow' in sys.modules)\n"
    )
    assert _python(code).split()[-2:] == ["jax", "False"]


def test_qkeras_rows_train_beside_float_rows_in_a_jax_process():
    """In a process whose Keras 3 is on JAX, a QKeras firmware row still trains on TensorFlow (tf_keras, the
    losses in TensorFlow's ops) and a float row on JAX: the packaged suite mixes both."""
    code = (
        "import dataclasses, numpy as np\n"
        "from fpga_nn.training import backend\n"
        "backend.use('jax')\n"
        "from fpga_nn.studies.suite import run as suite\n"
        "rng = np.random.default_rng(3)\n"
        "y = (rng.uniform(size=600) < 0.5).astype(np.int8)\n"
        "x = (rng.normal(size=(600, 4)) + y[:, None]).astype(np.float32)\n"
        "m = rng.uniform(100, 180, 600)\n"
        "p = suite.Prepared(x={'train': x[:400], 'val': x[400:]}, y={'train': y[:400], 'val': y[400:]},\n"
        "    mass={'train': m[:400], 'val': m[400:]}, weight={'train': np.ones(400), 'val': np.ones(200)},\n"
        "    mean=np.zeros(4), std=np.ones(4), info={})\n"
        "c = suite.load_config()\n"
        "c = dataclasses.replace(c, training=dataclasses.replace(c.training, epochs=2, batch_size=64),\n"
        "    firmware=dataclasses.replace(c.firmware, epochs=2), fnn=dataclasses.replace(c.fnn, epochs=2),\n"
        "    window=(100, 180))\n"
        "for row in ({'method': 'FNN', 'loss': 'bce', 'firmware': True}, {'method': 'FNN', 'loss': 'extreme'}):\n"
        "    model, meta = suite.train_network(c, row, p, p.x, progress=False)\n"
        "    print(type(model).__module__.split('.')[0], meta['backend']['keras_backend'], meta['epochs_run'])\n"
    )
    assert _python(code).split("\n")[-3:-1] == ["tf_keras tensorflow (tf_keras) 2", "keras jax 2"]
