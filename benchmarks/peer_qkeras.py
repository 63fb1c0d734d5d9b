"""Twenty QKeras models no one here wrote, through ``fpga-nn build`` as a user would run it (issue 25's survey).

    .venv/bin/python benchmarks/peer_qkeras.py DIR [--events 2000] [--jobs 2] [--only NAME ...]

Three are hls4ml's published QKeras example models (``qkeras_3layer``, ``qkeras_mnist_dense``,
``qkeras_mnist_cnn``: DIR holds them under their names in the example-models repository's ``keras/`` folder,
JSON + weights; they are not committed here). Seventeen are the architectures of hls4ml's own QKeras tests
(``test/pytest/test_qkeras.py``), written here again as that file builds them, with seeded weights: the
single Dense exactness test (alpha 1 and 'auto_po2'), the seven binary/ternary networks of ``test_btnn``, the
binary activation keyword, ``quantized_tanh``, the quantizer-less Dense, ``QConv2DBatchnorm``,
``QDepthwiseConv2D``, ``QSeparableConv2D``, the 2^18 power-of-two kernels, and ``QLSTM``.

Inputs saturate: seeded Gaussians of width 4 on a 2^-7 grid for vectors, [0, 1) on 2^-10 for images (the po2
test's inputs are hls4ml's own, [0, 1)). Each row: exit code, events, mismatches, the reference the build
used, the softmax gate's agreement where there is one, or the one-line refusal. A build that stops at the
softmax gate with tables named as the fix is run again with exactly those options, as its user would
(``remedy``: the options, exit code, mismatches and agreement). Writes benchmarks/results/peer_qkeras.json;
docs/byom.md quotes the totals.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "peer_qkeras.json"
PART = "xcvu13p-flga2577-2-e"
FILES = {  # example-models files: (JSON, weights, input shape)
    "qkeras_3layer": ("qkeras_3layer.json", "qkeras_3layer_weights.h5", (16,)),
    "qkeras_mnist_dense": ("qkeras_mnist_dense.json", "qkeras_mnist_dense_weights.h5", (784,)),
    "qkeras_mnist_cnn": ("qkeras_mnist_cnn.json", "qkeras_mnist_cnn_weights.h5", (28, 28, 1)),
}
BTNN = {  # test_btnn's parameter rows: kernel, activation, batch normalization
    1: ("ternary(alpha=1)", "'binary_tanh'", False),
    2: ("binary()", "'binary_tanh'", False),
    3: ("ternary(alpha='auto')", "binary()", True),
    4: ("ternary(alpha='auto')", "'ternary'", True),
    5: ("ternary(alpha='auto')", "ternary(threshold=0.2)", True),
    6: ("ternary(alpha='auto')", "ternary(threshold=0.8)", True),
    7: ("binary()", "binary()", False),
}


def _written(name: str):
    """(model, input shape, input kind) of one architecture of hls4ml's QKeras tests."""
    import tensorflow as tf
    from qkeras import (
        QLSTM,
        QActivation,
        QConv2DBatchnorm,
        QDense,
        QDepthwiseConv2D,
        QSeparableConv2D,
        binary,  # noqa: F401 - named by the BTNN rows
        quantized_bits,
        quantized_po2,
        quantized_relu,
        quantized_tanh,
        ternary,  # noqa: F401 - named by the BTNN rows
    )

    tf.keras.utils.set_random_seed(sum(map(ord, name)))
    seq = tf.keras.Sequential
    if name.startswith("single_dense_"):
        alpha = 1 if name.endswith("alpha1") else "auto_po2"
        return seq([
            QActivation(quantized_bits(4, 0, alpha=1), input_shape=(16,), name="inp_quant"),
            QDense(16, name="fc1", kernel_quantizer=quantized_bits(4, 0, alpha=alpha),
                   bias_quantizer=quantized_bits(4, 0, alpha=1), kernel_initializer="lecun_uniform"),
            QActivation(quantized_relu(4, 0), name="relu1"),
        ]), (16,), "vector"  # fmt: skip
    if name.startswith("btnn_"):
        kernel, act, bn = BTNN[int(name.split("_")[1])]
        layers = [QDense(10, input_shape=(10,), kernel_quantizer=eval(kernel), bias_quantizer=quantized_bits(5, 2),
                         name="dense")]  # fmt: skip
        if bn:
            layers.append(tf.keras.layers.BatchNormalization(name="bn"))
        layers.append(QActivation(activation=eval(act), name="act"))
        model = seq(layers)
        if bn:  # trained statistics, not the initial identity (hls4ml's test leaves them at 0 and 1)
            rng = np.random.default_rng(int(name.split("_")[1]))
            model.get_layer("bn").set_weights(
                [
                    rng.uniform(0.5, 1.5, 10) * rng.choice([-1, 1], 10),
                    rng.normal(0, 0.5, 10),
                    rng.normal(0, 1, 10),
                    rng.uniform(0.5, 2, 10),
                ]
            )
        return model, (10,), "vector"
    if name == "qactivation_kwarg_binary":
        x = tf.keras.Input((10,))
        y = QDense(10, activation="binary", name="qdense", kernel_quantizer="binary", bias_quantizer="binary",
                   kernel_initializer="lecun_uniform")(x)  # fmt: skip
        return tf.keras.Model(x, y), (10,), "vector"
    if name == "quantizer_special_tanh":
        return seq([QActivation(quantized_tanh(8), input_shape=(1,), name="quantizer")]), (1,), "vector"
    if name == "quantizer_parsing":
        return seq([QDense(8, input_shape=(10,), kernel_quantizer=None, kernel_initializer="ones", bias_quantizer=None,
                           bias_initializer="zeros", activation="quantized_relu(8, 0)")]), (10,), "vector"  # fmt: skip
    if name == "qconv2dbn":
        return seq([QConv2DBatchnorm(4, kernel_size=(3, 3), input_shape=(8, 8, 1),
                                     kernel_quantizer="quantized_bits(8, 0, alpha=1)", kernel_initializer="ones",
                                     bias_quantizer="quantized_bits(8, 0, alpha=1)", bias_initializer="zeros",
                                     activation="quantized_relu(8, 0)")]), (8, 8, 1), "image"  # fmt: skip
    if name == "qdepthwiseconv2d":
        return seq([QDepthwiseConv2D(kernel_size=(3, 3), input_shape=(32, 32, 3),
                                     depthwise_quantizer="quantized_bits(6, 0, alpha=1)",
                                     bias_quantizer="quantized_bits(4, 0, alpha=1)", bias_initializer="he_normal",
                                     activation="quantized_relu(3, 0)")]), (32, 32, 3), "image"  # fmt: skip
    if name == "qseparableconv2d":
        x = tf.keras.Input((13, 21, 20), name="input_layer")
        y = QSeparableConv2D(5, 3, depthwise_quantizer=quantized_bits(8, 3, alpha=1),
                             pointwise_quantizer=quantized_bits(8, 3, alpha=1),
                             bias_quantizer=quantized_bits(8, 3, alpha=1), name="qsepconv_1")(x)  # fmt: skip
        return tf.keras.Model(x, y), (13, 21, 20), "image"
    if name == "po2_bit_width":
        model = seq([QDense(6, input_shape=(26,), name="dense", kernel_quantizer=quantized_po2(18, max_value=2**20))])
        w = model.layers[0].get_weights()
        w[0] = (2**18) * np.random.default_rng(18).random((26, 6))
        model.layers[0].set_weights(w)
        return model, (26,), "image"
    if name == "qlstm":
        return seq([QLSTM(4, input_shape=(5, 2), kernel_quantizer="quantized_bits(8, 0, alpha=1)",
                          recurrent_quantizer="quantized_bits(8, 0, alpha=1)",
                          bias_quantizer="quantized_bits(8, 0, alpha=1)",
                          state_quantizer="quantized_bits(8, 0, alpha=1)",
                          activation="tanh", recurrent_activation="sigmoid")]), (5, 2), "vector"  # fmt: skip
    raise KeyError(name)


