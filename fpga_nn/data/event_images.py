"""Whole-event images of seed 003: muons, jets and missing ET on three channels in eta-phi.

Processes (Pythia 8, 13 TeV, MPI off for speed), one class each:

* ``drell_yan``: q qbar -> Z/gamma* -> mu mu, mHat > 60 GeV (``WeakSingleBoson:ffbar2gmZ``);
* ``ttbar``: gg/qqbar -> t tbar, W -> mu nu or quarks (``Top:gg2ttbar``, ``Top:qqbar2ttbar``);
* ``w_jets``: W + parton, W -> mu nu (``WeakBosonAndParton:qqbar2Wg``, ``qg2Wq``), pTHat > 20 GeV.

Objects: muons with pT > 10 GeV, |eta| < 2.4 (pT smeared 1 % + 0.02 % x pT/GeV); jets anti-kt
R = 0.4 (FastJet) on the visible final state without muons and neutrinos, pT > 25 GeV,
|eta| < 2.5, not within dR < 0.4 of a muon; missing ET = the neutrinos' transverse momentum plus a
Gaussian 8 GeV per component. Selected: at least one muon with pT > 20 GeV.

Image: ``size x size`` pixels over eta in [-2.5, 2.5] x phi in [-pi, pi); each object a filled
disc of radius ``alpha ln(pT / GeV)`` pixels (seed 003's ``R = alpha ln pT``; alpha = 0.6) centred
on its (eta, phi) -- missing ET on the eta = 0 row -- in its channel (0 muons, 1 jets, 2 MET),
value 1 where any disc covers the pixel: binary images, exact on any fixed-point input.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from .samples import ChunkedConfig

CLASSES = ("drell_yan", "ttbar", "w_jets")
CHANNELS = ("muons", "jets", "met")
_COMMON = ("Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "PartonLevel:MPI = off")
_SETTINGS = {
    "drell_yan": ("WeakSingleBoson:ffbar2gmZ = on", "23:onMode = off", "23:onIfAny = 13", "PhaseSpace:mHatMin = 60."),
    "ttbar": ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", "24:onMode = off", "24:onIfAny = 1 2 3 4 5 13"),
    "w_jets": (
        "WeakBosonAndParton:qqbar2Wg = on",
        "WeakBosonAndParton:qg2Wq = on",
        "24:onMode = off",
        "24:onIfAny = 13",
        "PhaseSpace:pTHatMin = 20.",
    ),
}
VERSION = 1  # bump when objects, selection or drawing change (part of the fingerprint)
ETA_MAX = 2.5


@dataclasses.dataclass(frozen=True)
class EventImageConfig(ChunkedConfig):
    processes = CLASSES
    chunk_stride = 60_000

    # generated per process (drell_yan, ttbar, w_jets): about 70 %, 24 % and 56 % pass the selection
    n_events: tuple[int, int, int] = (6_000, 18_000, 7_500)
    seed: int = 2028
    chunk_size: int = 1_000
    size: int = 32
    alpha: float = 0.6

    def __post_init__(self):
        if len(self.n_events) != len(CLASSES) or self.size < 8:
            raise UserInputError(f"n_events needs one count per class ({', '.join(CLASSES)}) and size >= 8")
        self.check(self.n_events)

    def events_of(self, process: str) -> int:
        return self.n_events[CLASSES.index(process)]

    def fingerprint_extra(self) -> dict:
        from importlib.metadata import version

        return {
            "fastjet": version("fastjet"),
            "settings": {p: _COMMON + _SETTINGS[p] for p in CLASSES},
            "version": VERSION,
        }


def draw(objects: list[tuple[int, float, float, float]], size: int, alpha: float) -> np.ndarray:
    """(channel, eta, phi, pT) objects -> a binary (size, size, 3) image of discs."""
    img = np.zeros((size, size, len(CHANNELS)), np.uint8)
    centres = (np.arange(size) + 0.5) / size
    eta_px = -ETA_MAX + centres * 2 * ETA_MAX
    phi_px = -np.pi + centres * 2 * np.pi
    scale = np.array([2 * ETA_MAX / size, 2 * np.pi / size])
    for channel, eta, phi, pt in objects:
        radius = max(alpha * np.log(max(pt, 1.0)), 0.5)
        de = (eta_px[:, None] - eta) / scale[0]
        dp = ((phi_px[None, :] - phi + np.pi) % (2 * np.pi) - np.pi) / scale[1]
        img[:, :, channel] |= (de**2 + dp**2 <= radius**2).astype(np.uint8)
    return img


def generate_chunk(config: EventImageConfig, process: str, chunk: int) -> tuple[dict[str, np.ndarray], int]:
    import awkward as ak
    import fastjet

    from .pythia import new_pythia

    seed = config.chunk_seed(process, chunk)
    rng = np.random.default_rng(seed)
    n = min(config.chunk_size, config.events_of(process) - chunk * config.chunk_size)
    batch = new_pythia(_COMMON + _SETTINGS[process], seed, process).nextBatch(n)
    prt = batch["prt"]
    absid = abs(prt["id"])
    mom = prt["p"]
    px, py, pz, e = (mom[c] for c in ("px", "py", "pz", "e"))
    pt = np.sqrt(px**2 + py**2)
    eta = np.arcsinh(pz / np.maximum(pt, 1e-9))
    phi = np.arctan2(py, px)
    final = prt["status"] > 0
    nu = final & ((absid == 12) | (absid == 14) | (absid == 16))
    mu = final & (absid == 13) & (pt > 10) & (abs(eta) < 2.4)
    visible = final & ~nu & (absid != 13) & (abs(eta) < 4.7)
    jets = fastjet.ClusterSequence(
        ak.zip({"px": px[visible], "py": py[visible], "pz": pz[visible], "E": e[visible]}),
        fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4),
    ).inclusive_jets(min_pt=25.0)
    met_x = ak.to_numpy(ak.sum(px[nu], axis=1)) + rng.normal(0, 8.0, n)
    met_y = ak.to_numpy(ak.sum(py[nu], axis=1)) + rng.normal(0, 8.0, n)
    mu_pt, mu_eta, mu_phi = (ak.to_list(a[mu]) for a in (pt, eta, phi))
    images, n_mu, n_jets, met = [], [], [], []
    for k in range(n):
        m_pt = np.asarray(mu_pt[k]) * (
            1 + rng.normal(0, 1, len(mu_pt[k])) * np.hypot(0.01, 2e-4 * np.asarray(mu_pt[k]))
        )
        if not len(m_pt) or m_pt.max() <= 20:
            continue
        objects = [(0, mu_eta[k][i], mu_phi[k][i], m_pt[i]) for i in range(len(m_pt))]
        jk = jets[k]
        jpx, jpy, jpz = (ak.to_numpy(jk[c]) for c in ("px", "py", "pz"))
        jpt = np.hypot(jpx, jpy)
        jeta, jphi = np.arcsinh(jpz / np.maximum(jpt, 1e-9)), np.arctan2(jpy, jpx)
        n_j = 0
        for j in range(len(jpt)):
            dphi = (np.asarray(mu_phi[k]) - jphi[j] + np.pi) % (2 * np.pi) - np.pi
            if abs(jeta[j]) < ETA_MAX and not np.any(np.hypot(np.asarray(mu_eta[k]) - jeta[j], dphi) < 0.4):
                objects.append((1, jeta[j], jphi[j], jpt[j]))
                n_j += 1
        met_k = float(np.hypot(met_x[k], met_y[k]))
        objects.append((2, 0.0, float(np.arctan2(met_y[k], met_x[k])), met_k))
        images.append(draw(objects, config.size, config.alpha))
        n_mu.append(len(m_pt))
        n_jets.append(n_j)
        met.append(met_k)
    out = {
        "images": np.stack(images) if images else np.zeros((0, config.size, config.size, 3), np.uint8),
        "n_muons": np.asarray(n_mu, np.int16),
        "n_jets": np.asarray(n_jets, np.int16),
        "met": np.asarray(met, np.float32),
    }
    out["label"] = np.full(len(images), CLASSES.index(process), np.int8)
    return out, n


def generate(config, workers: int | None = None, progress: bool = True) -> dict:
    from . import samples

    data, n_gen, parts = samples.run(
        generate_chunk,
        config,
        CLASSES,
        config.n_chunks,
        config.total_events(),
        "pythia8 event images",
        workers,
        progress,
    )
    return {"arrays": data, "n_generated": n_gen, "config": config}


def save(result: dict, path: Path) -> Path:
    from . import samples

    return samples.save_result(
        result,
        path,
        lambda name: name == "images",
        classes=json.dumps(CLASSES),
    )


def load(path: Path) -> dict:
    from . import samples

    return samples.load(path)


def cached(config: EventImageConfig, path: Path, workers: int | None = None) -> Path:
    from .h5cache import cached as cached_file

    return cached_file(path, config.fingerprint(), lambda p: save(generate(config, workers), p), "event images")[0]
