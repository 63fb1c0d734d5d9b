"""Binary and ternary activations as exact thresholds on the integer sum before them.

hls4ml turns ``[Dense/Conv] -> [BatchNormalization ...] -> binary/ternary activation`` into one
``BatchNormalizationQuantizedTanh`` layer: 1 where the Dense's output ``v >= t`` (binary; the 1-bit code 1
stands for +1, 0 for -1), or 1 where ``v > hi`` and -1 where ``v <= lo`` (ternary). It computes the
thresholds as ``-bias / scale`` rounded down, drops the bias of a binary Dense after such a layer, and
compares one way whatever the sign of the scale: decisions near a threshold differ from QKeras's (hls4ml's
own tests allow 0.5 % of them wrong).

Here the thresholds are solved instead of derived. The Dense's firmware sum ``u = x . w`` is exact (integer
weights: ±1, {-1, 0, 1}, or a quantized_bits grid), and QKeras decides from ``z = alpha * u + b`` (``alpha``
the quantizer's per-channel scale, ``b`` the bias) through its batch normalizations and the activation: a
monotone function ``g(u)`` per channel. The firmware bias is set to 0 (the Dense then outputs ``u``), ``g``
is evaluated with the Keras layers themselves on the grid of ``u`` and bisected for the first ``u`` where the
decision changes. A channel where ``g`` falls (a negative batch-norm scale) gets its weights negated, so that
the firmware compares ``-u``. Where QKeras's float32 cannot compute ``alpha * u`` exactly (a scale that is not
a power of two, a wide sum) the decisions are solved in float64 and the layer is named for the float64
reference (``project.float32_inexact``). An activation without batch normalization in front of it (hls4ml
leaves a plain ``binary_tanh``, ``x >= 0``, where QKeras's ``binary_tanh`` function gives -1 at 0) becomes
such a threshold layer too.
"""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedModelError
from ..fixed import FixedType
from .hls_types import power_of_two, values, xnor

_WEIGHTED = ("Dense", "QDense", "Conv1D", "Conv2D", "QConv1D", "QConv2D")


def threshold_kind(fn) -> str | None:
    """'binary' or 'ternary' for a QKeras activation (quantizer object, function or name) that hls4ml turns
    into a threshold, else None."""
    if isinstance(fn, str):
        name = fn.split("(")[0]
    else:
        name = type(fn).__name__ if hasattr(fn, "get_config") else getattr(fn, "__name__", "")
    if name in ("binary", "binary_tanh"):
        return "binary"
    if name in ("ternary", "ternary_tanh"):
        return "ternary"
    return None


def solve(hls_model, model, float64: bool) -> list[str]:
    """Make every threshold layer of ``hls_model`` decide as ``model`` does; returns their names. ``float64``:
    the build's reference is QKeras in float64 anyway (a wide sum elsewhere); the decisions are solved in
    float64 too where a threshold's own scale or sum needs it (``_needs_float64``)."""
    from hls4ml.backends.fpga.fpga_layers import BatchNormalizationQuantizedTanh

    keras = {layer.name: layer for layer in model.layers}
    consumers = _consumers(model)
    for layer in list(hls_model.get_layers()):
        if _signed_binary_weights(layer):
            _retemplate(hls_model, layer)
    plans = []
    for layer in list(hls_model.get_layers()):
        if layer.class_name == "Activation" and threshold_kind(layer.get_attr("activation", "")) == "binary":
            layer = _as_threshold_layer(hls_model, layer, BatchNormalizationQuantizedTanh)
        if layer.class_name != "BatchNormalizationQuantizedTanh":
            continue
        source = layer.get_input_node()
        chain = _keras_chain(source.name, keras, consumers)
        if chain is None:
            raise UnsupportedModelError(
                f"layer '{layer.name}': the binary/ternary activation after '{source.name}' has no Keras chain "
                "fpga-nn can follow (a Dense/Conv, batch normalizations, the activation)"
            )
        plans.append((layer, source, chain, _scale(chain[0], source) if chain[0] is not None else None))
    float64 = float64 or any(_needs_float64(source, scale) for _, source, _, scale in plans)
    for layer, source, chain, scale in plans:
        _solve_layer(hls_model, layer, source, chain, scale, float64)
    return [layer.name for layer, *_ in plans]


def _needs_float64(source, scale) -> bool:
    """Whether QKeras's float32 cannot compute ``alpha * u`` exactly: a scale that is not a power of two, or a
    sum wider than float32's significand (one bit kept for the threshold's widening)."""
    if scale is None:
        return False
    alpha = scale[0]
    width = FixedType.from_precision(source.get_output_variable().type.precision).width
    return bool(not np.all(np.exp2(np.round(np.log2(alpha))) == alpha) or width + 1 > 24)


