"""The layer registry: one module per layer family (``dense``, ``conv``, ``depthwise``, ``pooling``,
``merge``, ``shape``, ``activation``, ``normalization``, ``embedding``, ``refused``), each declaring a :class:`Family`.

Everything that needs to know about layers reads a view of :data:`FAMILIES`: ``check`` and the build's
pre-check (:func:`keras_support`, as ``convert.support.LAYERS``), the hls4ml configuration
(:func:`auto_result_parents`), the emulation record (:func:`hls4ml_classes`, :func:`record_attrs`) and
the emulator (:func:`emulator_steps`, :func:`multi_input`). A new family is a new module here and one
line in :data:`FAMILIES`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

from . import activation, conv, dense, depthwise, embedding, merge, normalization, pooling, refused, shape
from .base import BOTH, STREAM, Family, Support

__all__ = ["BOTH", "STREAM", "FAMILIES", "Family", "Support"]

FAMILIES: tuple[Family, ...] = (
    dense.FAMILY,
    embedding.FAMILY,
    conv.FAMILY,
    depthwise.FAMILY,
    pooling.FAMILY,
    merge.FAMILY,
    shape.FAMILY,
    activation.FAMILY,
    normalization.FAMILY,
    refused.FAMILY,
)


def _union(what: str) -> dict:
    """The families' ``what`` mappings merged; a class two families claim is a registry error."""
    merged: dict = {}
    for family in FAMILIES:
        for key, value in getattr(family, what).items():
            if key in merged:
                raise RuntimeError(f"layer registry: {what} class {key!r} is declared by two families")
            merged[key] = value
    return merged


@functools.cache
def keras_support() -> dict[str, Support]:
    """Keras/QKeras class name -> its verdict, io types and note."""
    return _union("keras")


@functools.cache
def hls4ml_classes() -> frozenset[str]:
    """The hls4ml layer classes the emulation record and the emulator cover."""
    return frozenset(_union("hls4ml"))


@functools.cache
def record_attrs() -> tuple[str, ...]:
    """The hls4ml layer attributes the emulation record keeps (each family's, in registry order)."""
    return tuple(dict.fromkeys(a for family in FAMILIES for a in family.attrs))


@functools.cache
def auto_result_parents() -> frozenset[str]:
    """Keras classes whose result type hls4ml's passes set (a quantizer after them casts it)."""
    return frozenset().union(*(family.auto_result for family in FAMILIES))


@functools.cache
def multi_input() -> frozenset[str]:
    """hls4ml classes that take several inputs."""
    return frozenset().union(*(family.multi_input for family in FAMILIES))


@functools.cache
def emulator_steps() -> dict[str, Callable]:
    """hls4ml class -> the emulator function that runs it (classes that only move values have none)."""
    steps = {}
    for cls, ref in _union("hls4ml").items():
        if ref is not None:
            module, _, function = ref.partition(":")
            steps[cls] = getattr(importlib.import_module(f"fpga_nn.verify.{module}"), function)
    return steps


def markdown_table() -> str:
    """The supported-layers table of docs/byom.md, family by family (classes with the same verdict, io
    types and note share a row); ``python -m fpga_nn.layers`` prints it."""
    io = {BOTH: "both", STREAM: "io_stream"}
    verdict = {"exact": "exact", "table": "exact up to the table", "refused": "refused"}
    lines = ["| family | layers | io types | verdict | note |", "|---|---|---|---|---|"]
    for family in FAMILIES:
        rows: dict[Support, list[str]] = {}
        for cls, support in family.keras.items():
            rows.setdefault(support, []).append(cls)
        for support, classes in rows.items():
            io_text = "-" if support.verdict == "refused" else io[support.io_types]
            cells = [family.name, ", ".join(classes), io_text, verdict[support.verdict], support.note]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
