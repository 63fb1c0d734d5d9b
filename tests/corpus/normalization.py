"""Corpus cases of the normalization family (``fpga_nn/layers/normalization.py``)."""

from __future__ import annotations

from . import Case, _dense_kernel


def cases() -> list[Case]:
    return [
        Case(
            "kernel_binary_bn",
            _dense_kernel("binary()", act="quantized_bits(8,3,alpha=1)", bn=True),
            (8,),
            "refused",
            "bn",
            "float scale and shift",
        ),
    ]
