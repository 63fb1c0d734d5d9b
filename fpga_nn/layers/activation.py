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

SOFTMAX_TABLE_KEYS = (
    "exp_table",
    "inv_table",
    "inv_inp",
    "accum",
)  # hls4ml's softmax types that --softmax-table-type sets


def set_softmax_tables(layer_configs: dict, size: int | None, table_type: str | None) -> list[str]:
    """Give every softmax in hls4ml's per-layer configuration (``config['LayerName']``) ``size`` table entries
    (``TableSize``: the exp and the 1/x table) and ``table_type`` (hls4ml spelling) for its tables and its
    sum; returns the names of the softmax layers changed. hls4ml still caps the exp table at 2^(input width
    - 1) entries, where every input step has its own entry."""
    changed = []
    for name, cfg in layer_configs.items():
        precision = cfg.get("Precision")
        if not (isinstance(precision, dict) and "exp_table" in precision):
            continue
        if size is not None:
            cfg["TableSize"] = int(size)
        if table_type is not None:
            precision.update(dict.fromkeys(SOFTMAX_TABLE_KEYS, table_type))
        changed.append(name)
    return changed