def threshold_chains(model) -> set[str]:
    """The Dense/Conv and batch-normalization layers whose results reach a binary/ternary activation and
    nothing else: their scales and shifts end in a solved threshold."""
    keras = {layer.name: layer for layer in model.layers}
    consumers = _consumers(model)
    out = set()
    for layer in model.layers:
        if type(layer).__name__ in _WEIGHTED:
            chain = _keras_chain(layer.name, keras, consumers)
            if chain is not None:
                out.add(layer.name)
                out.update(item.name for item in chain[1] if type(item).__name__ == "BatchNormalization")
    return out


def _consumers(model) -> dict[str, list[str]]:
    from .graph import inbound_layer_names

    out: dict[str, list[str]] = {}
    for layer, sources in inbound_layer_names(model).items():
        for name in sources:
            out.setdefault(name, []).append(layer)
    return out


def _keras_chain(name: str, keras: dict, consumers: dict):
    """(the Dense/Conv whose sum the threshold reads or None, the Keras layers/function after its sum up to
    and including the activation) for the hls4ml layer ``name``; None when there is no such chain."""
    first = keras.get(name)
    if first is None:
        return None
    cfg = first.get_config()
    weighted = type(first).__name__ in _WEIGHTED
    if weighted and threshold_kind(_activation(cfg.get("activation"))):
        return first, [first.activation]
    tail, cur = [], name
    while True:
        nxt = consumers.get(cur, [])
        if len(nxt) != 1:
            return None
        layer = keras[nxt[0]]
        cls = type(layer).__name__
        if cls == "BatchNormalization":
            tail.append(layer)
        elif cls in ("QActivation", "Activation") and threshold_kind(_activation(layer.get_config()["activation"])):
            tail.append(layer)
            return (first if weighted else None), tail
        else:
            return None
        cur = layer.name


def _activation(value):
    """A config's activation as :func:`threshold_kind` reads it: a name, a serialized quantizer's class name, or
    the object itself; None for none."""
    if value is None or value == "linear":
        return None
    return value.get("class_name") if isinstance(value, dict) else value


