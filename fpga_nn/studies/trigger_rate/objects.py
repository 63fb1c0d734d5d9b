"""Level-1 objects of a bunch crossing: particles -> calorimeter towers -> e/gamma candidates, jets, muons.

The toy detector (``VERSION`` is part of every sample's fingerprint):

* Towers of 0.087 x 0.087 in eta x phi, |eta| < 2.5 (58 x 72), as CMS's level-1 calorimeter trigger.
  A particle lands in the tower of its direction from the origin. Charged particles below
  ``PT_CURL`` (0.7 GeV) curl up in the 3.8 T field before the calorimeter and deposit nothing.
* Photons and electrons deposit all their ET in the ECAL; hadrons a random fraction
  ``clip(N(0.35, 0.15), 0, 1)`` in the ECAL (showers start there) and the rest in the HCAL; muons
  and neutrinos nothing.
* Tower ET is smeared after the crossing's interactions are summed: ECAL ``10 %/sqrt(ET) + 1 %``,
  HCAL ``100 %/sqrt(ET) + 5 %``, then zero-suppressed below 0.25 GeV (ECAL) and 0.5 GeV (HCAL).
  No pile-up subtraction.
* e/gamma candidate: a local ECAL maximum (3 x 3) above 2 GeV; ET = ECAL 3 x 3 sum; kept when
  H/E (HCAL / ECAL in the 3 x 3) < 0.5; isolation = ECAL + HCAL in 7 x 7 minus the 3 x 3 core.
  Photons from pi0s in jets make most candidates in QCD crossings: the fakes a real trigger faces.
* Jet: a local maximum of ECAL + HCAL over a 9 x 9 window, above 5 GeV; ET = the 9 x 9 sum.
* Muon: every muon with pT > 2 GeV and |eta| < 2.4 (from heavy-flavour decays in QCD; pions and
  kaons decay outside this generator), pT smeared by 15 % (a level-1 muon track finder's resolution).

Each crossing keeps its ``N_KEEP`` hardest objects of each kind (zeros where fewer).
"""

from __future__ import annotations

import numpy as np

VERSION = 1
N_ETA, N_PHI, ETA_MAX = 58, 72, 2.5
N_TOWERS = N_ETA * N_PHI
D_ETA, D_PHI = 2 * ETA_MAX / N_ETA, 2 * np.pi / N_PHI
PT_CURL = 0.7
EM_STOCH, EM_CONST, HAD_STOCH, HAD_CONST = 0.10, 0.01, 1.0, 0.05
EM_ZS, HAD_ZS = 0.25, 0.5
EG_SEED, HOE_MAX, JET_SEED = 2.0, 0.5, 5.0
MUON_ETA, MUON_PT_MIN, MUON_RESOLUTION = 2.4, 2.0, 0.15
N_KEEP = 4
KINDS = {"eg": ("et", "eta", "phi", "hoe", "iso"), "jet": ("et", "eta", "phi"), "mu": ("pt", "eta", "phi")}
_EM_IDS = (11, 22)
_INVISIBLE = (12, 13, 14, 16)
_NEUTRAL_HADRONS = (130, 310, 2112, 3122, 3212, 3322, 111)


def _kinematics(px, py, pz):
    pt = np.hypot(px, py)
    eta = np.arcsinh(np.divide(pz, pt, out=np.zeros_like(pz), where=pt > 0))
    return pt, eta, np.arctan2(py, px)


