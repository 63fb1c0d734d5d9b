"""The emulator's fast path (BLAS on exact float codes, fused casts, blocks on every core) equals its general
path (int64 codes, the C++ templates step by step), which every other test holds to the C-simulation.

Records are drawn directly (types, weights, activations), so that every cast the fast path compiles is met:
the three rounding modes, saturation, wrap, a ReLU before a cast, scales both ways, float32 and float64 sums,
accumulators that could wrap (no plan: the general path)."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpga_nn.fixed import FixedType
from fpga_nn.verify import emu_fast, emu_native, record
from fpga_nn.verify.emulator import Emulator

from .conftest import LONG


def _type(draw, signed=None, rounding=None, overflow=None, max_width=20) -> FixedType:
    signed = draw(st.booleans()) if signed is None else signed
    width = draw(st.integers(2, max_width))
    integer = draw(st.integers(-2, width + 2))
    rounding = rounding or draw(st.sampled_from(["TRN", "RND_CONV", "RND", "TRN", "RND_CONV", "RND_ZERO"]))
    overflow = overflow or draw(st.sampled_from(["WRAP", "SAT", "SAT_SYM"]))
    return FixedType(signed, width, integer, rounding, overflow)


@st.composite
def dense_records(draw):
    """A chain input -> (Dense -> Activation?)+ with drawn types and weight codes, and its arrays."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    t_in = _type(draw, rounding="TRN", overflow="WRAP", max_width=16)
    layers = [{"name": "x", "class": "InputLayer", "attrs": {}, "types": {"result_t": t_in.to_ap()},
               "output_shape": [draw(st.integers(1, 12))], "inputs": [], "weights": {}}]  # fmt: skip
    arrays = {}
    n_in = layers[0]["output_shape"][0]
    for k in range(draw(st.integers(1, 3))):
        m = draw(st.integers(1, 12))
        tw = _type(draw, signed=True, rounding="TRN", overflow="WRAP", max_width=10)
        t_src = FixedType.parse(layers[-1]["types"]["result_t"])
        # the accumulator as hls4ml sizes it (the products' fraction, the sum's integer bits), give or take
        frac = t_src.fractional + tw.fractional + draw(st.sampled_from([0, 0, 0, 0, 1, 2, -1]))
        integer = t_src.integer + tw.integer + int(np.ceil(np.log2(n_in + 1))) + draw(st.sampled_from([1, 2, 3, 0, -1]))
        acc = FixedType(True, max(frac + integer, 1), max(frac + integer, 1) - frac, "TRN", "WRAP")
        fb = draw(st.integers(0, max(frac, 0))) + draw(st.sampled_from([0, 0, 0, 1]))
        wb = draw(st.integers(2, 12))
        tb = FixedType(True, wb, wb - fb)
        res = _type(draw, max_width=24)
        w = rng.integers(-(1 << (tw.width - 1)), 1 << (tw.width - 1), (n_in, m))
        b = rng.integers(-(1 << (tb.width - 1)), 1 << (tb.width - 1), m)
        arrays[f"d{k}/weight"], arrays[f"d{k}/bias"] = w, b
        layers.append({
            "name": f"d{k}", "class": "Dense", "attrs": {"n_in": n_in, "n_out": m},
            "types": {"accum_t": acc.to_ap(), "result_t": res.to_ap()}, "output_shape": [m],
            "inputs": [layers[-1]["name"]],
            "weights": {"weight": {"key": f"d{k}/weight", "type": tw.to_ap(), "shape": [n_in, m]},
                        "bias": {"key": f"d{k}/bias", "type": tb.to_ap(), "shape": [m]}},
        })  # fmt: skip
        if draw(st.booleans()):
            act = draw(st.sampled_from(["relu", "linear"]))
            t_act = _type(draw, max_width=16)
            layers.append({"name": f"a{k}", "class": "Activation", "attrs": {"activation": act},
                           "types": {"result_t": t_act.to_ap()}, "output_shape": [m], "inputs": [f"d{k}"],
                           "weights": {}})  # fmt: skip
        n_in = m
    rec = {"project": "p", "io_type": "io_parallel", "layers": layers, "output_type": layers[-1]["types"]["result_t"]}
    return rec, arrays, t_in


