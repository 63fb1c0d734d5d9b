"""The NumPy emulator equals the firmware's C-simulation bit for bit.

* every ap_fixed cast (7 quantization x 4 overflow modes) against the real ap_types headers;
* a property test over random small networks (widths, bit widths, integer bits, explicit
  rounding/overflow modes of every result and accumulator, ReLU/sigmoid/tanh/linear, table
  sizes and table types) and random inputs that saturate, wrap and fall between grid points.
"""

import itertools
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpga_nn.fixed import FixedType
from fpga_nn.fixed.arith import cast, from_float
from fpga_nn.frontends import hls4ml_sees
from fpga_nn.verify import record
from fpga_nn.verify.csim import run_csim
from fpga_nn.verify.emulator import Emulator

from .conftest import LONG

Q_MODES = ["TRN", "TRN_ZERO", "RND", "RND_ZERO", "RND_MIN_INF", "RND_INF", "RND_CONV"]
O_MODES = ["WRAP", "SAT", "SAT_ZERO", "SAT_SYM"]


def _ap_types() -> Path:
    import hls4ml

    return Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"


@pytest.mark.csim
def test_every_cast_matches_ap_fixed_headers(tmp_path):
    """Signed and unsigned targets, from fixed codes and from doubles, all mode pairs."""
    pairs = list(itertools.product(Q_MODES, O_MODES))
    body = []
    for q, o in pairs:
        body.append(f"""{{ typedef ap_fixed<6,3,AP_{q},AP_{o}> s; typedef ap_ufixed<5,2,AP_{q},AP_{o}> u;
  for (int c = -2048; c < 2048; c++) {{ ap_fixed<16,6> v; v.range(15,0) = c; s r = v; u w = v;
    printf("%d %d ", (int)r.range(5,0).to_int(), (int)w.range(4,0).to_uint()); }}
  for (int i = 0; i < 4000; i++) {{ double x = (i - 2000) / 137.0; s r = x;
    printf("%d ", (int)r.range(5,0).to_int()); }}
  printf("\\n"); }}""")
    src = tmp_path / "casts.cpp"
    src.write_text('#include "ap_fixed.h"\n#include <cstdio>\nint main() {\n' + "\n".join(body) + "\n}\n")
    subprocess.run(["g++", "-O1", "-w", f"-I{_ap_types()}", str(src), "-o", str(tmp_path / "casts")], check=True)
    lines = subprocess.run([str(tmp_path / "casts")], capture_output=True, text=True, check=True).stdout.splitlines()
    codes = np.arange(-2048, 2048)
    x = (np.arange(4000) - 2000) / 137.0
    assert len(lines) == len(pairs)
    for (q, o), line in zip(pairs, lines, strict=True):
        ref = np.array(line.split(), dtype=np.int64)
        s, u = FixedType(True, 6, 3, q, o), FixedType(False, 5, 2, q, o)
        got = np.stack([cast(codes, 10, s) & 63, cast(codes, 10, u) & 31], axis=1).ravel()
        np.testing.assert_array_equal(got, ref[:8192], err_msg=f"{q},{o} from fixed")
        np.testing.assert_array_equal(from_float(x, s) & 63, ref[8192:], err_msg=f"{q},{o} from double")
        src = FixedType(True, 16, 6)  # the float-code path must give the same codes
        for dtype in (np.float32, np.float64):
            fs = cast(codes.astype(dtype), 10, s, src).astype(np.int64) & 63
            fu = cast(codes.astype(dtype), 10, u, src).astype(np.int64) & 31
            np.testing.assert_array_equal(np.stack([fs, fu], axis=1).ravel(), ref[:8192], err_msg=f"{q},{o} {dtype}")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    src=st.builds(lambda s, w, i: FixedType(s, w, i), st.booleans(), st.integers(2, 22), st.integers(-4, 12)),
    dst=st.builds(
        lambda s, w, i, q, o: FixedType(s, w, i, q, o),
        st.booleans(),
        st.integers(2, 24),
        st.integers(-4, 16),
        st.sampled_from(Q_MODES),
        st.sampled_from(O_MODES),
    ),
)
def test_float_codes_cast_like_int_codes(src, dst):
    """Every code of a source type: float32 and float64 codes cast exactly as int64 codes do."""
    lo, hi = (-(1 << (src.width - 1)), 1 << (src.width - 1)) if src.signed else (0, 1 << src.width)
    codes = np.unique(
        np.r_[
            np.arange(lo, min(hi, lo + 4096)),
            np.arange(max(lo, hi - 4096), hi),
            np.random.default_rng(src.width).integers(lo, hi, 4096),
        ]
    )
    ref = cast(codes, src.fractional, dst)
    for dtype in (np.float32, np.float64):
        got = cast(codes.astype(dtype), src.fractional, dst, src)
        np.testing.assert_array_equal(np.asarray(got, dtype=np.int64), ref, err_msg=f"{src} -> {dst} {dtype}")