def deposits(event, ids, px, py, pz, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Final-state particles of numbered interactions -> (interaction, tower, ECAL ET, HCAL ET) summed per
    interaction and tower, sorted by interaction."""
    pt, eta, phi = _kinematics(px, py, pz)
    a = np.abs(ids)
    charged = ~np.isin(a, (22, *_INVISIBLE, *_NEUTRAL_HADRONS))
    keep = (np.abs(eta) < ETA_MAX) & ~np.isin(a, _INVISIBLE) & (pt > 0) & ~(charged & (pt < PT_CURL))
    em_fraction = np.where(np.isin(a, _EM_IDS), 1.0, np.clip(rng.normal(0.35, 0.15, len(a)), 0, 1))
    key = (event.astype(np.int64) * N_TOWERS + _tower(eta, phi))[keep]
    idx, inverse = np.unique(key, return_inverse=True)
    ev, tower = np.divmod(idx, N_TOWERS)
    return (
        ev.astype(np.int32),
        tower.astype(np.int16),
        np.bincount(inverse, (pt * em_fraction)[keep], len(idx)).astype(np.float32),
        np.bincount(inverse, (pt * (1 - em_fraction))[keep], len(idx)).astype(np.float32),
    )


def muons(event, ids, px, py, pz, rng) -> tuple[np.ndarray, np.ndarray]:
    """(interaction, (n, 3) level-1 muons: pT smeared, eta, phi) of numbered interactions."""
    pt, eta, phi = _kinematics(px, py, pz)
    m = (np.abs(ids) == 13) & (pt > MUON_PT_MIN) & (np.abs(eta) < MUON_ETA)
    smeared = pt[m] * np.clip(1 + MUON_RESOLUTION * rng.standard_normal(int(m.sum())), 0.05, None)
    return event[m].astype(np.int32), np.stack([smeared, eta[m], phi[m]], axis=1).astype(np.float32)


def _tower(eta, phi):
    ie = np.clip(((eta + ETA_MAX) / D_ETA).astype(int), 0, N_ETA - 1)
    ip = ((phi + np.pi) / D_PHI).astype(int) % N_PHI
    return ie * N_PHI + ip


def tower_centres() -> tuple[np.ndarray, np.ndarray]:
    ie, ip = np.divmod(np.arange(N_TOWERS), N_PHI)
    return -ETA_MAX + (ie + 0.5) * D_ETA, -np.pi + (ip + 0.5) * D_PHI


def smear(em: np.ndarray, had: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Calorimeter resolution and zero suppression on summed (crossings, towers) ET maps."""

    def one(et, stoch, const, zs):
        sigma = np.sqrt(stoch**2 * et + (const * et) ** 2)
        out = np.clip(et + sigma * rng.standard_normal(et.shape).astype(np.float32), 0, None)
        return np.where(out >= zs, out, 0).astype(np.float32)

    return one(em, EM_STOCH, EM_CONST, EM_ZS), one(had, HAD_STOCH, HAD_CONST, HAD_ZS)


def _window(maps: np.ndarray, size: int, op) -> np.ndarray:
    """``op`` (sum or max) over size x size windows of (n, eta, phi) maps; phi wraps, eta ends."""
    from scipy import ndimage

    if op == "max":
        return ndimage.maximum_filter(maps, size=(1, size, size), mode=("constant", "constant", "wrap"))
    return ndimage.uniform_filter(maps, size=(1, size, size), mode=("constant", "constant", "wrap")) * size * size


def _hardest(value: np.ndarray, seed: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    """(n, N_KEEP, len(columns)): the N_KEEP seeds of largest ``value`` per crossing, zeros where fewer."""
    n = value.shape[0]
    flat = np.where(seed, value, -1).reshape(n, -1)
    order = np.argsort(-flat, axis=1, kind="stable")[:, :N_KEEP]
    found = np.take_along_axis(flat, order, axis=1) > 0
    out = np.stack([np.take_along_axis(c.reshape(n, -1), order, axis=1) for c in columns], axis=2)
    return np.where(found[:, :, None], out, 0).astype(np.float32)


def calo_objects(em: np.ndarray, had: np.ndarray) -> dict[str, np.ndarray]:
    """e/gamma candidates and jets of (n, N_TOWERS) smeared ET maps: {'eg': (n, 4, 5), 'jet': (n, 4, 3)}."""
    n = em.shape[0]
    em3, had3 = em.reshape(n, N_ETA, N_PHI), had.reshape(n, N_ETA, N_PHI)
    eta, phi = (np.broadcast_to(c.reshape(1, N_ETA, N_PHI), em3.shape) for c in tower_centres())
    em_core = _window(em3, 3, "sum")
    had_core = _window(had3, 3, "sum")
    total = em3 + had3
    iso = np.clip(_window(total, 7, "sum") - em_core - had_core, 0, None)
    hoe = had_core / np.maximum(em_core, 1e-6)
    eg_seed = (em3 >= _window(em3, 3, "max")) & (em3 > EG_SEED) & (hoe < HOE_MAX)
    jet_sum = _window(total, 9, "sum")
    jet_seed = (total >= _window(total, 9, "max")) & (total > 0) & (jet_sum > JET_SEED)
    return {
        "eg": _hardest(em_core, eg_seed, [em_core, eta, phi, hoe, iso]),
        "jet": _hardest(jet_sum, jet_seed, [jet_sum, eta, phi]),
    }


def hardest_muons(crossing: np.ndarray, mu: np.ndarray, n: int) -> np.ndarray:
    """(n, N_KEEP, 3): each crossing's hardest muons from (k,) crossing numbers and (k, 3) muons."""
    order = np.lexsort((-mu[:, 0], crossing))
    crossing, mu = crossing[order], mu[order]
    first = np.searchsorted(crossing, crossing)
    rank = np.arange(len(crossing)) - first
    keep = rank < N_KEEP
    out = np.zeros((n, N_KEEP, 3), np.float32)
    out[crossing[keep], rank[keep]] = mu[keep]
    return out
