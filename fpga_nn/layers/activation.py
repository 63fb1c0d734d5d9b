"""Activations: linear, ReLU and the QKeras quantizers (exact), and the table activations softmax,
sigmoid, tanh (exact up to their input; accepted as the last layer, docs/byom.md's softmax contract).
The QKeras quantizers themselves are judged by ``convert.support.QUANTIZERS``."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="activation",
    keras={
        "Activation": Support(
            "exact", BOTH, "linear and relu exact; softmax, sigmoid, tanh are tables (last layer only)"
        ),
        "ReLU": Support("exact", BOTH),
        "QActivation": Support("exact", BOTH, "see the quantizer table"),
        "Softmax": Support("table", BOTH, "last layer only"),
    },
    hls4ml={
        "Activation": "emu_tables:activation",
        "Softmax": "emu_tables:softmax",
        "BatchNormalizationQuantizedTanh": "emu_tables:ternary_threshold",
        "HardActivation": "emu_tables:hard_activation",
    },
    attrs=("activation", "table_size", "slope", "shift"),
)
