"""The measured Z(ll) gamma spectrum that validates the suite's background model, and Pythia in its region.

``reference()`` is the ATLAS measurement at 13 TeV (JHEP 03 (2020) 054; HEPData ins1764342, kept in
``reference/atlas_zgamma_13tev.json`` with its fiducial region): the fiducial cross section and the
unfolded d sigma / d pT(llg) and d sigma / d (pT(llg) / m(llg)). ``FiducialConfig`` generates q qbar ->
Z gamma with each shower model of the suite (the power shower, Pythia's default matching) without the
suite's m(Z gamma) window, and ``fiducial_batch`` applies that region at particle level (no detector),
so that Pythia's prediction in each bin can be set beside the measurement.

Simplifications, stated: Z only (``WeakZ0:gmZmode = 2``, as the suite's background: no gamma* below
the Z, which the cut m(ll) + m(llg) > 182 GeV suppresses); "prompt" = the particle's mother is not a
hadron; muons are dressed like electrons; the isolation sum leaves out neutrinos, muons and the
region's photons.
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path

import numpy as np

from .generator import GenerationConfig
from .kinematics import delta_r, eta, mass, phi, pt
from .samples import ChunkedConfig

REFERENCE = Path(__file__).parent / "reference" / "atlas_zgamma_13tev.json"
SELECTION_VERSION = 1


@cache
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


@dataclasses.dataclass(frozen=True)
class FiducialConfig(ChunkedConfig):
    """Pythia q qbar -> Z gamma in the measurement's region, once per shower model."""

    n_events: int = 400_000  # generated per shower model
    seed: int = 2029
    chunk_size: int = 20_000
    pthat_min: float = 15.0  # GeV: below the photon's 30 GeV, so recoil against ISR does not cut the region
    mhat_min: float = 80.0  # GeV: below every m(llg) the region keeps (m(ll) + m(llg) > 182 GeV)

    processes = ("power_shower", "default_shower")

    def __post_init__(self):
        self.check([self.n_events])

    def events_of(self, process: str) -> int:
        return self.n_events

    def settings(self, process: str) -> tuple[str, ...]:
        gen = GenerationConfig(
            n_signal=0, power_shower=process == "power_shower", mhat_min=self.mhat_min, mhat_max=-1.0
        )  # mHatMax = -1: no upper limit
        return gen.pythia_settings("background") + (f"PhaseSpace:pTHatMin = {float(self.pthat_min)!r}",)

    def fingerprint_extra(self) -> dict:
        return {"settings": {p: list(self.settings(p)) for p in self.processes}, "selection": SELECTION_VERSION}


def generate_chunk(config: FiducialConfig, process: str, chunk: int) -> tuple[dict[str, np.ndarray], int]:
    """pT(llg), m(llg) of the chunk's events inside the region, and Pythia's cross section (pb) of the chunk."""
    import vector

    from .pythia import new_pythia

    vector.register_awkward()
    seed = config.chunk_seed(process, chunk)
    n = min(config.chunk_size, config.n_events - chunk * config.chunk_size)
    generator = new_pythia(config.settings(process), seed, process)
    batch = generator.nextBatch(n)
    rows = fiducial_batch(batch)
    sigma = float(generator.infoPython().sigmaGen()) * 1e9
    return {
        "pt_llg": rows[:, 0],
        "m_llg": rows[:, 1],
        "label": np.full(len(rows), config.processes.index(process), np.int8),  # which shower model
        "chunk_sigma_pb": np.array([sigma]),
        "chunk_events": np.array([n]),
    }, n


