"""A level-1 calorimeter and track-trigger toy: particle deposits -> towers -> 9x9 jets -> jet features.

Geometry (CMS-like, millimetres): the ECAL front at r = 1290 mm, the HCAL front at 1800 mm, the HCAL
back at 2950 mm in the barrel; the endcap surfaces are the same surfaces scaled to |z| = 3000 mm at
the ECAL front. A point's depth is ``lam = max(r / 1290, |z| / 3000)``: the ECAL occupies
1 <= lam < 1.395, the HCAL 1.395 <= lam < 2.287.

A particle produced at a vertex V (the decay point of a long-lived particle, or the origin) deposits:

* photons and electrons: everything in the ECAL when V is in front of it; the remaining depth
  fraction in the ECAL and the rest in the HCAL when V lies inside the ECAL; the HCAL containment
  ``clip((2.287 - lam_V) / 0.45, 0, 1)`` when V is inside the HCAL; nothing beyond it;
* hadrons: a random fraction ``clip(N(0.35, 0.15), 0, 1)`` in the ECAL (showers start there), the
  rest in the HCAL; scaled the same way when V is inside the ECAL or the HCAL;
* muons and neutrinos: nothing (a muon's ionisation is below the tower thresholds used here).

Each part lands in the tower (0.087 x 0.087 in eta x phi, |eta| < 2.5, 58 x 72 towers) of the point
where the particle's line crosses the ECAL (EM part) or HCAL (hadronic part) front surface (or of
its vertex, when it starts beyond), as seen from the origin, displaced by a Gaussian lateral shower
size of 30 mm (EM) or 120 mm (hadronic). Its arrival time relative to a prompt particle,
``(t_V + |P - V| - |P|) / c``, is zero for prompt particles, positive for the slow long-lived
particle's products. What a tower then reports -- energy and time resolution, in-time and
out-of-time pile-up, noise and spikes -- is :mod:`fpga_nn.data.calo_readout`. Pile-up tracks: 30 per
event (pT 2 GeV + exponential(1.5 GeV), uniform in |eta| < 2.4) that the vertex association keeps by
mistake.

Jets are level-1 style: seeds are local maxima (3x3) of tower ET above 3 GeV; a jet is the 9x9 tower
window around its seed, at most four per event, windows not overlapping the seed of a harder jet.
Tracks are the level-1 track trigger's: charged particles with pT > 2 GeV and |eta| < 2.4 produced
within 10 mm of the beam line (prompt).
"""

from __future__ import annotations

import numpy as np

VERSION = 4  # bump when the detector model changes: it is part of every sample's fingerprint
C_MM_PER_NS = 299.792458
R_ECAL, Z_ECAL = 1290.0, 3000.0
LAM_HCAL = 1800.0 / R_ECAL
LAM_OUT = 2950.0 / R_ECAL
LAM_TRACKER = 1100.0 / R_ECAL
N_ETA, N_PHI, ETA_MAX = 58, 72, 2.5
D_ETA, D_PHI = 2 * ETA_MAX / N_ETA, 2 * np.pi / N_PHI
WINDOW = 9
SEED_ET, TOWER_MIN_ET, MAX_JETS = 3.0, 0.5, 4
SPREAD_EM, SPREAD_HAD = 30.0, 120.0  # mm: lateral shower sizes (Moliere radius, hadronic shower)
# pile-up tracks the vertex association keeps: Poisson(30) per event, pT = 2 GeV + exponential(1.5 GeV)
PU_TRACKS, PU_TRACK_PT = 30, 1.5
READOUT_NS = 12.5  # half the 25 ns bunch spacing


def pileup_tracks(n_events: int, rng) -> tuple[np.ndarray, ...]:
    """(event, eta, phi, pT) of the pile-up tracks wrongly associated with the primary vertex."""
    n = rng.poisson(PU_TRACKS, n_events)
    ev = np.repeat(np.arange(n_events), n)
    k = len(ev)
    return ev, rng.uniform(-2.4, 2.4, k), rng.uniform(-np.pi, np.pi, k), 2.0 + rng.exponential(PU_TRACK_PT, k)


# the tagger's inputs: FEATURES without the jet ET (stored, but a property of the chosen signal mass
# and of the multijet threshold rather than of a displaced decay: the tagger must not learn it)
FEATURES = (
    "et",
    "eta",
    "log_had_em",
    "time",
    "width",
    "sigma_eta",
    "sigma_phi",
    "n_towers",
    "max_frac",
    "n_tracks",
    "track_pt_frac",
)
INPUTS = tuple(f for f in FEATURES if f != "et")


def depth(x, y, z):
    return np.maximum(np.hypot(x, y) / R_ECAL, np.abs(z) / Z_ECAL)