WRITTEN = [
    "single_dense_alpha1", "single_dense_auto_po2", *(f"btnn_{i}" for i in BTNN), "qactivation_kwarg_binary",
    "quantizer_special_tanh", "quantizer_parsing", "qconv2dbn", "qdepthwiseconv2d", "qseparableconv2d",
    "po2_bit_width", "qlstm",
]  # fmt: skip
MODELS = [*FILES, *WRITTEN]


def _inputs(name: str, shape: tuple, kind: str, events: int) -> np.ndarray:
    rng = np.random.default_rng(sum(map(ord, name)))
    if kind == "image":
        return (np.floor(rng.random((events, *shape)) * 1024) / 1024).astype(np.float32)
    return (np.round(rng.normal(0, 4, (events, *shape)) * 128) / 128).astype(np.float32)


def prepare(name: str, folder: Path, work: Path, events: int) -> list[str] | dict:
    """The model files and data of one survey model in ``work``; its ``build`` arguments."""
    data = work / f"{name}.npy"
    if name in FILES:
        arch, weights, shape = FILES[name]
        if not (folder / arch).is_file() or not (folder / weights).is_file():
            return {"model": name, "status": "missing", "files": [arch, weights]}
        np.save(data, _inputs(name, shape, "image" if "mnist" in name else "vector", events))
        return ["--model", str(folder / arch), "--weights", str(folder / weights), "--data", str(data)]
    model, shape, kind = _written(name)
    path = work / f"{name}.h5"
    model.save(path)
    np.save(data, _inputs(name, shape, kind, events))
    return ["--model", str(path), "--data", str(data)]


