"""Reconstruction of H -> Z(l l) gamma candidates and their event features.

Input: the final-state particles of one batch of Pythia events (awkward arrays).
Output: one row of features per selected event. The features are those of seed 004
(J. Kim, PRD 2024) plus m(llgamma) itself.

Selection (CMS-like H -> Z gamma analysis cuts):
  leptons  |eta| < 2.5, pT > 7 GeV (e) / 5 GeV (mu), relative isolation < 0.15 in dR < 0.3
  Z        same flavour, opposite charge, leading pT > 25 (e) / 20 (mu) GeV,
           sub-leading > 15 (e) / 10 (mu) GeV, m(ll) > 50 GeV, pair closest to m(Z)
  photon   |eta| < 2.5, pT > 15 GeV, relative isolation < 0.15, dR(l, gamma) > 0.4
  event    100 < m(llg) < 180 GeV, m(llg) + m(ll) > 185 GeV, pT(g)/m(llg) > 15/110

Options (off by default, so the embedded data and its fingerprint are unchanged):
  cluster_dr   photons within this dR of a harder photon are added to it first, as a calorimeter
               cluster does (0.05: about a 3x3 crystal cluster): the two photons of an energetic pi0
               then make one photon candidate, as in a detector, instead of one photon with its
               partner in its isolation cone
  fakes        Z + jets with a fake photon (``select_batch(..., fakes=True)``): the photon candidate is
               the leading anti-kt R = 0.4 jet of the event's visible non-lepton particles (pT > 15 GeV,
               |eta| < 2.5, dR(l, jet) > 0.4), smeared as a photon and not isolated; the probability that
               such an event passes as a real photon is measured from the same events' natural
               selection (``natural_fake_counts``) and applied as a weight by the user of the sample
"""

from __future__ import annotations

import numpy as np

from . import detector
from .kinematics import decay_angles, delta_r, eta, mass, phi, pt

M_Z = 91.1876
ISO_CONE = 0.3
ISO_MAX = 0.15

FEATURES = (
    "photon_eta",
    "lep1_eta",
    "lep2_eta",
    "min_dr_lg",
    "max_dr_lg",
    "lep_flavour",
    "pt_llg_over_m",
    "pt_t",
    "mass_resolution",
    "cos_Theta",
    "cos_theta",
    "phi",
    "photon_pt_over_m",
    "lep1_pt",
    "lep2_pt",
    "m_llg",
)
EXTRA_COLUMNS = ("photon_pt", "m_ll", "event_weight")  # event_weight: the generator weight (1 unbiased)
COLUMNS = FEATURES + EXTRA_COLUMNS

_NEUTRINOS = (12, 14, 16)


def _isolation(cand_p4, vis_p4):
    """Relative isolation: scalar pT sum of visible particles in dR < 0.3, the object excluded."""
    ce, cp, cpt = eta(cand_p4), phi(cand_p4), pt(cand_p4)
    ve, vp, vpt = eta(vis_p4), phi(vis_p4), pt(vis_p4)
    dr = delta_r(ce[:, None], cp[:, None], ve[None, :], vp[None, :])
    cone = (dr < ISO_CONE) & (dr > 1e-6)
    return np.sum(np.where(cone, vpt[None, :], 0.0), axis=1) / np.maximum(cpt, 1e-9)


def _cluster_photons(ids, p4, prompt, dr_max: float, seed_pt: float = 5.0):
    """Photons within ``dr_max`` of a harder photon of pT > ``seed_pt`` added to it (hardest first; a
    softer seed cannot make a 12 GeV candidate); the cluster keeps its seed's place and origin."""
    g = np.flatnonzero(ids == 22)
    if dr_max <= 0 or len(g) < 2:
        return ids, p4, prompt
    gpt = pt(p4[g])
    order = np.argsort(-gpt)
    g, gpt = g[order], gpt[order]
    ge, gp = eta(p4[g]), phi(p4[g])
    used = np.zeros(len(g), bool)
    keep = np.ones(len(ids), bool)
    p4 = p4.copy()
    for a in np.flatnonzero(gpt > seed_pt):
        if used[a]:
            continue
        used[a] = True
        near = ~used & (delta_r(ge[a], gp[a], ge, gp) < dr_max)
        if near.any():
            p4[g[a]] += p4[g[near]].sum(axis=0)
            keep[g[near]] = False
            used |= near
    return ids[keep], p4[keep], prompt[keep]