def spectra(config: FiducialConfig, workers: int | None = None, progress: bool = True) -> dict[str, dict]:
    """Per shower model: the region's pT(llg), m(llg) and the cross section each event stands for (fb),
    cached by fingerprint under ``$FPGA_NN_CACHE/fiducial``."""
    from . import samples
    from .h5cache import cache_dir, cached

    path = cache_dir("fiducial") / f"zgamma-atlas-{config.fingerprint()}.h5"

    def make(p: Path) -> None:
        result = samples.generate(generate_chunk, config, "ATLAS region", workers, progress)
        samples.save_result(result, p, lambda name: name in ("pt_llg", "m_llg"))

    arrays = samples.load(cached(path, config.fingerprint(), make, "fiducial Z gamma")[0])
    n_generated = arrays["n_generated"]
    out = {}
    offset = 0  # the chunks' cross sections are joined in (process, chunk) order
    for i, process in enumerate(config.processes):
        k = config.n_chunks(process)
        sig = arrays["chunk_sigma_pb"][offset : offset + k]
        ev = arrays["chunk_events"][offset : offset + k]
        offset += k
        sigma_fb = 1e3 * float(np.sum(sig * ev) / np.sum(ev))
        rows = arrays["label"] == i
        out[process] = {
            "sigma_fb": sigma_fb,
            "n_generated": int(n_generated[process]),
            "fb_per_event": sigma_fb / int(n_generated[process]),
            "pt_llg": arrays["pt_llg"][rows],
            "m_llg": arrays["m_llg"][rows],
        }
    return out


def fiducial_batch(batch) -> np.ndarray:
    """(pT(llg), m(llg)) of every event of a Pythia batch inside the measurement's fiducial region."""
    import awkward as ak

    from .selection import prompt_mask

    prt = batch["prt"]
    prompt = prompt_mask(prt)
    final = prt["status"] > 0
    ids = ak.to_list(prt["id"][final])
    flat_prompt = ak.to_numpy(ak.flatten(prompt[final]))
    mom = prt["p"][final]
    flat_p4 = np.stack([ak.to_numpy(ak.flatten(mom[c])) for c in ("px", "py", "pz", "e")], axis=1)
    offsets = np.concatenate([[0], np.cumsum([len(i) for i in ids])])
    flat_ids = np.concatenate([np.asarray(i, np.int64) for i in ids]) if ids else np.zeros(0, np.int64)
    rows = []
    for k in range(len(ids)):
        sl = slice(offsets[k], offsets[k + 1])
        r = _event(flat_ids[sl], flat_p4[sl], flat_prompt[sl])
        if r is not None:
            rows.append(r)
    return np.array(rows, np.float64).reshape(-1, 2)


def _event(ids, p4, prompt):
    absid = np.abs(ids)
    ptall, etaall, phiall = pt(p4), eta(p4), phi(p4)
    photon = absid == 22
    bare = np.flatnonzero(((absid == 11) | (absid == 13)) & prompt)
    if len(bare) < 2:
        return None
    # dressing: each photon within dR < 0.1 of a bare lepton joins the closest one
    dressed = p4[bare].copy()
    g = np.flatnonzero(photon)
    if len(g):
        dr = delta_r(etaall[bare][:, None], phiall[bare][:, None], etaall[g][None, :], phiall[g][None, :])
        near = dr.min(axis=0) < 0.1
        for j in np.flatnonzero(near):
            dressed[np.argmin(dr[:, j])] += p4[g[j]]
    dpt, deta = pt(dressed), eta(dressed)
    ok = (dpt > 25.0) & (np.abs(deta) < 2.47)
    leptons = None
    for flavour in (11, 13):
        idx = np.flatnonzero(ok & (absid[bare] == flavour))
        if len(idx) >= 2:
            leptons = idx[np.argsort(-dpt[idx])][:2]
            break
    if leptons is None or dpt[leptons[0]] < 30.0:
        return None
    ll = dressed[leptons[0]] + dressed[leptons[1]]
    m_ll = mass(ll)
    if m_ll < 40.0:
        return None
    cand = np.flatnonzero(photon & prompt & (ptall > 30.0) & (np.abs(etaall) < 2.37))
    if not len(cand):
        return None
    cand = cand[np.argsort(-ptall[cand])]
    vetoed = photon & prompt & (ptall > 30.0) & (np.abs(etaall) < 2.37)
    others = ~vetoed & (absid != 13) & ~np.isin(absid, (12, 14, 16))
    leta, lphi = eta(dressed[leptons]), phi(dressed[leptons])
    for c in cand:
        cone = others & (delta_r(etaall[c], phiall[c], etaall, phiall) < 0.2)
        if ptall[cone].sum() > 0.07 * ptall[c]:
            continue
        if np.any(delta_r(leta, lphi, etaall[c], phiall[c]) < 0.4):
            continue
        system = ll + p4[c]
        m_llg = mass(system)
        if m_ll + m_llg <= 182.0:
            return None
        return float(pt(system)), float(m_llg)
    return None
