"""Jet images: boosted W -> q q' jets vs QCD jets at pT ~ 500 GeV, from Pythia8 + FastJet.

Why this pair: a W boosted to 500 GeV decays into two quarks about 2 m_W / pT = 0.32 apart, so
its anti-kt R = 0.8 jet carries a two-prong energy pattern, while a QCD quark or gluon jet has one
hard core with soft radiation around it. The difference is spatial, which is what a CNN on an
eta-phi image learns, and it is the standard benchmark of jet-image tagging.

Generation (13 TeV, MPI on): W: ``WeakBosonAndParton:qqbar2Wg`` and ``qg2Wq`` with W -> quarks
only; QCD: ``HardQCD:all``; both with 400 < pThat < 650 GeV. Jets: anti-kt R = 0.8 on all visible
final-state particles with |eta| < 4. Selected: the leading jet with 450 < pT < 550 GeV and
|eta| < 2; for W events the jet must lie within dR < 0.6 of the generated W. Images: the jet's
constituents in (eta - eta_jet, phi - phi_jet) over [-R, R]^2, each pixel the summed constituent
pT divided by the jet pT (32x32 and 64x64 from the same constituents).

Chunks are seeded independently (chunk k of a process always gives the same jets) and run in
parallel; the file stores the settings and the fingerprint, so a changed setting regenerates.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from .samples import ChunkedConfig

log = logging.getLogger(__name__)

PROCESSES = ("W", "QCD")
_COMMON = (
    "Beams:eCM = 13000.",
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Random:setSeed = on",
    "PhaseSpace:pTHatMin = 400.",
    "PhaseSpace:pTHatMax = 650.",
    "PartonLevel:MPI = on",
)
_SETTINGS = {
    "W": (
        "WeakBosonAndParton:qqbar2Wg = on",
        "WeakBosonAndParton:qg2Wq = on",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4 5",
    ),
    "QCD": ("HardQCD:all = on",),
}
R = 0.8


@dataclasses.dataclass(frozen=True)
class JetImageConfig(ChunkedConfig):
    processes = PROCESSES
    chunk_stride = 100_000

    n_events_w: int = 24_000  # generated events (about 1 in 4 gives a selected W jet)
    n_events_qcd: int = 16_000  # about 2 in 5 give a selected QCD jet
    seed: int = 2026
    chunk_size: int = 1_000
    sizes: tuple[int, ...] = (32, 64)
    pt_min: float = 450.0
    pt_max: float = 550.0
    eta_max: float = 2.0
    match_dr: float = 0.6

    def __post_init__(self):
        self.check((self.n_events_w, self.n_events_qcd))

    def events_of(self, process: str) -> int:
        return self.n_events_w if process == "W" else self.n_events_qcd

    def fingerprint_extra(self) -> dict:
        from importlib.metadata import version

        return {"fastjet": version("fastjet"), "settings": {p: _COMMON + _SETTINGS[p] for p in PROCESSES}}


def _images(eta_rel, phi_rel, pt, jet_pt, size):
    img, _, _ = np.histogram2d(eta_rel, phi_rel, bins=size, range=[[-R, R], [-R, R]], weights=pt / jet_pt)
    return img.astype(np.float32)


def generate_chunk(config: JetImageConfig, process: str, chunk: int) -> tuple[dict[str, np.ndarray], int]:
    """One chunk: {f'image{size}': (n, size, size), 'jet_pt', 'jet_eta', 'jet_mass'} and events generated."""
    import awkward as ak
    import fastjet

    from .pythia import new_pythia

    generator = new_pythia(_COMMON + _SETTINGS[process], config.chunk_seed(process, chunk), process)
    n = min(config.chunk_size, config.events_of(process) - chunk * config.chunk_size)
    batch = generator.nextBatch(n)
    prt = batch["prt"]
    absid = abs(prt["id"])
    mom = prt["p"]
    px, py, pz, e = (mom[c] for c in ("px", "py", "pz", "e"))
    ptp = np.sqrt(px**2 + py**2)
    etap = np.arcsinh(pz / np.maximum(ptp, 1e-9))
    final = (prt["status"] > 0) & (absid != 12) & (absid != 14) & (absid != 16) & (abs(etap) < 4)
    parts = ak.zip({"px": px[final], "py": py[final], "pz": pz[final], "E": e[final]})
    # the generated W (last copy before decay) for truth matching
    is_w = absid == 24
    w_eta = ak.to_numpy(ak.fill_none(ak.firsts(etap[is_w][:, -1:]), np.nan)) if process == "W" else None
    w_phi = ak.to_numpy(ak.fill_none(ak.firsts(np.arctan2(py, px)[is_w][:, -1:]), np.nan)) if process == "W" else None

    jetdef = fastjet.JetDefinition(fastjet.antikt_algorithm, R)
    out = {f"image{s}": [] for s in config.sizes}
    out.update(jet_pt=[], jet_eta=[], jet_mass=[])
    cs = fastjet.ClusterSequence(parts, jetdef)
    jets = cs.inclusive_jets(min_pt=100.0)
    consts = cs.constituents(min_pt=100.0)
    for k in range(len(jets)):
        jk = jets[k]
        if len(jk) == 0:
            continue
        jpx, jpy, jpz, je = (ak.to_numpy(jk[c]) for c in ("px", "py", "pz", "E"))
        jpt = np.hypot(jpx, jpy)
        lead = int(np.argmax(jpt))
        pt_j = jpt[lead]
        eta_j = np.arcsinh(jpz[lead] / pt_j)
        phi_j = np.arctan2(jpy[lead], jpx[lead])
        if not (config.pt_min < pt_j < config.pt_max and abs(eta_j) < config.eta_max):
            continue
        if process == "W":
            dphi = (w_phi[k] - phi_j + np.pi) % (2 * np.pi) - np.pi
            if not np.hypot(w_eta[k] - eta_j, dphi) < config.match_dr:
                continue
        c = consts[k][lead]
        cpx, cpy, cpz = (ak.to_numpy(c[v]) for v in ("px", "py", "pz"))
        cpt = np.hypot(cpx, cpy)
        ceta = np.arcsinh(cpz / np.maximum(cpt, 1e-9)) - eta_j
        cphi = (np.arctan2(cpy, cpx) - phi_j + np.pi) % (2 * np.pi) - np.pi
        for s in config.sizes:
            out[f"image{s}"].append(_images(ceta, cphi, cpt, pt_j, s))
        m2 = je[lead] ** 2 - jpx[lead] ** 2 - jpy[lead] ** 2 - jpz[lead] ** 2
        out["jet_pt"].append(pt_j)
        out["jet_eta"].append(eta_j)
        out["jet_mass"].append(np.sqrt(max(m2, 0.0)))
    arrays = {k: (np.stack(v) if k.startswith("image") and v else np.asarray(v, np.float64)) for k, v in out.items()}
    for s in config.sizes:
        if not len(out[f"image{s}"]):
            arrays[f"image{s}"] = np.zeros((0, s, s), np.float32)
    return arrays, n


def generate(config: JetImageConfig, workers: int | None = None, progress: bool = True) -> dict:
    from . import samples

    data, n_gen, parts = samples.run(
        generate_chunk,
        config,
        PROCESSES,
        config.n_chunks,
        config.total_events(),
        "pythia8+fastjet",
        workers,
        progress,
        postfix=lambda done: {"jets": sum(len(a["jet_pt"]) for a in done.values())},
    )
    data["label"] = np.concatenate(
        [np.full(len(v["jet_pt"]), 1 if k[0] == 0 else 0, np.int8) for k, v in parts.items()]
    )
    data["chunk"] = np.concatenate([np.full(len(v["jet_pt"]), k[1], np.int32) for k, v in parts.items()])
    return {"arrays": data, "n_generated": n_gen, "config": config}


def save(result: dict, path: Path) -> Path:
    from . import samples

    return samples.save_result(
        result,
        path,
        lambda name: name.startswith("image"),
        description="label 1 = W -> qq jet, 0 = QCD jet; image pixels = constituent pT / jet pT",
    )


def load(path: Path, size: int) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        if f"image{size}" not in f:
            raise UserInputError(
                f"{path} has no {size}x{size} images (sizes: "
                f"{[k for k in f if k.startswith('image')]}); regenerate with that size"
            )
        return {
            "images": f[f"image{size}"][...],
            "label": f["label"][...],
            "jet_mass": f["jet_mass"][...],
            "jet_pt": f["jet_pt"][...],
            "n_generated": json.loads(f.attrs["n_generated"]),
            "fingerprint": str(f.attrs["fingerprint"]),
        }


def cached(config: JetImageConfig, path: Path, workers: int | None = None) -> Path:
    from .h5cache import cached as cached_file

    return cached_file(path, config.fingerprint(), lambda p: save(generate(config, workers), p), "jet images")[0]