def _event_candidates(ids, p4, rng, prompt=None, cluster_dr: float = 0.0, jets=None):
    """Select the Z(ll) gamma candidate of one event; None when the event fails. ``prompt``: per particle,
    whether its mother is not a hadron (the chosen photon's origin is returned); ``jets``: four-momenta
    that stand in for the photon candidates (Z + jets with a fake photon)."""
    prompt = np.ones(len(ids), bool) if prompt is None else prompt
    ids, p4, prompt = _cluster_photons(ids, p4, prompt, cluster_dr)
    absid = np.abs(ids)
    visible = ~np.isin(absid, _NEUTRINOS)
    ptall, etaall = pt(p4), eta(p4)
    lep_mask = ((absid == 11) | (absid == 13)) & (np.abs(etaall) < 2.5) & (ptall > 4.0)
    pho_mask = (absid == 22) & (np.abs(etaall) < 2.5) & (ptall > 12.0)
    if jets is not None:
        pho_mask[:] = False
        jets = jets[(np.abs(eta(jets)) < 2.5) & (pt(jets) > 12.0)] if len(jets) else jets
    if lep_mask.sum() < 2 or (pho_mask.sum() < 1 and (jets is None or not len(jets))):
        return None
    cand_idx = np.flatnonzero(lep_mask | pho_mask)
    iso = _isolation(p4[cand_idx], p4[visible])
    cand_idx = cand_idx[iso < ISO_MAX]

    # Detector smearing of the isolated candidates (truth-matched reconstruction).
    cp4 = p4[cand_idx]
    cid = ids[cand_idx]
    cprompt = prompt[cand_idx]
    if jets is not None:  # the jets stand in for photons: not isolated (the fake probability says how often)
        cp4 = np.concatenate([cp4, jets])
        cid = np.concatenate([cid, np.full(len(jets), 22)])
        cprompt = np.concatenate([cprompt, np.zeros(len(jets), bool)])
    res = detector.relative_resolution(cid, cp4[:, 3], pt(cp4))
    cp4 = cp4 * detector.smear_factors(res, rng)[:, None]
    cpt, ceta = pt(cp4), eta(cp4)
    cabs = np.abs(cid)

    is_e = (cabs == 11) & (cpt > 7.0)
    is_mu = (cabs == 13) & (cpt > 5.0)
    is_pho = (cabs == 22) & (cpt > 15.0) & (np.abs(ceta) < 2.5)

    best = None
    for flavour, mask, (lead_cut, sub_cut) in ((11, is_e, (25.0, 15.0)), (13, is_mu, (20.0, 10.0))):
        idx = np.flatnonzero(mask)
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                i, j = idx[a], idx[b]
                if cid[i] * cid[j] > 0:
                    continue
                lead, sub = (i, j) if cpt[i] >= cpt[j] else (j, i)
                if cpt[lead] < lead_cut or cpt[sub] < sub_cut:
                    continue
                mll = mass(cp4[i] + cp4[j])
                if mll < 50.0:
                    continue
                if best is None or abs(mll - M_Z) < abs(best[3] - M_Z):
                    best = (flavour, lead, sub, mll)
    if best is None:
        return None
    flavour, lead, sub, mll = best
    photons = np.flatnonzero(is_pho)
    photons = photons[np.argsort(-cpt[photons])]
    leta, lphi = ceta[[lead, sub]], phi(cp4[[lead, sub]])
    for g in photons:
        dr = delta_r(leta, lphi, ceta[g], phi(cp4[g]))
        if np.all(dr > 0.4):
            break
    else:
        return None
    lminus, lplus = (lead, sub) if cid[lead] > 0 else (sub, lead)
    return {
        "flavour": flavour,
        "lead": cp4[lead],
        "sub": cp4[sub],
        "lminus": cp4[lminus],
        "lplus": cp4[lplus],
        "photon": cp4[g],
        "res": res[[lead, sub, g]],
        "mll": mll,
        "dr": dr,
        "prompt": bool(cprompt[g]),
    }


def select_batch(
    batch, rng: np.random.Generator, weights: np.ndarray | None = None, cluster_dr: float = 0.0, fakes: bool = False
) -> np.ndarray:
    """Reconstruct a batch of events; return a structured float64 array of :data:`COLUMNS` (the selected
    events' generator ``weights`` in ``event_weight``). ``fakes``: the leading jet is the photon candidate
    (module docstring)."""
    return _select(batch, rng, weights, cluster_dr, fakes)[0]


def natural_fake_counts(batch, rng: np.random.Generator, cluster_dr: float = 0.0) -> dict[str, int]:
    """The ordinary selection on a batch, its selected events counted by the photon's origin: ``prompt``
    (its mother is not a hadron) and ``hadron_decay`` (a photon of a pi0, eta, ... decay: a fake)."""
    feats, prompt = _select(batch, rng, None, cluster_dr, False)
    return {"prompt": int(prompt.sum()), "hadron_decay": int((~prompt).sum())}


def prompt_mask(prt):
    """Per particle of a Pythia batch: its mother is not a hadron (a hadron decay's photon is not prompt)."""
    import awkward as ak

    mother_id = abs(prt["id"][ak.where(prt["mother1"] > 0, prt["mother1"], 0)])
    return ~((mother_id > 100) & (mother_id != 2212))  # 2212: the beam proton (index 0 holds the system)