def fixed_types(min_w=4, max_w=20):
    return st.builds(
        lambda signed, w, i, q, o: FixedType(signed, w, i, q, o),
        st.booleans(),
        st.integers(min_w, max_w),
        st.integers(-1, 8),
        st.sampled_from(Q_MODES),
        st.sampled_from(O_MODES),
    ).filter(lambda t: t.width > max(t.integer, 0) - 8 and t.fractional >= 0)


@st.composite
def model_specs(draw):
    n_in = draw(st.integers(1, 8))
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        layers.append(
            {
                "width": draw(st.integers(1, 10)),
                "wbits": draw(st.integers(2, 9)),
                "wint": draw(st.integers(0, 2)),
                "accum": draw(st.one_of(st.none(), fixed_types(8, 24))),
                "result": draw(st.one_of(st.none(), fixed_types(4, 18))),
                "act": draw(st.sampled_from(["relu", "sigmoid", "tanh", "linear", "none"])),
                "act_result": draw(fixed_types(4, 16)),
                "table_size": draw(st.sampled_from([256, 1024, 4096])),
                "table": draw(fixed_types(8, 18)),
            }
        )
    return {"n_in": n_in, "input": draw(fixed_types(4, 14)), "layers": layers, "seed": draw(st.integers(0, 2**16))}


def _build(spec, out_dir: Path):
    import hls4ml
    import tensorflow as tf

    rng = np.random.default_rng(spec["seed"])
    x_in = tf.keras.Input((spec["n_in"],), name="inputs")
    x = x_in
    for k, lay in enumerate(spec["layers"]):
        x = tf.keras.layers.Dense(lay["width"], name=f"d{k}")(x)
        if lay["act"] != "none":
            x = tf.keras.layers.Activation(lay["act"], name=f"a{k}")(x)
    model = tf.keras.Model(x_in, x)
    weights = []
    for lay, w in zip([lay for lay in spec["layers"] for _ in (0, 1)], model.get_weights(), strict=True):
        f = lay["wbits"] - lay["wint"] - 1  # weights exactly on the grid of fixed<wbits, wint+1>
        weights.append(
            (rng.integers(-(2 ** (lay["wbits"] - 1)), 2 ** (lay["wbits"] - 1), w.shape) / 2.0**f).astype(np.float32)
        )
    model.set_weights(weights)
    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(
            model, granularity="name", backend="Vitis", default_precision="fixed<24,12>"
        )
    names = cfg["LayerName"]
    names["inputs"]["Precision"]["result"] = spec["input"].to_hls()
    for k, lay in enumerate(spec["layers"]):
        p = names[f"d{k}"]["Precision"]
        p["weight"] = p["bias"] = f"fixed<{lay['wbits']},{lay['wint'] + 1}>"
        if lay["accum"] is not None:
            p["accum"] = lay["accum"].to_hls()
        if lay["result"] is not None:
            p["result"] = lay["result"].to_hls()
        if lay["act"] != "none":
            names[f"a{k}"]["Precision"]["result"] = lay["act_result"].to_hls()
            names[f"a{k}"]["TableSize"] = lay["table_size"]
            names[f"a{k}"]["table_t"] = lay["table"].to_ap()
    with hls4ml_sees(model):
        hm = hls4ml.converters.convert_from_keras_model(
            model,
            hls_config=cfg,
            output_dir=str(out_dir),
            project_name="prop",
            backend="Vitis",
            io_type="io_parallel",
            part="xcvu13p-flga2577-2-e",
            write_weights_txt=False,
        )
    with hls4ml_sees(model):
        hm.write()
    return hm


