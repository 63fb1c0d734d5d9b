"""The one table of what the firmware flow supports: Keras/QKeras layers, QKeras quantizers, io types.

``fpga-nn check``, the build's pre-check, the hls4ml configuration, the emulator record and
docs/byom.md all read :data:`LAYERS` (a view of the layer registry, ``fpga_nn/layers/``) and
:data:`QUANTIZERS`. A layer's verdict is one of

* ``exact``: the firmware equals the QKeras model bit for bit (given quantized weights and
  activations whose values the firmware types hold; ``build`` proves it on every event);
* ``table``: a table approximation (softmax, sigmoid, tanh): accepted as the model's last
  layer, where the firmware is exact up to its input and its output equals the emulator's
  reproduction of hls4ml's tables (the softmax contract, docs/byom.md);
* ``refused``: the build stops before any work, naming the layer, its type and the reason.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import UnsupportedModelError
from ..layers import BOTH, Support, keras_support
from .graph import TABLE_ACTIVATIONS, table_function  # noqa: F401 - read from here by the build

# Keras/QKeras layer class -> verdict: a view of the layer registry (fpga_nn/layers/, one module per family)
LAYERS: dict[str, Support] = keras_support()

# QKeras quantizers by class name, with the places they may appear.
QUANTIZERS: dict[str, Support] = {
    "quantized_bits": Support("exact", BOTH, "alpha None, 1 or 'auto_po2'; alpha='auto' is refused"),
    "quantized_relu": Support("exact", BOTH, "relu_upper_bound and use_sigmoid are refused"),
    "binary": Support(
        "exact",
        BOTH,
        "weights: alpha None or 1 (stored as 1 bit), any alpha before a binary/ternary activation; activations: "
        "a threshold solved on the sum before it",
    ),
    "binary_tanh": Support("exact", BOTH, "activation: a threshold solved on the sum before it (-1 at 0)"),
    "ternary": Support(
        "exact",
        BOTH,
        "weights: alpha None or 1, any alpha before a binary/ternary activation; activations: any threshold "
        "but 0.5 (thresholds solved from QKeras's decisions on the sum before them)",
    ),
    "quantized_po2": Support("exact", BOTH, "weights only: hls4ml shifts by the exponent"),
    "quantized_tanh": Support(
        "exact",
        BOTH,
        "hls4ml's hard tanh clip(x, -1, 1), cast to ap_fixed<bits,1> rounding half to even as QKeras rounds; "
        "use_real_tanh is refused",
    ),
    "quantized_sigmoid": Support(
        "exact",
        BOTH,
        "hls4ml's hard sigmoid clip(x/2 + 1/2, 0, 1), cast to ap_ufixed<bits,0> rounding half to even as QKeras "
        "rounds; use_real_sigmoid and symmetric are refused",
    ),
    "stochastic_binary": Support("refused", BOTH, "stochastic rounding is random at inference: not reproducible"),
    "stochastic_ternary": Support("refused", BOTH, "stochastic rounding is random at inference: not reproducible"),
}
_QUANTIZER_KEYS = ("kernel_quantizer", "bias_quantizer", "depthwise_quantizer", "pointwise_quantizer", "activation")


class LayerVerdict(NamedTuple):
    name: str
    cls: str
    verdict: str  # exact | table | refused
    reason: str = ""
    function: str = ""  # the table activation of a "table" verdict
    reference: str = ""  # what checks the layer besides the C-simulation, where a family says so


def _quantizer(value):
    """A QKeras quantizer object from a layer config value (string, dict or object); None if there is none."""
    if value is None or value == "linear":
        return None
    from qkeras.quantizers import get_quantizer

    try:
        return get_quantizer(value)
    except Exception:  # a plain Keras activation name such as 'relu'
        return None


def _quantizer_problem(key: str, qobj, chained: bool = False) -> str | None:
    """What keeps a quantizer from being exact, or None; ``chained``: the layer's sum feeds a binary/ternary
    activation (through batch normalizations), whose threshold absorbs any per-channel scale."""
    name = type(qobj).__name__ if hasattr(qobj, "get_config") else getattr(qobj, "__name__", str(qobj))
    if name == "ternary_tanh" or (name == "relu" and key == "activation"):
        return None  # a plain ReLU after the layer's sum: hls4ml splits it off, and max(0, x) is exact in any type
    entry = QUANTIZERS.get(name)
    if entry is None:
        return f"quantizer {name} ({key}) is not in the verified set ({', '.join(sorted(QUANTIZERS))})"
    if entry.verdict == "refused":
        return f"{key} {name}: {entry.note}"
    cfg = qobj.get_config() if hasattr(qobj, "get_config") else {}
    alpha = cfg.get("alpha")
    weight = key != "activation"
    if name == "quantized_po2" and not weight:
        return "quantized_po2 as an activation: hls4ml converts power-of-two quantizers for weights only"
    if name in ("binary", "ternary") and weight and chained:
        return None
    if name in ("quantized_bits", "binary", "ternary") and alpha not in (None, 1, 1.0, "auto_po2"):
        return (
            f"{key} {name} with alpha={alpha!r}: the per-channel float scale is rounded in firmware; "
            "use alpha=1 or alpha='auto_po2'"
        )
    if name == "quantized_tanh" and cfg.get("use_real_tanh"):
        return f"{key} quantized_tanh(use_real_tanh=True): hls4ml's tanh table differs from TensorFlow's tanh"
    if name == "quantized_sigmoid" and cfg.get("use_real_sigmoid"):
        return f"{key} quantized_sigmoid(use_real_sigmoid=True): hls4ml's sigmoid table differs from TensorFlow's"
    if name == "quantized_sigmoid" and cfg.get("symmetric"):
        return f"{key} quantized_sigmoid(symmetric=True): its smallest value 2^-bits has no saturation mode"
    if name in ("quantized_tanh", "quantized_sigmoid") and cfg.get("use_stochastic_rounding"):
        return f"{key} {name} with stochastic rounding is random at inference: not reproducible"
    if name == "quantized_relu" and (cfg.get("relu_upper_bound") or cfg.get("use_sigmoid")):
        return f"{key} quantized_relu with relu_upper_bound/use_sigmoid has no exact hls4ml equivalent"
    if name == "quantized_relu" and cfg.get("negative_slope"):
        return (
            f"{key} quantized_relu with negative_slope={cfg['negative_slope']}: hls4ml's LeakyReLU does not "
            "re-quantize the negative side as QKeras does"
        )
    if name == "ternary" and not weight and cfg.get("threshold") == 0.5:
        return (
            f"{key} ternary(threshold=0.5): hls4ml's ternary_tanh doubles x in the input type (it may wrap) "
            "and maps x = 0.5 to 0 where QKeras gives 1; use the default threshold or any other value"
        )
    if name == "binary" and not weight and cfg.get("use_01"):
        return f"{key} binary(use_01=True): hls4ml's binary activation outputs -1/+1 only"
    return None


def layer_verdict(layer, io_type: str, last: bool, chained: bool = False) -> LayerVerdict:
    """``chained``: the layer is a Dense/Conv or batch normalization whose result only feeds a binary/ternary
    activation (``convert.thresholds``): the activation's thresholds are solved from QKeras's decisions."""
    cls = type(layer).__name__
    if chained and cls == "BatchNormalization":
        note = "folded into the threshold of the binary/ternary activation after it"
        return LayerVerdict(layer.name, cls, "exact", note)
    entry = LAYERS.get(cls)
    if entry is None:
        return LayerVerdict(
            layer.name,
            cls,
            "refused",
            f"layer type {cls} is not in the verified set (fpga-nn check lists it; docs/byom.md)",
        )
    if entry.verdict == "refused":
        return LayerVerdict(layer.name, cls, "refused", entry.note)
    if io_type not in entry.io_types:
        return LayerVerdict(
            layer.name,
            cls,
            "refused",
            f"{cls} needs {' or '.join(entry.io_types)}: {entry.note or 'hls4ml limitation'} (use --io-type)",
        )
    cfg = layer.get_config()
    if cfg.get("depth_multiplier", 1) != 1:
        return LayerVerdict(
            layer.name,
            cls,
            "refused",
            f"depth_multiplier={cfg['depth_multiplier']} is not in the verified set (depth_multiplier=1)",
        )
    if "AveragePooling" in cls:
        n = _average_count(layer)
        if n & (n - 1):
            return LayerVerdict(
                layer.name,
                cls,
                "refused",
                f"the mean over {n} values is not on a fixed-point grid and the firmware's division "
                "truncates: use a power-of-two window (2, 4, 2x2, 4x4, ...)",
            )
    for key in _QUANTIZER_KEYS:
        if key not in cfg or (key == "activation" and not cls.startswith("Q")):
            continue
        qobj = _quantizer(cfg[key])
        if qobj is not None:
            problem = _quantizer_problem(key, qobj, chained)
            if problem:
                return LayerVerdict(layer.name, cls, "refused", problem)
    act = table_function(layer)
    if act is not None:
        if not last:
            return LayerVerdict(
                layer.name,
                cls,
                "refused",
                f"{act} is a table approximation in firmware; inside the network it cannot equal "
                "the float function: use it as the last layer, or quantized_relu/quantized_bits",
            )
        return LayerVerdict(
            layer.name,
            cls,
            "table",
            f"{act} table: exact up to its input, then equal to the "
            "emulated hls4ml table (--no-softmax builds the logits)",
            act,
        )
    act = cfg.get("activation") if cls in ("Activation", "Dense", "Conv1D", "Conv2D") else None
    if act not in (None, "linear", "relu"):
        return LayerVerdict(
            layer.name,
            cls,
            "refused",
            f"activation '{act}' is not in the verified set (linear, relu; softmax/sigmoid/tanh as the last layer)",
        )
    return LayerVerdict(layer.name, cls, "exact", entry.note)


def _average_count(layer) -> int:
    """How many values one output of an average pooling layer averages."""
    import numpy as np

    if type(layer).__name__.startswith("Global"):
        return int(np.prod(layer.input_shape[1:-1]))
    return int(np.prod(layer.get_config()["pool_size"]))


def verdicts(model, io_type: str = "io_parallel") -> list[LayerVerdict]:
    """One verdict per layer of a flat model (see :func:`fpga_nn.convert.graph.normalize`)."""
    from .thresholds import threshold_chains

    last, chained = model.layers[-1].name, threshold_chains(model)
    return [layer_verdict(layer, io_type, layer.name == last, layer.name in chained) for layer in model.layers]


def io_type_for(model) -> tuple[str, str | None]:
    """The io type a model's layers allow: io_parallel, or io_stream and why when a layer has an hls4ml
    implementation for io_stream only (depthwise and separable convolutions, resizes)."""
    for layer in model.layers:
        entry = LAYERS.get(type(layer).__name__)
        if entry is not None and entry.verdict != "refused" and "io_parallel" not in entry.io_types:
            return "io_stream", f"layer '{layer.name}' ({type(layer).__name__}) exists for io_stream only in hls4ml"
    return "io_parallel", None


def check_supported(model, io_type: str = "io_parallel") -> list[LayerVerdict]:
    """Raise naming the first refused layer, its type and the reason; else return the verdicts."""
    result = verdicts(model, io_type)
    for v in result:
        if v.verdict == "refused":
            raise UnsupportedModelError(f"layer '{v.name}' ({v.cls}) is refused: {v.reason}")
    return result


def quantizer_type(qobj):
    """The fixed-point type whose RND_CONV/SAT cast equals the QKeras quantizer (None: leave it to hls4ml).

    QKeras rounds with ``tf.round`` (half to even: RND_CONV) and clips (SAT). ``quantized_bits`` keeps
    ``integer`` bits beside the sign (``keep_negative=False``: no sign bit); ``symmetric`` drops the most
    negative code (SAT_SYM). hls4ml's own inference ignores keep_negative and symmetric.
    """
    from ..fixed import FixedType

    name = type(qobj).__name__
    if not hasattr(qobj, "get_config") or name not in (
        "quantized_bits",
        "quantized_relu",
        "quantized_tanh",
        "quantized_sigmoid",
    ):
        return None
    cfg = qobj.get_config()
    bits, integer = int(cfg["bits"]), int(cfg.get("integer", 0))
    if name == "quantized_tanh":  # round(clip(x, -1, 1) * 2^(bits-1)) / 2^(bits-1), clipped to [-1, 1)
        return FixedType(True, bits, 1, "RND_CONV", "SAT_SYM" if cfg.get("symmetric") else "SAT")
    if name == "quantized_sigmoid":  # round(clip(x/2 + 1/2, 0, 1) * 2^bits) / 2^bits, clipped to [0, 1)
        return FixedType(False, bits, 0, "RND_CONV", "SAT")
    if name == "quantized_relu":
        if cfg.get("negative_slope"):
            return None
        return FixedType(False, bits, integer, "RND_CONV", "SAT")
    if cfg.get("alpha") not in (None, 1, 1.0):
        return None
    if not cfg.get("keep_negative", True):
        return FixedType(False, bits, integer, "RND_CONV", "SAT")
    return FixedType(True, bits, integer + 1, "RND_CONV", "SAT_SYM" if cfg.get("symmetric") else "SAT")


def activation_quantizer(layer):
    """The quantizer object a QActivation (or a Q-layer's ``activation=``) applies, or None."""
    key = "activation"
    cfg = layer.get_config()
    if key not in cfg or not type(layer).__name__.startswith("Q"):
        return None
    return _quantizer(cfg[key])
