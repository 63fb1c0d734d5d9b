"""A documented Gaussian detector model for leptons and photons.

The resolution figures are typical of an LHC general-purpose detector (CMS-like):

* electrons and photons (ECAL):  sigma(E)/E = 5 % / sqrt(E/GeV)  (+)  0.7 %
* muons (tracker + muon system): sigma(pT)/pT = 1 %  (+)  0.02 % * pT/GeV

(+) is a sum in quadrature. Directions are not smeared: the tracker and calorimeter
granularity (~0.02 in eta/phi) is far below what the features below are sensitive to.
The smearing scales the whole four-momentum of a (massless) object by ``1 + r * N(0, 1)``.
"""

from __future__ import annotations

import numpy as np

ECAL_STOCHASTIC = 0.05
ECAL_CONSTANT = 0.007
MUON_CONSTANT = 0.01
MUON_SLOPE_PER_GEV = 0.0002


def relative_resolution(pdg_id: np.ndarray, energy: np.ndarray, pt: np.ndarray) -> np.ndarray:
    """Relative energy (or pT) resolution of each object, by type (11 electron, 13 muon, 22 photon)."""
    absid = np.abs(pdg_id)
    ecal = np.hypot(ECAL_STOCHASTIC / np.sqrt(np.maximum(energy, 1e-6)), ECAL_CONSTANT)
    muon = np.hypot(MUON_CONSTANT, MUON_SLOPE_PER_GEV * pt)
    return np.where(absid == 13, muon, ecal)


def smear_factors(resolution: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative smearing factors, kept positive."""
    return np.maximum(1.0 + resolution * rng.standard_normal(resolution.shape), 0.01)