def _inputs(spec, rng, n=400):
    t = spec["input"]
    span = 2.0 ** max(t.integer, 1)
    # in range, beyond the range (wrap/saturate), and between grid points (rounding)
    return np.concatenate(
        [
            rng.uniform(-3 * span, 3 * span, (n // 2, spec["n_in"])),
            rng.integers(-(2**t.width), 2**t.width, (n // 2, spec["n_in"])) * t.lsb / 2,
        ]
    ).astype(np.float64)


CASES_PER_MODEL = 4
RANDOM_MODELS = 200 if LONG else 10  # each compiles a C-simulation (~3 s at -O1); make test-long draws 200


@pytest.mark.csim
@pytest.mark.slow
@settings(
    max_examples=RANDOM_MODELS,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
@given(spec=model_specs())
def test_emulator_equals_csim_on_random_models(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("prop")
    hm = _build(spec, out)
    record.export(hm, out)
    rng = np.random.default_rng(spec["seed"])
    sets = [_inputs(spec, rng) for _ in range(CASES_PER_MODEL)]
    n_out = spec["layers"][-1]["width"]
    # -O1: the same bit-exact library as -O3 (the flag changes speed, not ap_fixed semantics), compiled faster
    csim = run_csim(out, np.concatenate(sets), n_out, optimization="-O1").reshape(-1, n_out)
    emu = Emulator(out).predict(np.concatenate(sets))
    for k in range(CASES_PER_MODEL):
        sl = slice(k * len(sets[0]), (k + 1) * len(sets[0]))
        if not np.array_equal(emu[sl], csim[sl]):
            (out / "failing_case.json").write_text(json.dumps({"spec": repr(spec), "input_set": k}))
        np.testing.assert_array_equal(emu[sl], csim[sl], err_msg=f"input set {k} of {spec}")


@pytest.mark.csim
@pytest.mark.slow
def test_default_build_emulator_equals_csim(default_build):
    check = json.loads((default_build / "csim_check.json").read_text())
    assert check["emulator"]["available"] and check["emulator"]["mismatches_vs_csim"] == 0
    x = np.load(default_build / "vectors" / "inputs.npy")
    np.testing.assert_array_equal(
        Emulator(default_build).predict(x).astype(np.float32), np.load(default_build / "vectors" / "csim.npy")
    )


@pytest.mark.slow
def test_emulate_cli_streams_in_chunks(default_build, tmp_path, capsys):
    import h5py

    from fpga_nn.cli import main

    x = np.load(default_build / "vectors" / "inputs.npy")
    np.save(tmp_path / "x.npy", x)
    csim = np.load(default_build / "vectors" / "csim.npy")
    # the trigger project declares its preprocessing: raw GeV values by default, codes or network inputs on request
    for what, path in (
        ("raw", default_build / "vectors" / "raw.npy"),
        ("codes", default_build / "vectors" / "codes.npy"),
        ("network", tmp_path / "x.npy"),
    ):
        flags = [] if what == "raw" else ["--inputs", what]
        out = str(tmp_path / f"y_{what}.npy")
        assert main(["emulate", str(default_build), "--data", str(path), "--out", out, "--chunk", "1000", *flags]) == 0
        assert "11718 events" in capsys.readouterr().out
        np.testing.assert_array_equal(np.load(out).astype(np.float32), csim, err_msg=what)
    # network inputs read as raw GeV values would all fall into bus code 0 (one constant score): refused
    assert (
        main(["emulate", str(default_build), "--data", str(tmp_path / "x.npy"), "--out", str(tmp_path / "w.npy")]) == 2
    )
    assert "not raw values on the declared scale" in capsys.readouterr().err
    assert not (tmp_path / "w.npy").exists()
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f["a"], f["b"] = x, x[:10]
    z = str(tmp_path / "z.npy")
    assert main(["emulate", str(default_build), "--data", str(tmp_path / "x.h5"), "--out", z]) == 2
    assert "--dataset" in capsys.readouterr().err
    assert (
        main(
            [
                "emulate",
                str(default_build),
                "--data",
                str(tmp_path / "x.h5"),
                "--dataset",
                "a",
                "--inputs",
                "network",
                "--out",
                str(tmp_path / "z.npy"),
            ]
        )
        == 0
    )
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy").astype(np.float32), csim)


@pytest.mark.slow
def test_emulation_memory_is_bounded(default_build, tmp_path):
    """The emulator's allocations depend on the chunk, not on the file: 0.5M and 2M events peak alike."""
    import tracemalloc

    from fpga_nn.verify.stream import emulate_file

    peaks = {}
    for n in (500_000, 2_000_000):
        x = np.lib.format.open_memmap(tmp_path / f"in{n}.npy", mode="w+", dtype=np.float32, shape=(n, 5))
        x[:] = np.random.default_rng(n).integers(0, 256, size=(n, 5)) / 256
        x.flush()
        del x
        tracemalloc.start()
        assert (
            emulate_file(
                default_build,
                tmp_path / f"in{n}.npy",
                tmp_path / f"out{n}.npy",
                chunk=65_536,
                progress=False,
                given="network",
            )
            == n
        )
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        y = np.load(tmp_path / f"out{n}.npy", mmap_mode="r")
        assert y.shape == (n, 1) and np.all(np.abs(y) <= 8)
    input_bytes = 2_000_000 * 5 * 4
    assert peaks[2_000_000] < 1.1 * peaks[500_000] + 1e6, peaks
    assert peaks[2_000_000] < input_bytes, peaks  # less than the input itself, let alone 10x


def _small_cnn(one_d: bool):
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QConv2D, QDense, quantized_bits, quantized_relu

    q = quantized_bits(6, 0, alpha=1)
    shape = (12, 2) if one_d else (8, 8, 1)
    conv, pool = (QConv1D, tf.keras.layers.MaxPooling1D) if one_d else (QConv2D, tf.keras.layers.MaxPooling2D)
    x_in = tf.keras.Input(shape, name="inputs")
    x = conv(3, 3, padding="same", kernel_quantizer=q, bias_quantizer=q, name="conv")(x_in)
    x = QActivation(quantized_relu(6, 2), name="relu")(x)
    x = pool(2, name="pool")(x)
    x = conv(2, 3, padding="valid", strides=1, kernel_quantizer=q, bias_quantizer=q, name="conv2")(x)
    x = QActivation(quantized_relu(6, 2), name="relu2")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    x = QDense(2, kernel_quantizer=q, bias_quantizer=q, name="out")(x)
    x = QActivation(quantized_bits(8, 3, alpha=1), name="score")(x)
    model = tf.keras.Model(x_in, x)
    rng = np.random.default_rng(11)
    # weights leaning positive keep the ReLUs alive, so the outputs cover many codes
    model.set_weights([rng.uniform(-0.4, 0.9, w.shape).astype(np.float32) for w in model.get_weights()])
    return model, shape


@pytest.mark.csim
@pytest.mark.slow
@pytest.mark.parametrize("io_type", ["io_stream", "io_parallel"])
@pytest.mark.parametrize("one_d", [False, True], ids=["conv2d", "conv1d"])
def test_small_cnn_emulator_csim_qkeras_agree(one_d, io_type, tmp_path):
    from fpga_nn.build.firmware import BuildOptions, convert_and_verify

    model, shape = _small_cnn(one_d)
    x = (np.random.default_rng(3).integers(-256, 256, (300, *shape)) / 64).astype(np.float32)
    opts = BuildOptions(part="xcvu13p-flga2577-2-e", name="cnn", io_type=io_type, csim_optimization="-O1")
    checked = convert_and_verify(model, x, FixedType(True, 9, 3), tmp_path, opts)
    summary = checked.summary
    assert summary["mismatches"] == 0, summary["first_mismatches"][:2]
    assert summary["emulator"]["available"] and summary["emulator"]["mismatches_vs_csim"] == 0
    np.testing.assert_array_equal(
        Emulator(tmp_path).predict(x).astype(np.float32), np.load(tmp_path / "vectors" / "csim.npy")
    )
    assert len(np.unique(np.load(tmp_path / "vectors" / "csim.npy"))) > 20


@pytest.mark.csim
@pytest.mark.slow
@pytest.mark.parametrize(
    "implementation, table_size, n_out, accum",
    [
        ("stable", 1024, 5, None),
        ("stable", 256, 3, "fixed<14,5,RND,SAT>"),
        ("latency", 1024, 4, None),
        ("latency", 512, 6, "fixed<16,6,TRN,WRAP>"),
    ],
    ids=["stable-1024", "stable-256-sat", "latency-1024", "latency-512-wrap"],
)
def test_softmax_emulator_equals_csim(implementation, table_size, n_out, accum, tmp_path):
    import hls4ml
    import tensorflow as tf

    x_in = tf.keras.Input((4,), name="inputs")
    h = tf.keras.layers.Dense(n_out, name="d")(x_in)
    h = tf.keras.layers.Activation("softmax", name="sm")(h)
    model = tf.keras.Model(x_in, h)
    rng = np.random.default_rng(table_size + n_out)
    model.set_weights([(rng.integers(-64, 64, w.shape) / 16).astype(np.float32) for w in model.get_weights()])
    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    cfg["LayerName"]["inputs"]["Precision"]["result"] = "fixed<10,4>"
    cfg["LayerName"]["d"]["Precision"].update(weight="fixed<8,4>", bias="fixed<8,4>", result="fixed<12,6,RND,SAT>")
    sm = cfg["LayerName"]["sm"]
    sm["Implementation"], sm["TableSize"] = implementation, table_size
    sm["Precision"]["result"] = "ufixed<12,1,RND,SAT>"
    if accum:
        sm["Precision"]["accum"] = accum
    with hls4ml_sees(model):
        hm = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=str(tmp_path), project_name="sm", backend="Vitis", write_weights_txt=False
        )
    with hls4ml_sees(model):
        hm.write()
    record.export(hm, tmp_path)
    x = rng.integers(-512, 512, (2000, 4)) / 64
    csim = run_csim(tmp_path, x, n_out).reshape(-1, n_out)
    emu = Emulator(tmp_path).predict(x)
    np.testing.assert_array_equal(emu, csim)
    assert len(np.unique(csim)) > 30  # the tables and the normalisation are exercised


@pytest.mark.csim
@pytest.mark.slow
@pytest.mark.parametrize("result", ["fixed<14,5,RND_CONV,SAT>", "fixed<10,3>"])
def test_batchnorm_emulator_equals_csim(result, tmp_path):
    import hls4ml
    import tensorflow as tf

    x_in = tf.keras.Input((6,), name="inputs")
    h = tf.keras.layers.BatchNormalization(name="bn")(x_in)
    h = tf.keras.layers.Dense(3, name="d")(h)
    model = tf.keras.Model(x_in, h)
    rng = np.random.default_rng(7)
    gamma, beta = rng.uniform(0.5, 2, 6), rng.uniform(-1, 1, 6)
    mean, var = rng.uniform(-1, 1, 6), rng.uniform(0.2, 3, 6)
    dense = [(rng.integers(-32, 32, (6, 3)) / 16), rng.integers(-8, 8, 3) / 8]
    model.set_weights([w.astype(np.float32) for w in (gamma, beta, mean, var, *dense)])
    with hls4ml_sees(model):
        cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    cfg["LayerName"]["inputs"]["Precision"]["result"] = "fixed<10,4>"
    cfg["LayerName"]["bn"]["Precision"].update(scale="fixed<12,3>", bias="fixed<12,3>", result=result)
    cfg["LayerName"]["d"]["Precision"].update(weight="fixed<8,3>", bias="fixed<8,3>", result="fixed<20,8>")
    with hls4ml_sees(model):
        hm = hls4ml.converters.convert_from_keras_model(
            model, hls_config=cfg, output_dir=str(tmp_path), project_name="bn", backend="Vitis", write_weights_txt=False
        )
    with hls4ml_sees(model):
        hm.write()
    rec = record.export(hm, tmp_path)
    assert "BatchNormalization" in [layer["class"] for layer in rec["layers"]]
    x = rng.integers(-512, 512, (3000, 6)) / 64
    csim = run_csim(tmp_path, x, 3).reshape(-1, 3)
    np.testing.assert_array_equal(Emulator(tmp_path).predict(x), csim)
    assert len(np.unique(csim)) > 100


@pytest.mark.parametrize("q,o", list(itertools.product(Q_MODES, O_MODES)))
def test_a_cast_is_the_same_whatever_else_is_in_the_batch(q, o):
    """Each code casts on its own: ap_fixed's SAT_SYM gives -max for a signed type's most negative code even
    when nothing else in the batch overflows (the emulator kept that code when the batch held no overflow)."""
    for t in (FixedType(True, 6, 3, q, o), FixedType(False, 5, 2, q, o)):
        codes = np.arange(-2048, 2048)
        whole = cast(codes, 10, t)
        alone = np.array([cast(codes[i : i + 1], 10, t)[0] for i in range(0, len(codes), 7)])
        np.testing.assert_array_equal(alone, whole[::7], err_msg=f"{t.to_ap()}")
        for dtype in (np.float32, np.float64):
            fl = np.array([cast(codes[i : i + 1].astype(dtype), 10, t, FixedType(True, 16, 6))[0]
                           for i in range(0, len(codes), 7)])  # fmt: skip
            np.testing.assert_array_equal(fl.astype(np.int64), whole[::7], err_msg=f"{t.to_ap()} {dtype}")
    sym = FixedType(True, 6, 3, q, "SAT_SYM")
    assert cast(np.array([-32]), 3, sym)[0] == -31  # -4.0 is in range, and still saturates to -max
