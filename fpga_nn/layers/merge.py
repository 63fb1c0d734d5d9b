"""Merge layers: element-wise Add/Subtract/Multiply/Average/Maximum/Minimum and Concatenate."""

from .base import BOTH, Family, Support

FAMILY = Family(
    name="merge",
    keras=dict.fromkeys(
        ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"),
        Support("exact", BOTH, "result type sized from the input types"),
    ),
    hls4ml={"Merge": "emulator:merge", "Concatenate": "emulator:concatenate"},
    attrs=("op", "axis"),
    multi_input=frozenset({"Merge", "Concatenate"}),
)