def _scale(dense, source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output channel: QKeras's kernel = alpha * the firmware's kernel, up to ``dev`` (QKeras's
    ``ternary(alpha='auto')`` rounds ``alpha * t`` in float32 weight by weight: values one float32 step apart in
    one channel); QKeras's bias; and ``dev``."""
    kernel = np.asarray(dense.get_weights()[0], np.float64)
    quantizer = getattr(dense, "kernel_quantizer_internal", None)
    qk = np.asarray(quantizer(kernel.astype(np.float32)) if quantizer is not None else kernel, np.float64)
    w = source.weights["weight"]
    one_bit = xnor(w.type.precision)
    fw = values(w.data, w.type.precision)
    if one_bit or (not power_of_two(w.type.precision) and FixedType.from_precision(w.type.precision) == (True, 2, 2)):
        # binary/ternary codes: QKeras's own quantized kernel decides them (hls4ml re-quantizes the float
        # kernel itself, and can put a weight near ternary's threshold on the other side)
        t = np.sign(qk).reshape(fw.shape)
        if not (one_bit and np.any(t == 0)) and np.any(t != fw):
            w.data = np.where(t > 0, 1.0, 0.0) if one_bit else t
            fw = t
    qk, fw = qk.reshape(-1, qk.shape[-1]), fw.reshape(-1, qk.shape[-1])
    alpha, dev = np.ones(qk.shape[-1]), np.zeros(qk.shape[-1])
    for c in range(qk.shape[-1]):
        nz = fw[:, c] != 0
        if not nz.any():
            continue
        ratios = qk[nz, c] / fw[nz, c]
        alpha[c] = np.median(ratios)
        dev[c] = np.max(np.abs(qk[:, c] - alpha[c] * fw[:, c]))
        if alpha[c] <= 0 or dev[c] > alpha[c] * 2.0**-20:  # more than float32's rounding of one scale
            raise UnsupportedModelError(
                f"layer '{dense.name}': its firmware weights are not its QKeras weights over one positive "
                f"scale per channel (channel {c}), so no threshold can reproduce QKeras"
            )
    bias = np.zeros(qk.shape[-1])
    if dense.get_config().get("use_bias", True):
        b = np.asarray(dense.get_weights()[1], np.float32)
        bq = getattr(dense, "bias_quantizer_internal", None)
        bias = np.asarray(bq(b) if bq is not None else b, np.float64)
    return alpha, bias, dev


def _signed_binary_weights(node) -> bool:
    """1-bit weights of a layer whose inputs are 1-bit codes too, as ±1 in ``int<2>``: hls4ml multiplies two
    1-bit codes as ``a == w`` (the sum then counts agreements, not the dot product of the -1/+1 values QKeras
    computes); with ±1 weights it multiplies the -1/+1 each input code stands for."""
    if "weight" not in node.weights or not xnor(node.get_input_variable().type.precision):
        return False
    w = node.weights["weight"]
    if not xnor(w.type.precision):
        return False
    _as_int2(w)
    return True


def _as_int2(w) -> None:
    """1-bit weights as the -1/+1 they stand for, in ``ap_int<2>`` as the backend writes it."""
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from hls4ml.model.types import IntegerPrecisionType

    w.data = values(w.data, w.type.precision)
    w.update_precision(APTypeConverter().convert(IntegerPrecisionType(width=2, signed=True)))


def _as_threshold_layer(hls_model, node, cls):
    """hls4ml's plain ``binary_tanh`` activation replaced by a threshold layer (what hls4ml's own pass makes of
    a batch normalization followed by it), so that its threshold can be set."""
    shape = node.get_input_variable().shape
    attrs = {"n_in": int(np.prod(shape)), "n_filt": shape[-1] if len(shape) > 1 else -1, "quantize": 2}
    new = hls_model.make_node(cls, "bnbt_" + node.name, attrs, node.inputs)
    n = shape[-1] if len(shape) > 1 else int(np.prod(shape))
    new.set_thresholds(np.ones(n), np.zeros(n))
    hls_model.replace_node(node, new)
    from hls4ml.model.optimizer import get_optimizer

    # what the backend's passes gave every other node: C++ types for its variables, its config and call
    get_optimizer(f"{hls_model.config.backend.name.lower()}:transform_types").transform(hls_model, new)
    _retemplate(hls_model, new)
    return new


def _retemplate(hls_model, node) -> None:
    """The node's C++ config and call written again (its product kind follows its weight and input types)."""
    from hls4ml.model.flow import get_flow
    from hls4ml.model.optimizer import get_optimizer

    for name in get_flow(f"{hls_model.config.backend.name.lower()}:apply_templates").optimizers:
        template = get_optimizer(name)
        if template.match(node):
            template.transform(hls_model, node)


def _solve_layer(hls_model, layer, source, chain, scale, float64: bool) -> None:
    dense, tail = chain
    kind = "binary" if layer.get_attr("quantize") == 2 else "ternary"
    var = source.get_output_variable()
    vtype = FixedType.from_precision(var.type.precision)
    channels = var.shape[-1]
    delta = np.zeros(channels)
    if dense is not None:
        alpha, bias, dev = scale
        source.weights["bias"].data = np.zeros_like(np.asarray(source.weights["bias"].data, np.float64))
        x = source.get_input_variable().type.precision
        reach = 1.0 if xnor(x) else max(abs(b) for b in FixedType.from_precision(x).bounds)
        rows_in = np.size(source.weights["weight"].data) // channels
        delta = dev * rows_in * reach  # how far QKeras's sum can lie from alpha * u + b
    else:
        alpha, bias = np.ones(channels), np.zeros(channels)
    g = _decision(tail, dense, channels, float64)
    q = vtype.lsb
    kmin, kmax = (int(round(b / q)) for b in vtype.bounds)

    def at(k, offset=0.0):  # the QKeras decision at firmware sums k * q, one per channel
        return g(alpha * (np.asarray(k, np.float64) * q) + bias + offset)

    probe = np.linspace(kmin, kmax, 257).round().astype(np.int64)
    rows = np.stack([at(np.full(channels, k)) for k in probe])
    values = set(np.unique(rows).tolist())
    if not values <= {-1.0, 0.0, 1.0}:
        raise UnsupportedModelError(
            f"layer '{layer.name}': QKeras's {kind} activation gives {sorted(values)}, not -1/0/+1 (a scaled "
            "activation): the firmware's threshold layer outputs -1/0/+1"
        )
    falling = np.any(np.diff(rows, axis=0) < 0, axis=0)
    both = falling & np.any(np.diff(rows, axis=0) > 0, axis=0)
    if both.any():
        raise UnsupportedModelError(
            f"layer '{layer.name}': QKeras's decision on channel {int(np.argmax(both))} is not monotone in its sum"
        )
    if falling.any() and dense is None:
        raise UnsupportedModelError(
            f"layer '{layer.name}': a decision that falls as its input rises, with no weights before it to negate"
        )
    sign = np.where(falling, -1.0, 1.0)
    if falling.any():  # the firmware sums -u on these channels: its decision rises with its sum
        _negate(source.weights["weight"], sign, channels)
        _retemplate(hls_model, source)

    def first_at_least(level):  # per channel: the smallest firmware sum k with decision >= level (kmax + 1: none)
        lo, hi = np.full(channels, kmin - 1), np.full(channels, kmax + 1)
        while np.any(hi - lo > 1):
            mid = (lo + hi) // 2
            ok = at(sign * mid) >= level
            hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
        return hi

    firsts = {1: first_at_least(1)} if kind == "binary" else {1: first_at_least(1), 0: first_at_least(0)}
    if delta.any():
        _check_margin(layer.name, dense.name, at, sign, firsts, delta, (kmin, kmax))
    if kind == "binary":
        thresholds = {"threshold": firsts[1]}
    else:
        thresholds = {"threshold_hi": firsts[1] - 1, "threshold_lo": firsts[0] - 1}
    lowest = min(int(t.min()) for t in thresholds.values())
    highest = max(int(t.max()) for t in thresholds.values())
    if lowest < kmin or highest > kmax:  # one more integer bit holds kmin - 1 and kmax + 1
        _widen(var, vtype)
    for name, k in thresholds.items():
        w = layer.weights[name]
        n = np.size(w.data)
        w.data = np.resize(k.astype(np.float64) * q, n).reshape(np.shape(w.data))
        w.update_precision(var.type.precision)
    layer.set_attr("fpga_nn_thresholds", "float64" if float64 else "float32")
    layer.set_attr("fpga_nn_keras", tail[-1].name if hasattr(tail[-1], "name") else dense.name)  # for check's rows


def _check_margin(name: str, dense: str, at, sign, firsts: dict, delta: np.ndarray, span: tuple[int, int]) -> None:
    """Every decision next to a threshold stays the same when QKeras's sum moves by ``delta``: then the
    float32 rounding of QKeras's per-weight scale decides no input differently."""
    kmin, kmax = span
    for level, first in firsts.items():
        for k in (first, first - 1):
            inside = (k >= kmin) & (k <= kmax)
            base = at(sign * k) >= level
            moved = (at(sign * k, delta) >= level) != base
            moved |= (at(sign * k, -delta) >= level) != base
            if np.any(inside & moved):
                c = int(np.argmax(inside & moved))
                raise UnsupportedModelError(
                    f"layer '{name}': QKeras's alpha='auto' kernel of '{dense}' rounds its scale weight by weight in "
                    f"float32, and on channel {c} a sum lies within that rounding of the threshold, so no firmware "
                    "threshold decides as QKeras on every input: use alpha=1 (the batch normalization after it "
                    "takes the scale)"
                )


def _negate(w, sign: np.ndarray, channels: int) -> None:
    if xnor(w.type.precision):  # 1-bit codes cannot be negated in place: ±1 in int<2>
        _as_int2(w)
    data = np.asarray(w.data, np.float64)
    w.data = (data.reshape(-1, channels) * sign).reshape(data.shape)


def _widen(var, vtype: FixedType) -> None:
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from hls4ml.model.types import FixedPrecisionType

    var.type.precision = APTypeConverter().convert(FixedPrecisionType(vtype.width + 1, vtype.integer + 1, signed=True))


def _decision(tail, dense, channels: int, float64: bool):
    """``g(z)`` per channel: the Keras layers after the sum (batch normalizations, the activation) applied in
    float64 or float32 to one row of pre-activation values ``z`` (one per channel)."""
    import tensorflow as tf

    dtype = "float64" if float64 else "float32"
    rank = len(dense.output_shape) if dense is not None else len(tail[0].input_shape)
    shape = (1,) * (rank - 2) + (channels,)
    fns = []
    for item in tail:
        if not isinstance(item, tf.keras.layers.Layer):  # a Dense's own activation: a quantizer or function
            fns.append(item)
            continue
        cfg = {**item.get_config(), "dtype": dtype}
        copy = type(item).from_config(cfg)
        copy.build((None, *shape))
        copy.set_weights([np.asarray(w, dtype) for w in item.get_weights()])
        fns.append(copy)

    def g(z):
        floatx = tf.keras.backend.floatx()
        tf.keras.backend.set_floatx(dtype)
        try:
            t = tf.constant(np.asarray(z, dtype).reshape((1, *shape)))
            for fn in fns:
                t = fn(t)
            return np.asarray(t, np.float64).reshape(-1)
        finally:
            tf.keras.backend.set_floatx(floatx)

    return g