def path_to(lam: float, v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Distance along unit directions ``u`` (n, 3) from points ``v`` (n, 3) to the surface of depth
    ``lam``; 0 for points already beyond it."""
    r0 = lam * R_ECAL
    a = u[:, 0] ** 2 + u[:, 1] ** 2
    b = 2 * (v[:, 0] * u[:, 0] + v[:, 1] * u[:, 1])
    c = v[:, 0] ** 2 + v[:, 1] ** 2 - r0**2
    with np.errstate(divide="ignore", invalid="ignore"):
        s_cyl = np.where(a > 1e-12, (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0))) / (2 * a), np.inf)
        z0 = lam * Z_ECAL
        s_disc = np.where(np.abs(u[:, 2]) > 1e-12, (np.sign(u[:, 2]) * z0 - v[:, 2]) / u[:, 2], np.inf)
    s = np.minimum(s_cyl, s_disc)
    return np.where(depth(v[:, 0], v[:, 1], v[:, 2]) >= lam, 0.0, np.maximum(s, 0.0))


def _eta_phi(p: np.ndarray):
    r = np.hypot(p[:, 0], p[:, 1])
    return np.arcsinh(p[:, 2] / np.maximum(r, 1e-9)), np.arctan2(p[:, 1], p[:, 0])


def particle_deposits(event, vertex, t_vertex, mom, kind, rng):
    """Deposit rows (event, eta, phi, et, hadronic?, dt) of final-state particles.

    ``vertex`` (n, 3) mm, ``t_vertex`` (n,) mm/c, ``mom`` (n, 4) px py pz E GeV, ``kind`` (n,):
    0 = photon/electron, 1 = hadron, 2 = invisible (muons, neutrinos)."""
    p3 = mom[:, :3]
    u = p3 / np.maximum(np.linalg.norm(p3, axis=1, keepdims=True), 1e-12)
    lam_v = depth(vertex[:, 0], vertex[:, 1], vertex[:, 2])
    in_front, in_ecal = lam_v < 1, (lam_v >= 1) & (lam_v < LAM_HCAL)
    in_hcal = (lam_v >= LAM_HCAL) & (lam_v < LAM_OUT)
    ecal_left = np.clip((LAM_HCAL - lam_v) / (LAM_HCAL - 1), 0, 1)
    contain = np.clip((LAM_OUT - lam_v) / 0.45, 0, 1)
    f_had = np.clip(rng.normal(0.35, 0.15, len(kind)), 0, 1)
    em_frac = np.where(kind == 0, 1.0, f_had)
    ecal = np.where(in_front, em_frac, np.where(in_ecal, em_frac * ecal_left, 0.0))
    hcal = np.where(in_front | in_ecal, 1 - ecal, np.where(in_hcal, contain, 0.0))
    visible = kind != 2
    ecal, hcal = ecal * visible, hcal * visible
    rows = []
    for frac, lam, had, spread in ((ecal, 1.0, False, SPREAD_EM), (hcal, LAM_HCAL, True, SPREAD_HAD)):
        keep = frac > 0
        v, uu = vertex[keep], u[keep]
        p = v + path_to(lam, v, uu)[:, None] * uu
        eta, phi = _eta_phi(p)
        # lateral shower size: a displacement of `spread` mm at transverse radius r
        r_t = np.maximum(np.hypot(p[:, 0], p[:, 1]), R_ECAL)
        eta = eta + rng.normal(0, 1, len(eta)) * spread / r_t
        phi = phi + rng.normal(0, 1, len(phi)) * spread / r_t
        dt = (t_vertex[keep] + np.linalg.norm(p - v, axis=1) - np.linalg.norm(p, axis=1)) / C_MM_PER_NS
        et = mom[keep, 3] * frac[keep] / np.cosh(eta)
        rows.append((event[keep], eta, phi, et, np.full(keep.sum(), had), dt))
    return tuple(np.concatenate(c) for c in zip(*rows, strict=True))


def _windows(arr: np.ndarray, ev: np.ndarray, ie: np.ndarray, ip: np.ndarray) -> np.ndarray:
    """The 9x9 windows (n, 9, 9) of ``arr`` around (ie, ip): zero outside |eta| < 2.5, phi wraps."""
    h = WINDOW // 2
    off = np.arange(-h, h + 1)
    e = ie[:, None] + off[None, :]
    p = (ip[:, None] + off[None, :]) % N_PHI
    valid = (e >= 0) & (e < N_ETA)
    out = arr[ev[:, None, None], e.clip(0, N_ETA - 1)[:, :, None], p[:, None, :]]
    return np.where(valid[:, :, None], out, 0)


def find_jets(em: np.ndarray, had: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeds (event, eta index, phi index) of the level-1 jets, hardest window first per event."""
    et = em + had
    padded = np.pad(et, ((0, 0), (1, 1), (0, 0)))
    local_max = np.ones(et.shape, bool)
    for de in (-1, 0, 1):
        for dp in (-1, 0, 1):
            if de or dp:
                shifted = np.roll(padded, dp, axis=2)[:, 1 + de : 1 + de + N_ETA]
                local_max &= et >= shifted
    ev, ie, ip = np.nonzero(local_max & (et > SEED_ET))
    if not len(ev):
        return ev, ie, ip
    sums = _windows(et, ev, ie, ip).sum(axis=(1, 2))
    order = np.lexsort((-sums, ev))
    keep = []
    h = WINDOW // 2
    start = 0
    for k in range(1, len(order) + 1):
        if k == len(order) or ev[order[k]] != ev[order[start]]:
            taken: list[int] = []
            for j in order[start:k]:
                close = any(
                    abs(ie[j] - ie[t]) <= h and min(abs(ip[j] - ip[t]), N_PHI - abs(ip[j] - ip[t])) <= h for t in taken
                )
                if not close and len(taken) < MAX_JETS:
                    taken.append(j)
            keep += taken
            start = k
    keep = np.asarray(keep, int)
    return ev[keep], ie[keep], ip[keep]


def jet_features(em, had, time, ev, ie, ip, tracks) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-jet features (``FEATURES``) and the jets' towers above 0.5 GeV (flat arrays + counts).

    ``tracks``: (event, eta, phi, pt) of the prompt level-1 tracks."""
    w_em, w_had, w_t = (_windows(a, ev, ie, ip) for a in (em, had, time))
    w_et = w_em + w_had
    h = WINDOW // 2
    d = np.arange(-h, h + 1)
    de, dp = np.meshgrid(d * D_ETA, d * D_PHI, indexing="ij")
    et = w_et.sum(axis=(1, 2))
    safe = np.maximum(et, 1e-9)
    m_eta = (w_et * de).sum(axis=(1, 2)) / safe
    m_phi = (w_et * dp).sum(axis=(1, 2)) / safe
    eta = -ETA_MAX + (ie + 0.5) * D_ETA + m_eta
    phi = -np.pi + (ip + 0.5) * D_PHI + m_phi
    timed = w_et > TOWER_MIN_ET
    t_w = np.where(timed, w_et, 0)
    f = {
        "et": et,
        "eta": eta,
        "log_had_em": np.log10(np.maximum(w_had.sum(axis=(1, 2)), 0.5) / np.maximum(w_em.sum(axis=(1, 2)), 0.5)),
        "time": (t_w * w_t).sum(axis=(1, 2)) / np.maximum(t_w.sum(axis=(1, 2)), 1e-9),
        "width": (w_et * np.hypot(de - m_eta[:, None, None], dp - m_phi[:, None, None])).sum(axis=(1, 2)) / safe,
        "sigma_eta": np.sqrt(np.maximum((w_et * de**2).sum(axis=(1, 2)) / safe - m_eta**2, 0)),
        "sigma_phi": np.sqrt(np.maximum((w_et * dp**2).sum(axis=(1, 2)) / safe - m_phi**2, 0)),
        "n_towers": (w_et > 1.0).sum(axis=(1, 2)).astype(np.float64),
        "max_frac": w_et.max(axis=(1, 2)) / safe,
    }
    n_tr = np.zeros(len(ev))
    pt_tr = np.zeros(len(ev))
    t_ev, t_eta, t_phi, t_pt = tracks
    order = np.argsort(t_ev, kind="stable")
    t_ev, t_eta, t_phi, t_pt = t_ev[order], t_eta[order], t_phi[order], t_pt[order]
    lo, hi = np.searchsorted(t_ev, ev, "left"), np.searchsorted(t_ev, ev, "right")
    for k in range(len(ev)):  # a few jets per event, a few tracks per jet
        dphi = (t_phi[lo[k] : hi[k]] - phi[k] + np.pi) % (2 * np.pi) - np.pi
        near = np.hypot(t_eta[lo[k] : hi[k]] - eta[k], dphi) < 0.4
        n_tr[k], pt_tr[k] = near.sum(), t_pt[lo[k] : hi[k]][near].sum()
    f["n_tracks"] = n_tr
    f["track_pt_frac"] = pt_tr / safe
    f["phi"] = (phi + np.pi) % (2 * np.pi) - np.pi
    counts = timed.sum(axis=(1, 2))
    towers_flat = {
        "d_eta": np.broadcast_to(de, w_et.shape)[timed],
        "d_phi": np.broadcast_to(dp, w_et.shape)[timed],
        "et_em": w_em[timed],
        "et_had": w_had[timed],
        "time": w_t[timed],
        "counts": counts,
    }
    return f, towers_flat
