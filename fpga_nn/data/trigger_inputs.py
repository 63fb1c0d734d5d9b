"""Level-1 trigger inputs: five unsigned 8-bit integers, as the firmware receives them.

A level-1 system has calibrated lepton and photon transverse momenta from its calorimeter
and muon trigger primitives, and (Phase-2 correlator style) can form invariant masses and
vector sums of those objects. It has none of the offline angles or resolution estimates.
We therefore use, each as ``code = clip(floor((x - offset) / lsb), 0, 255)``:

=============  ==========  =======  ====================================================
input          LSB (GeV)   offset   why
=============  ==========  =======  ====================================================
lep1_pt        0.5         0        the Z -> ll leptons are harder in H decays
lep2_pt        0.5         0
photon_pt      0.5         0        the photon recoils against the Z in the H rest frame
m_llg          0.5         100      the resonance itself: 100 GeV + 0.5 GeV * code
pt_t           0.5         0        ISR-recoil of the system, large for gg -> H
=============  ==========  =======  ====================================================

0.5 GeV is the pT LSB of the CMS Phase-2 level-1 objects. Values beyond 127.5 GeV (227.5
for m_llg) saturate at 255, as hardware counters do. The network sees ``code / 256``, an
``ap_ufixed<8,0>`` that holds every code exactly.

This is the trigger net's declared preprocessing (:data:`PREPROCESSING`, see
:mod:`fpga_nn.data.preprocess`): bus coding as above, then ``(v - offset) / 128`` in the firmware,
which the input stage implements as wires (the code is the input's raw bits).
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from .preprocess import Preprocessing, from_dict


class InputEncoding(NamedTuple):
    name: str
    lsb: float
    offset: float
    bits: int = 8


ENCODING = (
    InputEncoding("lep1_pt", 0.5, 0.0),
    InputEncoding("lep2_pt", 0.5, 0.0),
    InputEncoding("photon_pt", 0.5, 0.0),
    InputEncoding("m_llg", 0.5, 100.0),
    InputEncoding("pt_t", 0.5, 0.0),
)
NAMES = tuple(e.name for e in ENCODING)
INPUT_SCALE = 1.0 / 256  # network input = code * INPUT_SCALE, exactly an ap_ufixed<8,0>


PREPROCESSING: Preprocessing = from_dict(
    {
        "input_type": "ap_ufixed<8,0>",
        "features": [
            {
                "name": e.name,
                "unit": "GeV",
                "bus": {"bits": e.bits, "lsb": e.lsb, "offset": e.offset},
                "transform": [{"op": "affine", "offset": e.offset, "scale": INPUT_SCALE / e.lsb}],
            }
            for e in ENCODING
        ],
    },
    "the trigger inputs",
)


def raw(features: dict[str, np.ndarray]) -> np.ndarray:
    """The (N, 5) physics values in GeV, in input order."""
    return np.stack([np.asarray(features[name], dtype=np.float64) for name in NAMES], axis=1)


def encode(features: dict[str, np.ndarray]) -> np.ndarray:
    """Quantize physics features to the (N, 5) uint8 codes the trigger hardware receives."""
    return PREPROCESSING.encode(raw(features)).astype(np.uint8)


def to_network(codes: np.ndarray) -> np.ndarray:
    """Bus codes -> float32 network inputs, through the declared input stage (``code / 256``)."""
    return PREPROCESSING.stage(codes)


def encoding_json() -> str:
    return json.dumps([e._asdict() for e in ENCODING])
