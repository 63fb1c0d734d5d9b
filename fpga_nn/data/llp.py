"""Per-jet samples of the 3-class long-lived-particle tagger (seed 000): LLP signal, multijet, BIB.

Processes (13 TeV, Pythia 8 via pythia8mc, multi-parton interactions on), each seen through the
level-1 calorimeter and track-trigger toy of :mod:`fpga_nn.data.calo`:

* **signal**: gg -> Phi (m = 400 GeV) -> s s, s -> b bbar, m_s = 50 GeV, c tau_s = 500 mm (the ATLAS
  CalRatio benchmark family). s is an ordinary particle to Pythia (``35:isResonance = false``: as a
  resonance it is never decayed and reached the calorimeter whole, model version 1's error), so
  Pythia decays it at ``tau * p / m`` and hadronises the b bbar there: every descendant's production
  vertex and time (``tau * E / m`` late) are Pythia's own.
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

from . import calo, calo_readout
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
        "35:isResonance = false",  # decayed by Pythia at its displaced vertex (a resonance would not decay)
        "35:onMode = off",
        "35:onIfAny = 5",
        "ParticleDecays:limitTau0 = off",
    ),
    "multijet": ("HardQCD:all = on", "PhaseSpace:pTHatMin = 40."),
    "bib": ("SoftQCD:nonDiffractive = on",),
}
LLP_ID = 35
MODEL_VERSION = 2  # bump when the signal, BIB or jet definitions change (part of the fingerprint)
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
    multijet_jets: int = 2  # the hardest level-1 jets kept per multijet event
    towers: bool = True  # store each jet's towers (the rate sample does not)

    def __post_init__(self):
        self.check((self.n_signal, self.n_multijet, self.n_bib))

    def events_of(self, process: str) -> int:
        return {"signal": self.n_signal, "multijet": self.n_multijet, "bib": self.n_bib}[process]

    def fingerprint_extra(self) -> dict:
        return {
            "settings": {p: _COMMON + _SETTINGS[p] for p in self.processes},
            "calo": calo.VERSION,
            "readout": calo_readout.VERSION,
            "model": MODEL_VERSION,
        }


@dataclasses.dataclass(frozen=True)
class LlpRateConfig(LlpConfig):
    """The multijet + pile-up sample a trigger's mistag rate is measured on: multijet events only, every
    level-1 jet above threshold (up to four per event, as a trigger sees them), features without
    towers, chunk by chunk in a resumable store. Its own seed: none of its events is a training event."""

    processes = ("multijet",)
    chunk_stride = 100_000

    n_signal: int = 0
    n_multijet: int = 800_000
    n_bib: int = 0
    seed: int = 3031
    chunk_size: int = 4_000
    multijet_jets: int = 4
    towers: bool = False


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


def _collision(f, rng):
    """Deposits and tracks of a Pythia batch (every particle from its own production vertex: Pythia's).

    Returns deposits, tracks, and the s records (event, eta, phi, decay depth)."""
    final = f["status"] > 0
    absid = np.abs(f["id"])
    # Pythia decays s itself (an ordinary particle here, not a resonance): every descendant's production
    # vertex and time already hold the decay point, tau p / m, and the delay, tau E / m
    is_s = f["id"] == LLP_ID
    s_idx = np.flatnonzero(is_s & ~np.isin(np.arange(len(is_s)), f["mother1"][is_s]))  # the last copy of each
    decay = f["vprod"][s_idx, :3] + f["tau"][s_idx, None] * f["mom"][s_idx, :3] / f["m"][s_idx, None]
    vertex = f["vprod"][:, :3]
    tv = f["vprod"][:, 3]
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
    llps = (f["event"][s_idx], eta[s_idx], phi[s_idx], calo.depth(decay[:, 0], decay[:, 1], decay[:, 2]))
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
    sigma_mb = float(pythia.infoPython().sigmaGen())  # the generated process's cross-section, mb
    deposits, tracks, llps = _collision(f, rng)
    if process == "bib":
        halo = _halo(n, rng)
        deposits = tuple(np.concatenate([a, b.astype(a.dtype)]) for a, b in zip(deposits, halo, strict=True))
    em, had, time = calo_readout.towers(n, deposits, rng)
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
        keep &= rank < (config.multijet_jets if process == "multijet" else 1)
    counts = tw.pop("counts")
    jet_of_tower = np.repeat(np.arange(len(ev)), counts)
    tower_keep = keep[jet_of_tower]
    out = {name: feats[name][keep] for name in (*calo.FEATURES, "phi")}
    out["label"] = np.full(int(keep.sum()), PROCESSES.index(process), np.int8)
    out["s_depth"] = depth_s[keep]
    out["event"] = ev[keep].astype(np.int32)
    out["sigma_mb"] = np.full(int(keep.sum()), sigma_mb)
    if config.towers:
        out["tower_counts"] = counts[keep].astype(np.int32)
        for name, arr in tw.items():
            out[f"tower_{name}"] = arr[tower_keep].astype(np.float32)
    return out, n


def _rank_in_event(ev: np.ndarray) -> np.ndarray:
    rank = np.zeros(len(ev), int)
    for k in range(1, len(ev)):
        rank[k] = rank[k - 1] + 1 if ev[k] == ev[k - 1] else 0
    return rank


def generate(config, workers: int | None = None, progress: bool = True, store: Path | None = None) -> dict:
    from . import samples

    return samples.generate(generate_chunk, config, "pythia8 + L1 calo", workers, progress, store)


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
    """The sample of ``config`` at ``path``, generated when missing; the chunks of a generation are kept
    beside it (``<path>.chunks/``) until the file is written, so a stopped generation resumes."""
    import shutil

    from .h5cache import cached as cached_file

    store = path.with_name(path.name + ".chunks")

    def make(p: Path) -> None:
        save(generate(config, workers, store=store), p)

    path = cached_file(path, config.fingerprint(), make, "LLP jets")[0]
    shutil.rmtree(store, ignore_errors=True)
    return path


def load_features(path: Path) -> dict:
    """A sample's per-jet arrays without its towers (the rate sample has none)."""
    import h5py

    with h5py.File(path, "r") as f:
        d = {k: f[k][...] for k in f if not k.startswith("tower_")}
        d["n_generated"] = json.loads(f.attrs["n_generated"])
    return d
