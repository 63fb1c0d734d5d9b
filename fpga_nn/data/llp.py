"""Per-jet samples of the 3-class long-lived-particle tagger (seed 000): LLP signal, multijet, BIB.

Processes (13 TeV, Pythia 8 via pythia8mc, multi-parton interactions on), each seen through the
level-1 calorimeter and track-trigger toy of :mod:`fpga_nn.data.calo`:

* **signal**: gg -> Phi (m = 400 GeV) -> s s, s -> b bbar, m_s = 50 GeV, c tau_s = 500 mm (the ATLAS
  CalRatio benchmark family). Pythia decays s in place; its proper decay time (``tau``, stored by
  Pythia) places the decay vertex at ``tau * p / m`` and every descendant of s is moved there (the
  vertex displacement that Belle II and ATLAS apply the same way), arriving ``tau * E / m`` late.
  A jet is signal when it lies within dR < 0.4 of an s that decayed between the end of the level-1
  tracker and the back of the HCAL (depth 0.853 <= lam < 2.287, see calo).
* **multijet**: ``HardQCD:all`` with pTHat > 40 GeV; the two hardest level-1 jets.
* **beam-induced background (BIB)**: a beam-halo muon travelling parallel to the beam (either
  direction) at radius r ~ U(1290, 2950) mm, at azimuth near the horizontal plane (70 %, Gaussian
  0.15 rad around phi = 0 or pi) or uniform; 1 + Poisson(0.5) radiative losses with E ~ E^-2 between
  20 and 3000 GeV, each showering along z (EM in the ECAL, hadronic-like in the HCAL: 250 or 800 mm
  long) in one phi column. A muon moving along +z with the bunch reaches z at t = z / c, so its
  deposits are early by ``(s z - sqrt(r^2 + z^2)) / c``. The halo muon is overlaid on a
  minimum-bias collision (``SoftQCD:nonDiffractive``) that supplies tracks and soft energy; the
  hardest level-1 jet is the BIB jet.

Jets: level-1 9x9 tower jets with ET > ``et_min`` (40 GeV) and |eta| < 2.4. Stored per jet: the
features of ``calo.FEATURES``, phi, the class label (0 signal, 1 multijet, 2 BIB), the s decay depth
(signal jets), and the jet's towers above 0.5 GeV as a ragged (awkward) list.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from . import calo
from .samples import ChunkedConfig

CLASSES = ("signal", "multijet", "bib")
PROCESSES = CLASSES
_COMMON = ("Beams:eCM = 13000.", "Print:quiet = on", "Next:numberCount = 0", "PartonLevel:MPI = on")
_SETTINGS = {
    "signal": (
        "HiggsSM:gg2H = on",
        "25:m0 = 400",
        "25:onMode = off",
        "25:addChannel = 1 1.0 100 35 35",
        "35:m0 = 50",
        "35:mWidth = 0",
        "35:tau0 = 500",
        "35:onMode = off",
        "35:onIfAny = 5",
        "ParticleDecays:limitTau0 = off",
    ),
    "multijet": ("HardQCD:all = on", "PhaseSpace:pTHatMin = 40."),
    "bib": ("SoftQCD:nonDiffractive = on",),
}
LLP_ID = 35
MODEL_VERSION = 1  # bump when the signal, BIB or jet definitions change (part of the fingerprint)
CHARGED = frozenset({11, 13, 211, 321, 2212, 3112, 3222, 3312, 3334, 411, 431, 521, 4122})


@dataclasses.dataclass(frozen=True)
class LlpConfig(ChunkedConfig):
    processes = PROCESSES
    chunk_stride = 60_000

    n_signal: int = 12_000  # generated events per process
    n_multijet: int = 12_000
    n_bib: int = 30_000
    seed: int = 2027
    chunk_size: int = 1_000
    et_min: float = 40.0
    eta_max: float = 2.4

    def __post_init__(self):
        self.check((self.n_signal, self.n_multijet, self.n_bib))

    def events_of(self, process: str) -> int:
        return {"signal": self.n_signal, "multijet": self.n_multijet, "bib": self.n_bib}[process]

    def fingerprint_extra(self) -> dict:
        return {
            "settings": {p: _COMMON + _SETTINGS[p] for p in PROCESSES},
            "calo": calo.VERSION,
            "model": MODEL_VERSION,
        }


def _flat(batch):
    """Flat particle arrays of a Pythia batch with global indices (event offsets added)."""
    import awkward as ak

    prt = batch["prt"]
    counts = ak.to_numpy(ak.num(prt["id"]))
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]])
    event = np.repeat(np.arange(len(counts)), counts)

    def col(a):
        return ak.to_numpy(ak.fill_none(ak.flatten(a), 0.0))

    f = {
        "event": event,
        "id": col(prt["id"]).astype(int),
        "status": col(prt["status"]).astype(int),
        "mother1": col(prt["mother1"]).astype(int) + offset[event],
        "mom": np.stack([col(prt["p"][c]) for c in ("px", "py", "pz", "e")], axis=1),
        "m": col(prt["m"]),
        "tau": col(prt["tau"]),
        "vprod": np.stack([col(prt["vProd"][c]) for c in ("px", "py", "pz", "e")], axis=1),
        "offset": offset,
    }
    return f, len(counts)


def _llp_ancestor(f) -> np.ndarray:
    """Global index of the long-lived s each particle descends from, -1 for none."""
    anc = np.full(len(f["id"]), -1)
    cur = f["mother1"].copy()
    first = f["offset"][f["event"]]
    live = cur > first
    for _ in range(200):
        if not live.any():
            break
        hit = live & (f["id"][cur] == LLP_ID)
        anc[hit] = cur[hit]
        live &= ~hit
        cur = np.where(live, f["mother1"][cur], cur)
        live &= cur > first
    return anc


def _collision(f, rng):
    """Deposits and tracks of a Pythia batch, with the long-lived s displacement applied.

    Returns deposits, tracks, and the s records (event, eta, phi, decay depth)."""
    final = f["status"] > 0
    absid = np.abs(f["id"])
    anc = _llp_ancestor(f)
    is_s = (f["id"] == LLP_ID) & (f["tau"] > 0)
    # decay vertex and lab time of every s: tau (mm/c) x p / m and x E / m
    shift = np.zeros((len(f["id"]), 3))
    t0 = np.zeros(len(f["id"]))
    s_idx = np.flatnonzero(is_s)
    gamma_beta = f["mom"][s_idx, :3] / f["m"][s_idx, None]
    shift[s_idx] = f["tau"][s_idx, None] * gamma_beta
    t0[s_idx] = f["tau"][s_idx] * f["mom"][s_idx, 3] / f["m"][s_idx]
    has = anc >= 0
    vertex = f["vprod"][:, :3].copy()
    tv = f["vprod"][:, 3].copy()
    vertex[has] += shift[anc[has]]
    tv[has] += t0[anc[has]]
    kind = np.where((absid == 22) | (absid == 11), 0, np.where(np.isin(absid, (12, 13, 14, 16)), 2, 1))
    sel = final
    deposits = calo.particle_deposits(f["event"][sel], vertex[sel], tv[sel], f["mom"][sel], kind[sel], rng)
    pt = np.hypot(f["mom"][:, 0], f["mom"][:, 1])
    eta = np.arcsinh(f["mom"][:, 2] / np.maximum(pt, 1e-9))
    phi = np.arctan2(f["mom"][:, 1], f["mom"][:, 0])
    prompt = np.hypot(vertex[:, 0], vertex[:, 1]) < 10.0
    trk = final & np.isin(absid, list(CHARGED)) & (pt > 2.0) & (np.abs(eta) < 2.4) & prompt
    pu = calo.pileup_tracks(int(f["event"].max()) + 1 if len(f["event"]) else 0, rng)
    tracks = tuple(
        np.concatenate([a, b]) for a, b in zip((f["event"][trk], eta[trk], phi[trk], pt[trk]), pu, strict=True)
    )
    v = shift[s_idx]
    llps = (f["event"][s_idx], eta[s_idx], phi[s_idx], calo.depth(v[:, 0], v[:, 1], v[:, 2]))
    return deposits, tracks, llps


def _halo(n_events: int, rng):
    """Deposit rows of one beam-halo muon per event (see the module text)."""
    rows = []
    for ev in range(n_events):
        direction = rng.choice((-1.0, 1.0))
        r = rng.uniform(calo.R_ECAL, calo.LAM_OUT * calo.R_ECAL)
        phi = rng.normal(rng.choice((0.0, np.pi)), 0.15) if rng.uniform() < 0.7 else rng.uniform(-np.pi, np.pi)
        phi = (phi + np.pi) % (2 * np.pi) - np.pi
        for _ in range(1 + rng.poisson(0.5)):
            energy = 1 / (1 / 20.0 - rng.uniform() * (1 / 20.0 - 1 / 3000.0))
            z0 = rng.uniform(-calo.LAM_OUT * calo.Z_ECAL, calo.LAM_OUT * calo.Z_ECAL)
            lam = calo.depth(r, 0.0, z0)
            if lam >= calo.LAM_OUT:
                continue
            had = lam >= calo.LAM_HCAL
            length = 800.0 if had else 250.0
            k = np.arange(8) + 0.5
            w = k * np.exp(-k / 2)
            z = z0 + direction * k / 8 * length
            e = energy * w / w.sum()
            eta = np.arcsinh(z / r)
            dt = (direction * z - np.hypot(r, z)) / calo.C_MM_PER_NS
            rows.append((np.full(8, ev), eta, np.full(8, phi), e / np.cosh(eta), np.full(8, had), dt))
    if not rows:
        return tuple(np.zeros(0) for _ in range(6))
    return tuple(np.concatenate(c) for c in zip(*rows, strict=True))


def generate_chunk(config: LlpConfig, process: str, chunk: int) -> tuple[dict[str, np.ndarray], int]:
    """One chunk of ``process``: per-jet arrays (features, label, s depth, towers) and events generated."""
    from .pythia import new_pythia

    seed = config.chunk_seed(process, chunk)
    rng = np.random.default_rng(seed)
    n = min(config.chunk_size, config.events_of(process) - chunk * config.chunk_size)
    pythia = new_pythia(_COMMON + _SETTINGS[process], seed, process)
    f, n = _flat(pythia.nextBatch(n))
    deposits, tracks, llps = _collision(f, rng)
    if process == "bib":
        halo = _halo(n, rng)
        deposits = tuple(np.concatenate([a, b.astype(a.dtype)]) for a, b in zip(deposits, halo, strict=True))
    em, had, time = calo.towers(n, deposits, rng)
    ev, ie, ip = calo.find_jets(em, had)
    feats, tw = calo.jet_features(em, had, time, ev, ie, ip, tracks)
    keep = (feats["et"] > config.et_min) & (np.abs(feats["eta"]) < config.eta_max)
    depth_s = np.full(len(ev), np.nan)
    if process == "signal":
        l_ev, l_eta, l_phi, l_depth = llps
        matched = np.zeros(len(ev), bool)
        for k in range(len(ev)):
            sel = l_ev == ev[k]
            dphi = (l_phi[sel] - feats["phi"][k] + np.pi) % (2 * np.pi) - np.pi
            dr = np.hypot(l_eta[sel] - feats["eta"][k], dphi)
            if len(dr) and dr.min() < 0.4:
                depth_s[k] = l_depth[sel][np.argmin(dr)]
                matched[k] = calo.LAM_TRACKER <= depth_s[k] < calo.LAM_OUT
        keep &= matched
    else:
        rank = _rank_in_event(ev)  # jets come hardest first within an event
        keep &= rank < (2 if process == "multijet" else 1)
    counts = tw.pop("counts")
    jet_of_tower = np.repeat(np.arange(len(ev)), counts)
    tower_keep = keep[jet_of_tower]
    out = {name: feats[name][keep] for name in (*calo.FEATURES, "phi")}
    out["label"] = np.full(int(keep.sum()), PROCESSES.index(process), np.int8)
    out["s_depth"] = depth_s[keep]
    out["event"] = ev[keep].astype(np.int32)
    out["tower_counts"] = counts[keep].astype(np.int32)
    for name, arr in tw.items():
        out[f"tower_{name}"] = arr[tower_keep].astype(np.float32)
    return out, n


def _rank_in_event(ev: np.ndarray) -> np.ndarray:
    rank = np.zeros(len(ev), int)
    for k in range(1, len(ev)):
        rank[k] = rank[k - 1] + 1 if ev[k] == ev[k - 1] else 0
    return rank


def generate(config, workers: int | None = None, progress: bool = True) -> dict:
    from . import samples

    return samples.generate(generate_chunk, config, "pythia8 + L1 calo", workers, progress)


def save(result: dict, path: Path) -> Path:
    from . import samples

    return samples.save_result(result, path, lambda name: name.startswith("tower_"), classes=json.dumps(CLASSES))


def load(path: Path) -> dict:
    """Features (dict of arrays), labels, and the towers as an awkward array (jets x towers)."""
    import awkward as ak
    import h5py

    with h5py.File(path, "r") as f:
        d = {k: f[k][...] for k in f}
        meta = {"n_generated": json.loads(f.attrs["n_generated"]), "fingerprint": str(f.attrs["fingerprint"])}
    counts = d.pop("tower_counts")
    towers = ak.unflatten(
        ak.zip({k[len("tower_") :]: d.pop(k) for k in [k for k in d if k.startswith("tower_")]}), counts
    )
    return {
        "features": {k: d[k] for k in (*calo.FEATURES, "phi")},
        "label": d["label"],
        "s_depth": d["s_depth"],
        "towers": towers,
        "chunk": d["chunk"],
        "event": d["event"],
        **meta,
    }


def cached(config: LlpConfig, path: Path, workers: int | None = None) -> Path:
    from .h5cache import cached as cached_file

    return cached_file(path, config.fingerprint(), lambda p: save(generate(config, workers), p), "LLP jets")[0]
