"""The compiled feature-map path (emu_maps: convolutions, max pooling, zero padding, Dense, ReLU) equals the
emulator's general path, which every other test holds to the C-simulation.

Records are drawn directly: 1D and 2D maps, kernels, strides, a convolution's own padding and ZeroPadding
layers, pooling windows, Dense layers on maps and after a flatten, the types of every cast (the three
rounding modes, saturation, wrap, ReLU) and accumulators wide or narrow (no plan: the general path)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpga_nn.fixed import FixedType
from fpga_nn.verify import emu_native
from fpga_nn.verify.emulator import Emulator

from .conftest import LONG
from .test_emu_fast import _emulators, _type, _write


def _acc(draw, t_src: FixedType, tw: FixedType, k: int) -> FixedType:
    """The accumulator as hls4ml sizes it (the products' fraction, the sum's integer bits), give or take."""
    frac = t_src.fractional + tw.fractional + draw(st.sampled_from([0, 0, 0, 1, -1]))
    integer = t_src.integer + tw.integer + int(np.ceil(np.log2(k + 1))) + draw(st.sampled_from([1, 2, 0, -1]))
    return FixedType(True, max(frac + integer, 1), max(frac + integer, 1) - frac, "TRN", "WRAP")


@st.composite
def map_records(draw):
    """input -> [ZeroPadding] -> Conv (own padding or none) -> [Activation] -> [MaxPooling] -> [Conv 1x1 | Dense
    on the map] -> Reshape -> Dense -> [Activation], 1D or 2D, with drawn types and weight codes."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    one_d = draw(st.booleans())
    d = "1D" if one_d else "2D"
    h, w, c = (1 if one_d else draw(st.integers(3, 7))), draw(st.integers(3, 7)), draw(st.integers(1, 3))
    shape = [w, c] if one_d else [h, w, c]
    t_in = _type(draw, rounding="TRN", overflow="WRAP", max_width=12)
    layers = [{"name": "x", "class": "InputLayer", "attrs": {}, "types": {"result_t": t_in.to_ap()},
               "output_shape": shape, "inputs": [], "weights": {}}]  # fmt: skip
    arrays: dict = {}

    def add(name, cls, attrs, types, out, weights=None):
        layers.append({"name": name, "class": cls, "attrs": attrs, "types": types, "output_shape": out,
                       "inputs": [layers[-1]["name"]], "weights": weights or {}})  # fmt: skip

    def src_t():
        return FixedType.parse(layers[-1]["types"]["result_t"])

    def product(name, cls, k, m, out, attrs):
        tw = _type(draw, signed=True, rounding="TRN", overflow="WRAP", max_width=8)
        acc = _acc(draw, src_t(), tw, k)
        tb = FixedType(True, 8, 8 - min(acc.fractional, draw(st.integers(0, 6))))
        arrays[f"{name}/weight"] = rng.integers(-(1 << (tw.width - 1)), 1 << (tw.width - 1), (k, m))
        arrays[f"{name}/bias"] = rng.integers(-128, 128, m)
        res = _type(draw, max_width=16) if draw(st.booleans()) else acc
        add(name, cls, attrs, {"accum_t": acc.to_ap(), "result_t": res.to_ap()}, out,
            {"weight": {"key": f"{name}/weight", "type": tw.to_ap(), "shape": [k, m]},
             "bias": {"key": f"{name}/bias", "type": tb.to_ap(), "shape": [m]}})  # fmt: skip

    def activation(name, out):
        act = draw(st.sampled_from(["relu", "linear"]))
        add(name, "Activation", {"activation": act}, {"result_t": _type(draw, max_width=12).to_ap()}, out)

    if draw(st.booleans()):
        pt, pb = (0, 0) if one_d else (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
        pl, pr = draw(st.integers(0, 1)), draw(st.integers(0, 2))
        h, w = h + pt + pb, w + pl + pr
        attrs = {"pad_left": pl, "pad_right": pr, **({} if one_d else {"pad_top": pt, "pad_bottom": pb})}
        t_pad = src_t() if draw(st.booleans()) else _type(draw, max_width=12)
        add("zp", f"ZeroPadding{d}", attrs, {"result_t": t_pad.to_ap()}, [w, c] if one_d else [h, w, c])
    kh, kw = (1 if one_d else draw(st.integers(1, 3))), draw(st.integers(1, 3))
    sh, sw = (1 if one_d else draw(st.integers(1, 2))), draw(st.integers(1, 2))
    pads = (0, 0) if one_d else (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    pads += (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    oh, ow = (h + pads[0] + pads[1] - kh) // sh + 1, (w + pads[2] + pads[3] - kw) // sw + 1
    m = draw(st.integers(1, 14))
    geo = {"filt_width": kw, "stride_width": sw, "pad_left": pads[2], "pad_right": pads[3]}
    if not one_d:
        geo |= {"filt_height": kh, "stride_height": sh, "pad_top": pads[0], "pad_bottom": pads[1]}
    product("conv", f"Conv{d}", kh * kw * c, m, [ow, m] if one_d else [oh, ow, m], geo)
    if draw(st.booleans()):
        activation("conv_act", layers[-1]["output_shape"])
    if draw(st.booleans()) and oh >= 2 - one_d and ow >= 2:
        ph, pw = (1 if one_d else 2), 2
        oh, ow = (oh - ph) // ph + 1, (ow - pw) // pw + 1
        attrs = {"pool_op": "Max", "pool_width": pw, "stride_width": pw}
        if not one_d:
            attrs |= {"pool_height": ph, "stride_height": ph}
        t_pool = src_t() if draw(st.booleans()) else _type(draw, max_width=12)
        add("pool", f"Pooling{d}", attrs, {"result_t": t_pool.to_ap()}, [ow, m] if one_d else [oh, ow, m])
    if draw(st.booleans()):  # a Dense on the map: a 1x1 convolution
        m2 = draw(st.integers(1, 6))
        product("dmap", "Dense", m, m2, [*layers[-1]["output_shape"][:-1], m2], {})
        m = m2
    n_flat = int(np.prod(layers[-1]["output_shape"]))
    add("flat", "Reshape", {}, {"result_t": layers[-1]["types"]["result_t"]}, [n_flat])
    product("out", "Dense", n_flat, draw(st.integers(1, 4)), None, {})
    layers[-1]["output_shape"] = [arrays["out/bias"].shape[0]]
    if draw(st.booleans()):
        activation("out_act", layers[-1]["output_shape"])
    rec = {"project": "p", "io_type": "io_stream", "layers": layers, "output_type": layers[-1]["types"]["result_t"]}
    return rec, arrays, t_in


@settings(max_examples=200 if LONG else 60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(map_records())
def test_the_compiled_maps_equal_the_general_path(tmp_path_factory, drawn):
    rec, arrays, t_in = drawn
    emu, general = _emulators(tmp_path_factory, rec, arrays)
    shape = rec["layers"][0]["output_shape"]
    lo, hi = t_in.bounds
    span = max(hi - lo, t_in.lsb)
    x = np.random.default_rng(5).uniform(lo - span / 4, hi + span / 4, (100, *shape)).astype(np.float32)
    inside = np.clip(x, lo, hi)  # every code in the input type: the kernel's own result
    for events in (inside, x):  # outside the input type: the general path runs them (the kernel returns -1)
        want = general.predict(events)
        if emu.fast is not None:
            np.testing.assert_array_equal(emu.fast.predict(events), want)
            np.testing.assert_array_equal(emu.fast.predict(events[:3].astype(np.float64)), want[:3])


def test_the_compact_cnn_compiles_to_the_map_kernel(tmp_path):
    """The seed's compact CNN shape (ZeroPadding + Conv + ReLU + MaxPool, three times, Dense 64, Dense 1) at
    the types hls4ml gives it runs in the compiled kernel, equal to the general path on 70 events."""
    rng = np.random.default_rng(4)
    layers = [{"name": "x", "class": "InputLayer", "attrs": {}, "types": {"result_t": "ap_ufixed<8,0>"},
               "output_shape": [16, 16, 1], "inputs": [], "weights": {}}]  # fmt: skip
    arrays: dict = {}
    relu_t = "ap_ufixed<8,3,RND_CONV,SAT>"

    def add(name, cls, attrs, types, out, weights=None):
        layers.append({"name": name, "class": cls, "attrs": attrs, "types": types, "output_shape": out,
                       "inputs": [layers[-1]["name"]], "weights": weights or {}})  # fmt: skip

    def weights(name, k, m):
        arrays[f"{name}/weight"], arrays[f"{name}/bias"] = rng.integers(-40, 41, (k, m)), rng.integers(-8, 9, m)
        return {"weight": {"key": f"{name}/weight", "type": "ap_fixed<8,1>", "shape": [k, m]},
                "bias": {"key": f"{name}/bias", "type": "ap_fixed<8,1>", "shape": [m]}}  # fmt: skip

    size, c = 16, 1
    for i, acc in enumerate(["ap_fixed<21,6>", "ap_fixed<24,12>"]):
        pad = {"pad_top": 1, "pad_bottom": 1, "pad_left": 1, "pad_right": 1}
        add(f"zp{i}", "ZeroPadding2D", pad, {"result_t": layers[-1]["types"]["result_t"]}, [size + 2, size + 2, c])
        geo = {"filt_height": 3, "filt_width": 3, "stride_height": 1, "stride_width": 1}
        geo |= {k: 0 for k in pad}
        add(
            f"conv{i}",
            "Conv2D",
            geo,
            {"accum_t": acc, "result_t": acc},
            [size, size, 10],
            weights(f"conv{i}", 9 * c, 10),
        )
        add(f"relu{i}", "Activation", {"activation": "relu"}, {"result_t": relu_t}, [size, size, 10])
        size, c = size // 2, 10
        pool = {"pool_op": "Max", "pool_height": 2, "pool_width": 2, "stride_height": 2, "stride_width": 2}
        add(f"pool{i}", "Pooling2D", pool, {"accum_t": relu_t, "result_t": relu_t}, [size, size, c])
    add("flat", "Reshape", {}, {"result_t": relu_t}, [size * size * c])
    types = {"accum_t": "ap_fixed<27,15>", "result_t": "ap_fixed<27,15>"}
    add("dense", "Dense", {}, types, [64], weights("dense", size * size * c, 64))
    add("dense_relu", "Activation", {"activation": "relu"}, {"result_t": relu_t}, [64])
    types = {"accum_t": "ap_fixed<23,11>", "result_t": "ap_fixed<16,6,RND_CONV,SAT>"}
    add("out", "Dense", {}, types, [1], weights("out", 64, 1))
    rec = {"project": "p", "io_type": "io_stream", "layers": layers, "output_type": types["result_t"]}
    _write(tmp_path, rec, arrays)
    emu = Emulator(tmp_path)
    assert isinstance(emu.fast, emu_native.NativePlan) and emu.fast.map_plan.dtype is np.float32
    assert [op.kind for op in emu.fast.map_plan.ops] == ["pad", "conv", "pool"] * 2 + ["conv", "conv"]
    general = Emulator(tmp_path)
    general.fast = None
    x = np.random.default_rng(1).integers(0, 256, (70, 16, 16, 1)) / 256
    want = general.predict(x)
    assert len(np.unique(want)) > 10  # the outputs vary: a real comparison
    np.testing.assert_array_equal(emu.predict(x), want)
    np.testing.assert_array_equal(emu.predict(x[:1]), want[:1])
