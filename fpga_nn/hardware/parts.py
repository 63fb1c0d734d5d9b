"""Xilinx part names: validation, and the capacity of common parts for utilization figures."""

from __future__ import annotations

import logging
import re
from typing import NamedTuple

from ..errors import UserInputError

log = logging.getLogger(__name__)

# UltraScale(+), Alveo, Zynq MPSoC/RFSoC, Versal:  xc<device>-<package><pins>-<speed>-<temperature>
# (Versal speed grades carry a voltage, '-2MP-e', and engineering samples a suffix, '-S' or '-ES1')
_MODERN = re.compile(
    r"^xc(?P<device>[a-z]{1,4}\d{1,4}[a-z]{0,3})-(?P<package>[a-z]{3,5}\d{3,4})"
    r"-(?P<speed>\d{1,2}[a-z]{0,3})-(?P<temperature>[ceimq])(?:-(?P<suffix>[a-z]{1,2}\d?))?$",
    re.IGNORECASE,
)
# 7-series (Artix, Kintex, Virtex, Zynq-7000, Spartan-7):  xc7<family><size>[t]<package><pins>-<speed>[temp]
_SEVEN = re.compile(
    r"^xc(?P<device>7[azksv]x?\d{2,4}t?)(?P<package>[a-z]{2,4}\d{3,4})"
    r"-(?P<speed>\d{1,2}[a-z]{0,2})(?P<temperature>[ciq]?)$",
    re.IGNORECASE,
)

DEFAULT_PART = "xcvu13p-flga2577-2-e"  # the part of every default job (Virtex UltraScale+ VU13P, CMS/ATLAS L1)

EXPECTED_FORM = (
    "expected a Xilinx part such as xcvu13p-flga2577-2-e, xcku115-flvb2104-2-i, xcu250-figd2104-2L-e "
    "(xc<device>-<package>-<speed>-<temperature>), xcvc1902-vsva2197-2MP-e-S (Versal) or xc7z020clg400-1 "
    "(7-series: xc7<device><package>-<speed>)"
)


class Capacity(NamedTuple):
    """Resources of a device: 6-input LUTs, flip-flops, DSP slices, 36 Kb block RAMs, UltraRAMs."""

    family: str
    lut: int
    ff: int
    dsp: int
    bram_36k: int
    uram: int = 0


# From the vendor product tables (device-level totals).
CAPACITY: dict[str, Capacity] = {
    "vu13p": Capacity("virtexuplus", 1_728_000, 3_456_000, 12_288, 2_688, 1_280),
    "vu9p": Capacity("virtexuplus", 1_182_240, 2_364_480, 6_840, 2_160, 960),
    "u250": Capacity("virtexuplus", 1_728_000, 3_456_000, 12_288, 2_688, 1_280),
    "u200": Capacity("virtexuplus", 1_182_240, 2_364_480, 6_840, 2_160, 960),
    "u50": Capacity("virtexuplus", 872_000, 1_743_000, 5_952, 1_344, 640),
    "ku115": Capacity("kintexu", 663_360, 1_326_720, 5_520, 2_160),
    "ku15p": Capacity("kintexuplus", 522_720, 1_045_440, 1_968, 984, 128),
    "zu9eg": Capacity("zynquplus", 274_080, 548_160, 2_520, 912),
    "7z020": Capacity("zynq7", 53_200, 106_400, 220, 140),
    "7a100t": Capacity("artix7", 63_400, 126_800, 240, 135),
    "7k325t": Capacity("kintex7", 203_800, 407_600, 840, 445),
    "7vx690t": Capacity("virtex7", 433_200, 866_400, 3_600, 1_470),
}


class Part(NamedTuple):
    name: str
    device: str
    package: str
    speed: str
    temperature: str

    @property
    def capacity(self) -> Capacity | None:
        return CAPACITY.get(self.device)


def parse_part(name: str) -> Part:
    """Validate a part name before any work is done; unknown-but-well-formed parts only warn."""
    text = name.strip()
    m = _MODERN.match(text) or _SEVEN.match(text)
    if m is None:
        raise UserInputError(f"malformed FPGA part '{name}': {EXPECTED_FORM}")
    part = Part(text, m["device"].lower(), m["package"].lower(), m["speed"], m["temperature"].lower())
    if part.capacity is None:
        log.warning("part %s is well formed but not in fpga-nn's capacity table: utilization %% will be omitted", text)
    return part