def run(name: str, args: list[str], work: Path, folder: Path) -> dict:
    row = _build(name, args, work, folder, "project")
    remedy = row.pop("remedy_options", None)
    if remedy:
        again = _build(name, [*args, *remedy], work, folder, "remedy")
        row["remedy"] = {"options": remedy, **{k: v for k, v in again.items() if k not in ("model", "reference")}}
    return row


def _build(name: str, args: list[str], work: Path, folder: Path, suffix: str) -> dict:
    import shlex

    out = work / f"{name}_{suffix}"
    cmd = [sys.executable, "-m", "fpga_nn", "build", "--part", PART, *args, "--output-dir", str(out), "--no-rtl"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    row = {"model": name, "exit_code": proc.returncode, "seconds": round(time.perf_counter() - t0, 1)}
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    if errors:
        row["message"] = errors[-1].replace(f"{folder}/", "").replace(str(work) + "/", "")  # no machine paths
    check = out / "csim_check.json"
    if check.is_file():
        c = json.loads(check.read_text())
        row.update(events=c["events"], mismatches=c["mismatches"], output_type=c["output_type"])
        row["reference"] = c.get("reference", "QKeras (float32)").split(":")[0]
        if "softmax" in c:
            row["softmax_argmax_agreement_percent"] = c["softmax"].get("argmax_agreement_percent")
            options = (c["softmax"].get("remedy") or {}).get("options")
            if options and proc.returncode == 4:
                row["remedy_options"] = shlex.split(" ".join(options))
    row["exact"] = proc.returncode == 0 and row.get("mismatches") == 0
    return row


def main(argv: list[str] | None = None) -> int:
    import fpga_nn  # noqa: F401 - TF_USE_LEGACY_KERAS before TensorFlow

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="hls4ml example-models keras/ folder (the three qkeras_* files)")
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None)
    a = ap.parse_args(argv)
    names = a.only or MODELS
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prepared = {n: prepare(n, a.folder, work, a.events) for n in names}
        todo = {n: p for n, p in prepared.items() if isinstance(p, list)}
        with ThreadPoolExecutor(a.jobs) as pool:
            done = dict(zip(todo, pool.map(lambda n: run(n, todo[n], work, a.folder), todo), strict=True))
    rows = [done.get(n, prepared[n]) for n in names]
    for r in rows:
        print(f"{r['model']:28s} {'exact' if r.get('exact') else r.get('message', r.get('status', ''))[:150]}")
    result = {
        "part": PART,
        "events": a.events,
        "models": len(rows),
        "exact": sum(1 for r in rows if r.get("exact")),
        "exact_after_named_remedy": sum(1 for r in rows if r.get("exact") or (r.get("remedy") or {}).get("exact")),
        "rows": rows,
    }
    if a.only is None:
        OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{result['exact']} / {result['models']} exact, {result['exact_after_named_remedy']} after the remedy "
          "each error names" + ("" if a.only else f"; wrote {OUT.relative_to(ROOT)}"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
