"""What one layer family declares: the Keras classes it accepts and their verdicts, the hls4ml classes it
becomes, the attributes the emulation record keeps of them, the emulator steps that run them, and the
Keras classes whose result type hls4ml's passes set. :mod:`fpga_nn.layers` collects the families;
the checker (``convert.support.LAYERS``), the hls4ml configuration, the emulation record and the
emulator read its views, so adding a family is one file here plus one line in its registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Verdict = Literal["exact", "table", "refused"]
BOTH = ("io_parallel", "io_stream")
STREAM = ("io_stream",)


class Support(NamedTuple):
    verdict: Verdict  # exact | table | refused
    io_types: tuple[str, ...] = BOTH
    note: str = ""


@dataclass(frozen=True)
class Family:
    """One layer family. ``hls4ml`` maps each hls4ml class to its emulator step as ``"module:function"``
    under ``fpga_nn.verify`` (None: the class moves values only and needs no step, e.g. Reshape)."""

    name: str
    keras: Mapping[str, Support]
    hls4ml: Mapping[str, str | None] = field(default_factory=dict)
    attrs: tuple[str, ...] = ()
    auto_result: frozenset[str] = frozenset()
    multi_input: frozenset[str] = frozenset()
