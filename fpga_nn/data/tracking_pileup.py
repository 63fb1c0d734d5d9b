"""Pile-up hits and combinatorial T5 building for the T5 sample (issue 31, part 4).

**Pile-up.** Each ttbar event gets the charged particles of ``PILEUP`` = 200 minimum-bias collisions as
helices through the same tracker (:func:`tracking.hits`: multiple scattering, resolution, efficiency):
Poisson-many per event, ``DNCH_DETA`` = 5.5 charged particles per unit of pseudorapidity per collision
(CMS measured 5.49 +- 0.17 at 13 TeV, |eta| < 0.5, PLB 751 (2015) 143), uniform in |eta| < ``PU_ETA_MAX``
and in phi, pT from a Tsallis shape ``dN/dpT ~ pT (1 + pT / (n T))^-n`` (n = 6.6, T = 0.145 GeV: mean pT
0.53 GeV, the shape of published minimum-bias fits) above ``PU_PT_MIN`` (softer particles curl up before
the first layer), vertices spread along the beam by ``BEAMSPOT_Z_CM``. A parametrised stand-in, not
generated minimum bias: its hit density is what matters to the builder.

**Combinatorial T5s.** The builder seeds on a ttbar particle's first three hits of a layer set (its T3) and
adds every hit of the event (ttbar and pile-up) on the fourth layer within the builder's windows (|dphi|
to the third hit below ``MAX_DPHI``, z within 3 sigma_z + ``Z_SLACK_CM`` of the r-z line through hits 1
and 3), then every hit on the fifth layer within the same windows of that hit; each five-hit candidate
passing the loose T5 cuts (:func:`tracking.preselected`) that is not the seed particle's own five hits is
a fake of kind "combinatorial"; a random quarter of them (``KEEP``) is kept, about 1.4 per true candidate.
"""

from __future__ import annotations

import numpy as np

PILEUP = 200
DNCH_DETA = 5.5
PU_ETA_MAX = 1.2
PU_PT_MIN = 0.3  # GeV: R = 26 cm, the first layer at 23 cm
TSALLIS_N, TSALLIS_T = 6.6, 0.145
BEAMSPOT_Z_CM = 4.5
KEEP = 0.25  # the fraction of combinatorial candidates kept (at random: every kind of seed alike)
_GRID = np.linspace(0.0, 60.0, 60_001)


def _pt_cdf() -> tuple[np.ndarray, float]:
    """The Tsallis shape's CDF on a grid above PU_PT_MIN, and the fraction of particles above it."""
    pdf = _GRID * (1 + _GRID / (TSALLIS_N * TSALLIS_T)) ** -TSALLIS_N
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2 * np.diff(_GRID))])
    above = _GRID >= PU_PT_MIN
    frac = 1 - np.interp(PU_PT_MIN, _GRID, cdf) / cdf[-1]
    part = cdf[above] - cdf[above][0]
    return np.stack([part / part[-1], _GRID[above]]), float(frac)


def pileup(n_events: int, rng, hits_fn) -> tuple[np.ndarray, np.ndarray]:
    """(n, 6, 3) hits of the pile-up particles of ``n_events`` events, and each particle's event index."""
    (cdf, pts), frac = _pt_cdf()
    mean = PILEUP * DNCH_DETA * 2 * PU_ETA_MAX * frac
    counts = rng.poisson(mean, n_events)
    n = int(counts.sum())
    pt = np.interp(rng.random(n), cdf, pts)
    eta = rng.uniform(-PU_ETA_MAX, PU_ETA_MAX, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    z0 = rng.normal(0.0, BEAMSPOT_Z_CM, n)
    charge = rng.choice([-1.0, 1.0], n)
    return hits_fn(pt, eta, phi, z0, charge, rng), np.repeat(np.arange(n_events), counts)


def _dphi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + np.pi) % (2 * np.pi) - np.pi)


def combinatorial(xyz, event, is_seed, layers, cuts, rng) -> tuple[np.ndarray, np.ndarray]:
    """Fake five-hit candidates on ``layers`` built from seeds' T3s and the event's hits: (n, 5, 3) hits and
    each candidate's seed particle index. ``cuts`` = (preselected, max_dphi, z_windows) from the tracking
    module (its windows, so the builder and the loose cuts agree)."""
    preselected, max_dphi, z_window = cuts
    l1, l2, l3, l4, l5 = layers
    out_h, out_seed = [], []
    phi = np.arctan2(xyz[..., 1], xyz[..., 0])
    r = np.hypot(xyz[..., 0], xyz[..., 1])
    seeds_all = np.flatnonzero(is_seed & np.isfinite(xyz[:, [l1, l2, l3], 0]).all(axis=1))
    order = np.argsort(event, kind="stable")
    bounds = np.searchsorted(event[order], np.arange(event.max() + 2 if len(event) else 1))
    for e in np.unique(event[seeds_all]):
        members = order[bounds[e] : bounds[e + 1]]
        seeds = seeds_all[event[seeds_all] == e]
        h4 = members[np.isfinite(xyz[members, l4, 0])]
        h5 = members[np.isfinite(xyz[members, l5, 0])]
        if len(h4) == 0 or len(h5) == 0:
            continue
        slope = (xyz[seeds, l3, 2] - xyz[seeds, l1, 2]) / (r[seeds, l3] - r[seeds, l1])

        z1, r1 = xyz[seeds, l1, 2], r[seeds, l1]  # the seeds' r-z lines: z1 + slope (r - r1)
        m4 = _dphi(phi[h4, l4][None, :], phi[seeds, l3][:, None]) < max_dphi
        m4 &= (
            np.abs(xyz[h4, l4, 2][None, :] - z1[:, None] - slope[:, None] * (r[h4, l4][None, :] - r1[:, None]))
            < (z_window[l4])
        )
        s_idx, a_idx = np.nonzero(m4)
        if len(s_idx) == 0:
            continue
        m5 = _dphi(phi[h5, l5][None, :], phi[h4[a_idx], l4][:, None]) < max_dphi
        line5 = z1[s_idx][:, None] + slope[s_idx][:, None] * (r[h5, l5][None, :] - r1[s_idx][:, None])
        m5 &= np.abs(xyz[h5, l5, 2][None, :] - line5) < z_window[l5]
        p_idx, b_idx = np.nonzero(m5)
        seed, p4, p5 = seeds[s_idx[p_idx]], h4[a_idx[p_idx]], h5[b_idx]
        fake = ~((p4 == seed) & (p5 == seed))
        seed, p4, p5 = seed[fake], p4[fake], p5[fake]
        if len(seed) == 0:
            continue
        h = np.concatenate([xyz[seed][:, [l1, l2, l3]], xyz[p4, l4][:, None], xyz[p5, l5][:, None]], axis=1)
        keep = preselected(h, layers)
        h, seed = h[keep], seed[keep]
        # about six per true candidate: a random KEEP of them keeps the sample (and the training) in proportion
        kept = rng.random(len(seed)) < KEEP
        out_h.append(h[kept])
        out_seed.append(seed[kept])
    if not out_h:
        return np.zeros((0, 5, 3)), np.zeros(0, np.int64)
    return np.concatenate(out_h), np.concatenate(out_seed)