def _jets(prt):
    """Anti-kt R = 0.4 jets (pT > 12 GeV) of every event's visible particles but electrons and muons."""
    import awkward as ak
    import fastjet

    absid = abs(prt["id"])
    use = (absid != 11) & (absid != 13) & (absid != 12) & (absid != 14) & (absid != 16)
    mom = prt["p"][use]
    jets = fastjet.ClusterSequence(
        ak.zip({"px": mom["px"], "py": mom["py"], "pz": mom["pz"], "E": mom["e"]}),
        fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4),
    ).inclusive_jets(min_pt=12.0)
    return [np.stack([ak.to_numpy(j[c]) for c in ("px", "py", "pz", "E")], axis=1) for j in jets]


def _select(batch, rng, weights, cluster_dr, fakes):
    import awkward as ak  # only where events are generated (the GPU machine has none)

    prt = batch["prt"]
    flat_prompt = ak.to_numpy(ak.flatten(prompt_mask(prt)[prt["status"] > 0]))
    prt = prt[prt["status"] > 0]
    jets = _jets(prt) if fakes else None
    ids_all = ak.to_list(ak.num(prt["id"]))
    flat_ids = ak.to_numpy(ak.flatten(prt["id"]))
    mom = prt["p"]
    flat_p4 = np.stack([ak.to_numpy(ak.flatten(mom[c])) for c in ("px", "py", "pz", "e")], axis=1)
    offsets = np.concatenate([[0], np.cumsum(ids_all)])

    cands = []
    for k in range(len(ids_all)):
        sl = slice(offsets[k], offsets[k + 1])
        c = _event_candidates(
            flat_ids[sl], flat_p4[sl], rng, flat_prompt[sl], cluster_dr, None if jets is None else jets[k]
        )
        if c is not None:
            c["event_weight"] = 1.0 if weights is None else float(weights[k])
            cands.append(c)
    feats = _features(cands)
    prompt = np.array([c["prompt"] for c in cands], bool)[feats["keep"]] if cands else np.zeros(0, bool)
    return feats["rows"], prompt


def _features(cands: list[dict]) -> dict:
    out = np.zeros(len(cands), dtype=[(c, "f8") for c in COLUMNS])
    if not cands:
        return {"rows": out, "keep": np.zeros(0, bool)}
    stack = {k: np.array([c[k] for c in cands]) for k in ("lead", "sub", "lminus", "lplus", "photon", "res", "dr")}
    flavour = np.array([c["flavour"] for c in cands])
    mll = np.array([c["mll"] for c in cands])
    lead, sub, photon = stack["lead"], stack["sub"], stack["photon"]
    zcand = lead + sub
    system = zcand + photon
    m_llg = mass(system)
    pt_llg = pt(system)

    # pT_t: the Higgs-candidate pT projected perpendicular to the thrust axis t = (pT_Z - pT_g)/|...|.
    thrust = zcand[:, :2] - photon[:, :2]
    thrust = thrust / np.maximum(np.linalg.norm(thrust, axis=1, keepdims=True), 1e-12)
    pt_t = np.abs(system[:, 0] * thrust[:, 1] - system[:, 1] * thrust[:, 0])

    cos_big, cos_small, ang = decay_angles(stack["lminus"], stack["lplus"], photon)
    keep = (m_llg > 100.0) & (m_llg < 180.0) & (m_llg + mll > 185.0) & (pt(photon) / m_llg > 15.0 / 110.0)

    out["photon_eta"] = eta(photon)
    out["lep1_eta"] = eta(lead)
    out["lep2_eta"] = eta(sub)
    out["min_dr_lg"] = stack["dr"].min(axis=1)
    out["max_dr_lg"] = stack["dr"].max(axis=1)
    out["lep_flavour"] = (flavour == 13).astype(float)
    out["pt_llg_over_m"] = pt_llg / m_llg
    out["pt_t"] = pt_t
    # Mass-resolution proxy: for massless objects dm/m = 1/2 sqrt(sum (dE_i/E_i)^2).
    out["mass_resolution"] = 0.5 * np.sqrt(np.sum(stack["res"] ** 2, axis=1))
    out["cos_Theta"] = cos_big
    out["cos_theta"] = cos_small
    out["phi"] = ang
    out["photon_pt_over_m"] = pt(photon) / m_llg
    out["lep1_pt"] = pt(lead)
    out["lep2_pt"] = pt(sub)
    out["m_llg"] = m_llg
    out["photon_pt"] = pt(photon)
    out["m_ll"] = mll
    out["event_weight"] = np.array([c["event_weight"] for c in cands])
    return {"rows": out[keep], "keep": keep}
