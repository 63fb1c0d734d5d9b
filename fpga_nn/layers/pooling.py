"""Pooling: max and average, windowed and global."""

from .base import BOTH, Family, Support

_AVG = "exact when the window mean lands on the result type's grid (power-of-two windows)"
FAMILY = Family(
    name="pooling",
    keras={
        "MaxPooling1D": Support("exact", BOTH),
        "MaxPooling2D": Support("exact", BOTH),
        "AveragePooling1D": Support("exact", BOTH, _AVG),
        "AveragePooling2D": Support("exact", BOTH, _AVG),
        "GlobalMaxPooling1D": Support("exact", BOTH),
        "GlobalMaxPooling2D": Support("exact", BOTH),
        "GlobalAveragePooling1D": Support("exact", BOTH, "exact for power-of-two sizes"),
        "GlobalAveragePooling2D": Support("exact", BOTH, "exact for power-of-two sizes"),
    },
    hls4ml={
        "Pooling1D": "emu_window:pooling",
        "Pooling2D": "emu_window:pooling",
        "GlobalPooling1D": "emu_window:global_pooling",
        "GlobalPooling2D": "emu_window:global_pooling",
    },
    attrs=("pool_width", "pool_height", "pool_op", "count_pad"),
)