def _write(folder, rec, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / record.RECORD).write_text(json.dumps(rec))
    np.savez(folder / record.WEIGHTS, **arrays)


def _emulators(tmp_path_factory, rec, arrays) -> tuple[Emulator, Emulator]:
    """The record written to a fresh folder: its emulator as built, and one held to the general path."""
    folder = tmp_path_factory.mktemp("rec")
    _write(folder, rec, arrays)
    general = Emulator(folder)
    general.fast = None
    return Emulator(folder), general


def _inputs(t: FixedType, n: int, n_in: int, seed: int) -> np.ndarray:
    lo, hi = t.bounds
    span = max(hi - lo, t.lsb)
    rng = np.random.default_rng(seed)
    return rng.uniform(lo - span, hi + span, (n, n_in)).astype(np.float32)  # a third beyond each end: wraps


@settings(max_examples=400 if LONG else 80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(dense_records())
def test_the_fast_path_equals_the_general_path(tmp_path_factory, drawn):
    rec, arrays, t_in = drawn
    emu, general = _emulators(tmp_path_factory, rec, arrays)
    x = _inputs(t_in, 3000, rec["layers"][0]["output_shape"][0], 7)
    want = general.predict(x)
    if emu.fast is not None:
        np.testing.assert_array_equal(emu.fast.predict(x), want)
        np.testing.assert_array_equal(emu.fast.predict(x[:1]), want[:1])  # one event, one block
        np.testing.assert_array_equal(emu.fast.predict(x.astype(np.float64)), want)  # float64 inputs too
        # inside the input range the compiled kernel runs (outside it, the NumPy plan): both equal the general path
        lo, hi = t_in.bounds
        inside = np.clip(x, lo, hi)
        want_inside = general.predict(inside)
        for fast in (emu.fast, getattr(emu.fast, "plan", emu.fast)):
            np.testing.assert_array_equal(fast.predict(inside), want_inside)
            np.testing.assert_array_equal(fast.predict(inside[:70].astype(np.float64)), want_inside[:70])


def test_the_plan_compiles_for_a_trigger_chain_and_refuses_what_could_wrap(tmp_path):
    """A 5-6-1 chain of the trigger's types gets a float32 plan on both cores; an accumulator too narrow for
    its sums gets none (the general path wraps it as the C++ does)."""
    t_in = FixedType(False, 8, 0)
    rng = np.random.default_rng(3)
    arrays = {"h/weight": rng.integers(-128, 128, (5, 6)), "h/bias": rng.integers(-128, 128, 6),
              "o/weight": rng.integers(-128, 128, (6, 1)), "o/bias": rng.integers(-128, 128, 1)}  # fmt: skip

    def dense(name, n_in, m, acc, res, src):
        return {"name": name, "class": "Dense", "attrs": {}, "types": {"accum_t": acc, "result_t": res},
                "output_shape": [m], "inputs": [src],
                "weights": {"weight": {"key": f"{name}/weight", "type": "ap_fixed<8,3>", "shape": [n_in, m]},
                            "bias": {"key": f"{name}/bias", "type": "ap_fixed<8,3>", "shape": [m]}}}  # fmt: skip

    layers = [
        {"name": "x", "class": "InputLayer", "attrs": {}, "types": {"result_t": t_in.to_ap()}, "output_shape": [5],
         "inputs": [], "weights": {}},
        dense("h", 5, 6, "ap_fixed<20,6>", "ap_fixed<20,6>", "x"),
        {"name": "h_relu", "class": "Activation", "attrs": {"activation": "relu"},
         "types": {"result_t": "ap_ufixed<8,3,RND_CONV,SAT>"}, "output_shape": [6], "inputs": ["h"], "weights": {}},
        dense("o", 6, 1, "ap_fixed<20,9>", "ap_fixed<8,4,RND_CONV,SAT>", "h_relu"),
    ]  # fmt: skip
    rec = {"project": "p", "io_type": "io_parallel", "layers": layers, "output_type": "ap_fixed<8,4,RND_CONV,SAT>"}
    _write(tmp_path / "ok", rec, arrays)
    plan = Emulator(tmp_path / "ok").fast
    assert isinstance(plan, emu_native.NativePlan)  # gcc is there: the compiled kernel
    assert plan is not None and plan.dtype is np.float32 and len(plan.steps) == 2
    assert [c.rounding for s in plan.steps for c in s.casts] == ["RND_CONV", "RND_CONV"]
    x = _inputs(t_in, 3 * emu_fast.BLOCK + 5, 5, 1)  # several blocks on the thread pool, a short last one
    general = Emulator(tmp_path / "ok")
    general.fast = None
    np.testing.assert_array_equal(plan.predict(x), general.predict(x))
    inside = np.clip(x, *t_in.bounds)  # every code in the input type: the kernel's own result, no fallback
    np.testing.assert_array_equal(plan.predict(inside), general.predict(inside))
    np.testing.assert_array_equal(plan.predict(inside), plan.plan.predict(inside))
    assert plan.predict(inside[:0]).shape == (0, 1)  # no events: no call

    layers[1] = dense("h", 5, 6, "ap_fixed<12,3>", "ap_fixed<12,3>", "x")  # sums up to 2^17 codes in 12 bits
    _write(tmp_path / "narrow", rec, arrays)
    assert Emulator(tmp_path / "narrow").fast is None


@pytest.mark.parametrize("mode", ["general", "auto"])
def test_the_environment_switch_picks_the_path(tmp_path, monkeypatch, mode):
    """``FPGA_NN_EMULATOR=general`` turns the fast path off (for comparisons and benchmarks)."""
    test_the_plan_compiles_for_a_trigger_chain_and_refuses_what_could_wrap(tmp_path)
    if mode == "general":
        monkeypatch.setenv("FPGA_NN_EMULATOR", "general")
    assert (Emulator(tmp_path / "ok").fast is None) == (mode == "general")


def _chain(tmp_path, sizes, t_in: FixedType, w_type: str, seed: int):
    """input -> (Dense -> ReLU 6-bit)* -> Dense, weights of ``w_type`` drawn: a tagger-like chain's record."""
    rng = np.random.default_rng(seed)
    relu = "ap_ufixed<6,0,RND_CONV,SAT>"
    layers = [{"name": "x", "class": "InputLayer", "attrs": {}, "types": {"result_t": t_in.to_ap()},
               "output_shape": [sizes[0]], "inputs": [], "weights": {}}]  # fmt: skip
    arrays = {}
    wt = FixedType.parse(w_type)
    for k, (n_in, m) in enumerate(zip(sizes, sizes[1:], strict=False)):
        src = FixedType.parse(layers[-1]["types"]["result_t"])
        frac = src.fractional + wt.fractional
        acc = FixedType(True, frac + src.integer + wt.integer + 8, src.integer + wt.integer + 8)
        arrays[f"d{k}/weight"] = rng.integers(-(1 << (wt.width - 1)), 1 << (wt.width - 1), (n_in, m))
        arrays[f"d{k}/bias"] = rng.integers(-(1 << (wt.width - 1)), 1 << (wt.width - 1), m)
        layers.append({"name": f"d{k}", "class": "Dense", "attrs": {},
                       "types": {"accum_t": acc.to_ap(), "result_t": acc.to_ap()}, "output_shape": [m],
                       "inputs": [layers[-1]["name"]],
                       "weights": {"weight": {"key": f"d{k}/weight", "type": w_type, "shape": [n_in, m]},
                                   "bias": {"key": f"d{k}/bias", "type": w_type, "shape": [m]}}})  # fmt: skip
        if k + 2 < len(sizes):
            layers.append({"name": f"r{k}", "class": "Activation", "attrs": {"activation": "relu"}, "weights": {},
                           "types": {"result_t": relu}, "output_shape": [m], "inputs": [f"d{k}"]})  # fmt: skip
    rec = {"project": "p", "io_type": "io_parallel", "layers": layers, "output_type": layers[-1]["types"]["result_t"]}
    _write(tmp_path, rec, arrays)
    return Emulator(tmp_path)


def test_the_integer_products_are_exact(tmp_path):
    """A 16-64-32-5 chain with 10-bit signed inputs and 6-bit ReLUs: the first product's codes span 1,024
    values (16-bit words, ``vpdpwssd``), the others 64 (bytes plus an offset, ``vpdpbusd``). The packed
    weights, offsets and biases reproduce the float product exactly (checked here in NumPy, on any CPU); where
    the CPU has AVX512-VNNI the kernel uses them, and equals the general path on every event."""
    emu = _chain(tmp_path, [16, 64, 32, 5], FixedType(True, 10, 4), "ap_fixed<6,1>", 2)
    specs = [emu_native._int_spec(step) for step in emu.fast.steps]
    assert [s[4] for s in specs] == [2, 4, 4]  # words, then bytes
    rng = np.random.default_rng(0)
    for step, (off, packed, bias, g, per) in zip(emu.fast.steps, specs, strict=True):
        lo, hi = step.x_range
        x = rng.integers(lo, hi + 1, (200, step.w.shape[0] - 1))
        bits = 32 // per
        words = np.array(packed, np.int64) & 0xFFFFFFFF
        parts = [(words >> (bits * r)) & ((1 << bits) - 1) for r in range(per)]
        w = np.stack(parts, axis=1).reshape(-1, words.shape[1])  # inputs in order
        w = np.where(w >= 1 << (bits - 1), w - (1 << bits), w)  # signed
        xs = np.pad(x + off, ((0, 0), (0, len(w) - x.shape[1])))
        got = (xs @ w + np.array(bias)) * 2.0**-g
        np.testing.assert_array_equal(got, x @ step.w[:-1].astype(np.float64) + step.w[-1])
    general = _chain(tmp_path, [16, 64, 32, 5], FixedType(True, 10, 4), "ap_fixed<6,1>", 2)
    general.fast = None
    x = rng.uniform(-32, 32, (5000, 16)).astype(np.float32)  # inside the input type: the kernel's own result
    want = general.predict(x)
    assert len(np.unique(want)) > 100
    np.testing.assert_array_equal(emu.predict(x), want)
    if emu_native._vnni():
        assert "_mm512_dpwssd_epi32" in emu_native.source(emu.fast.plan)
        assert "_mm512_dpbusd_epi32" in emu_native.source(emu.fast.plan)


def test_a_compiler_without_the_dot_products_gets_the_float_kernel(tmp_path, monkeypatch):
    """Where the CPU has AVX512-VNNI but the compiler cannot build its intrinsics, the kernel is built again
    with float products (still compiled, still exact), not left to the NumPy plan."""
    monkeypatch.setattr(emu_native, "_vnni", lambda: True)
    real = emu_native.library
    tried = []

    def picky(text):
        tried.append("_mm512_dp" in text)
        return None if "_mm512_dp" in text else real(text)

    monkeypatch.setattr(emu_native, "library", picky)
    emu = _chain(tmp_path, [16, 64, 32, 5], FixedType(True, 10, 4), "ap_fixed<6,1>", 2)
    assert tried == [True, False] and isinstance(emu.fast, emu_native.NativePlan)
    general = _chain(tmp_path / "g", [16, 64, 32, 5], FixedType(True, 10, 4), "ap_fixed<6,1>", 2)
    general.fast = None
    x = np.random.default_rng(3).uniform(-32, 32, (500, 16)).astype(np.float32)
    np.testing.assert_array_equal(emu.predict(x), general.predict(x))
