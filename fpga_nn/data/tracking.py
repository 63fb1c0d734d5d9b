"""T5-like track candidates (seed 001): Pythia8 charged particles through a barrel tracker.

A documented toy of the CMS line-segment-tracking T5 (five hits on five barrel layers):

- **Particles**: Pythia8 ttbar at 13.6 TeV (b jets: dense, so fake combinations are realistic);
  final-state charged particles from within 1 cm of the beam line, pT > ``pt_min``.
- **Geometry**: six barrel layers at the Phase-2 outer-tracker radii 23, 36, 51, 68, 88, 108 cm,
  |z| < 120 cm, in a 3.8 T solenoid; each layer's sensors sit at r +- 0.2 cm (two staggered rows).
  A particle leaves a hit where its helix crosses a layer (efficiency 99 %), smeared by 30 um in
  r-phi everywhere and in z by 0.04 cm (PS modules, layers 1-3) or 1.44 cm (2S strips, layers 4-6),
  after multiple scattering (Highland, 2 % X0 per layer) kinks the helix at every layer.
- **Pile-up**: the charged particles of 200 minimum-bias collisions per event, a parametrised stand-in
  (:mod:`tracking_pileup`), through the same tracker.
- **Candidates**: on the layer sets 1-5 and 2-6, each with its event number (the study splits by
  event). Signal: the five hits of one ttbar particle. Background (fakes), two families reported apart:
  *swaps*, a particle's five hits with the inner two, the outer two or the middle hit replaced by
  another particle's, moved next to them (:func:`_neighbour_hits`); and *combinatorial* T5s, a ttbar
  particle's first three hits completed by any hits of the event, pile-up included, inside the builder's
  windows (:func:`tracking_pileup.combinatorial`). Every candidate, true or fake, passes the T5
  builder's loose cuts (:func:`preselected`: dphi, r-z line, inner/outer T3 curvature).
- **Features** (23, physics units): per hit r (cm), z (cm) and eta; the four consecutive hit dphi
  (rad); the curvatures 1/R (1/cm) of the circles through hits (1,2,3), (2,3,4), (3,4,5) (the
  inner, bridge and outer T3) and the candidate pT (GeV) from the circle through hits 1, 3, 5.
  The network's log10 of radii and pT is declared preprocessing (:data:`PREPROCESSING`), not a feature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .preprocess import from_dict
from .samples import ChunkedConfig

LAYERS_CM = np.array([23.0, 36.0, 51.0, 68.0, 88.0, 108.0])
Z_MAX_CM = 120.0
B_TESLA = 3.8
SIGMA_RPHI_CM = 0.003
SIGMA_Z_CM = np.array([0.04, 0.04, 0.04, 1.44, 1.44, 1.44])
STAGGER_CM = 0.2
HIT_EFFICIENCY = 0.99
X0_PER_LAYER = 0.02  # radiation lengths per barrel layer at normal incidence
NEIGHBOUR_RPHI_CM = 0.1  # a borrowed hit lies within this distance of the hit it replaces (PU200-like density)
NEIGHBOUR_Z_CM = 1.0
LAYER_SETS = ((0, 1, 2, 3, 4), (1, 2, 3, 4, 5))
MAX_DPHI = 0.25
Z_SLACK_CM = 1.0
CURV_TOLERANCE = 0.5
CURV_SLACK = 5e-4  # 1/cm
GEN_VERSION = 3  # 3: pile-up hits, combinatorial fakes, event numbers

HITS = tuple(range(1, 6))
FEATURES = (
    *(f"r{i}" for i in HITS),
    *(f"z{i}" for i in HITS),
    *(f"eta{i}" for i in HITS),
    *(f"dphi{i}{i + 1}" for i in HITS[:-1]),
    "curv_inner",
    "curv_bridge",
    "curv_outer",
    "pt",
)
FAKE_KINDS = ("inner", "outer", "middle", "combinatorial")
SWAP_KINDS = FAKE_KINDS[:3]


BUS_BITS = 12  # 10 bits lose what the track fit needs: results/tracking/results.json, "chi2_baseline"


def _wire(name: str, unit: str, lsb: float, offset: float) -> dict:
    """A 12-bit bus read as the network's 12-bit input: (v - offset) / (4096 lsb), exactly code / 4096."""
    return {
        "name": name,
        "unit": unit,
        "bus": {"bits": BUS_BITS, "lsb": lsb, "offset": offset},
        "transform": [{"op": "affine", "offset": offset, "scale": 1.0 / (2**BUS_BITS * lsb)}],
    }


def _log(name: str, unit: str, lsb: float, offset: float, lo: float, hi: float) -> dict:
    """A 12-bit bus; in the firmware log10(v + offset) mapped from [lo, hi] onto [0, 1] (a 4,096-entry table)."""
    return {
        "name": name,
        "unit": unit,
        "bus": {"bits": 12, "lsb": lsb, "offset": 0.0},
        "transform": [
            {"op": "log10", "offset": offset},
            {"op": "affine", "offset": lo, "scale": 1.0 / (hi - lo)},
            {"op": "clip", "min": 0.0, "max": 1.0 - 2.0**-BUS_BITS},
        ],
    }


PREPROCESSING = from_dict(
    {
        "input_type": "ap_ufixed<12,0,AP_RND_CONV,AP_SAT>",
        "features": [
            *(_wire(f"r{i}", "cm", 2.0**-5, 0.0) for i in HITS),
            *(_wire(f"z{i}", "cm", 2.0**-4, -128.0) for i in HITS),
            *(_wire(f"eta{i}", "", 2.0**-10, -2.0) for i in HITS),
            *(_wire(f"dphi{i}{i + 1}", "rad", 2.0**-13, -0.25) for i in HITS[:-1]),
            # curvature 1/R: 2^-16 / cm per code (up to 1/16 cm); log10(1/R + 2^-17) from [-5.5, -1] onto [0, 1]
            *(_log(f"curv_{t}", "1/cm", 2.0**-16, 2.0**-17, -5.5, -1.0) for t in ("inner", "bridge", "outer")),
            _log("pt", "GeV", 2.0**-4, 2.0**-5, np.log10(0.5), np.log10(256.0)),
        ],
    },
    "the T5 preprocessing",
)


@dataclass(frozen=True)
class TrackingConfig(ChunkedConfig):
    n_events: int = 1_200
    chunk_size: int = 150
    seed: int = 1
    pt_min: float = 0.8
    eta_max: float = 1.0

    processes = ("ttbar",)
    chunk_stride = 100_000

    def __post_init__(self):
        self.check([self.n_events])

    def events_of(self, process: str) -> int:
        return self.n_events

    def fingerprint_extra(self) -> dict:
        detector = {
            "layers_cm": LAYERS_CM.tolist(),
            "z_max_cm": Z_MAX_CM,
            "b_tesla": B_TESLA,
            "sigma_rphi_cm": SIGMA_RPHI_CM,
            "sigma_z_cm": SIGMA_Z_CM.tolist(),
            "stagger_cm": STAGGER_CM,
            "hit_efficiency": HIT_EFFICIENCY,
            "x0_per_layer": X0_PER_LAYER,
            "neighbour_cm": [NEIGHBOUR_RPHI_CM, NEIGHBOUR_Z_CM],
            "cuts": [MAX_DPHI, Z_SLACK_CM, CURV_TOLERANCE, CURV_SLACK],
        }
        from . import tracking_pileup as pu

        pileup = [pu.PILEUP, pu.DNCH_DETA, pu.PU_ETA_MAX, pu.PU_PT_MIN, pu.TSALLIS_N, pu.TSALLIS_T, pu.BEAMSPOT_Z_CM]
        detector["pileup"] = [*pileup, pu.KEEP]
        return {"generator": GEN_VERSION, "features": list(FEATURES), "detector": detector}


_SETTINGS = (
    "Beams:eCM = 13600.",
    "Top:gg2ttbar = on",
    "Top:qqbar2ttbar = on",
    "Next:numberCount = 0",
    "Print:quiet = on",
)


def radius_cm(pt_gev: np.ndarray) -> np.ndarray:
    return 100.0 * pt_gev / (0.299792458 * B_TESLA)


def hits(pt, eta, phi0, z0, charge, rng):
    """(n, 6) hit x, y, z (cm) of helices from the beam line, NaN where a layer is not reached or missed."""
    n = len(pt)
    big_r = radius_cm(pt)[:, None]
    r = LAYERS_CM[None, :] + STAGGER_CM * rng.choice([-1.0, 1.0], size=(n, len(LAYERS_CM)))
    with np.errstate(invalid="ignore"):
        half = np.arcsin(r / (2 * big_r))  # half the turning angle at radius r
    phi = phi0[:, None] - charge[:, None] * half
    z = z0[:, None] + 2 * big_r * half * np.sinh(eta)[:, None]
    # multiple scattering: a kink of theta0 (Highland, X0_PER_LAYER / sin(theta)) at every layer crossed,
    # displacing every later hit by kink x distance, in r-phi and in z
    p = pt * np.cosh(eta)
    x0 = X0_PER_LAYER * np.cosh(eta)
    theta0 = 0.0136 / p * np.sqrt(x0) * (1 + 0.038 * np.log(x0))
    gap = r[:, None, :] - r[:, :, None]  # [k, j]: r_j - r_k, used where k < j
    later = np.triu(np.ones((len(LAYERS_CM),) * 2, bool), 1)[None]
    for axis in range(2):
        kink = rng.normal(0, 1, size=r.shape) * theta0[:, None]
        shift = np.einsum("nk,nkj->nj", kink, np.where(later, gap, 0.0))
        if axis == 0:
            phi = phi + shift / r
        else:
            z = z + shift * np.cosh(eta)[:, None]
    phi = phi + rng.normal(0, SIGMA_RPHI_CM, size=r.shape) / r
    z = z + rng.normal(0, 1, size=r.shape) * SIGMA_Z_CM[None, :]
    ok = np.isfinite(half) & (np.abs(z) < Z_MAX_CM) & (rng.random(r.shape) < HIT_EFFICIENCY)
    xyz = np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=-1)
    xyz[~ok] = np.nan
    return xyz


def _curvature(a, b, c) -> np.ndarray:
    """1/R of the circle through three (n, 3) points in x-y (0 for collinear points)."""
    ab, bc, ca = (np.hypot(*(q - p)[:, :2].T) for p, q in ((a, b), (b, c), (c, a)))
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    return 2 * np.abs(cross) / (ab * bc * ca)


def chi2(raw: np.ndarray, terms: bool = False) -> np.ndarray:
    """A track-fit chi^2 from the 23 raw features (the seed's cut-based baseline): the r-phi distances of
    hits 2 and 4 from the circle through hits 1, 3, 5, and the r-z residuals of all five hits from
    their straight-line fit, each over its expected spread (resolution and multiple scattering).
    ``terms``: the seven pulls themselves, (n, 7), whose squares sum to the chi^2."""
    col = {name: raw[:, i] for i, name in enumerate(FEATURES)}
    r = np.stack([col[f"r{i}"] for i in HITS], axis=1)
    z = np.stack([col[f"z{i}"] for i in HITS], axis=1)
    phi = np.concatenate([np.zeros((len(raw), 1)), np.cumsum([col[f"dphi{i}{i + 1}"] for i in HITS[:-1]], 0).T], 1)
    x, y = r * np.cos(phi), r * np.sin(phi)
    # circle through hits 1, 3, 5: centre from the perpendicular bisectors
    (x1, x3, x5), (y1, y3, y5) = (x[:, [0, 2, 4]].T, y[:, [0, 2, 4]].T)
    d = 2 * (x1 * (y3 - y5) + x3 * (y5 - y1) + x5 * (y1 - y3))
    with np.errstate(divide="ignore", invalid="ignore"):
        ux = ((x1**2 + y1**2) * (y3 - y5) + (x3**2 + y3**2) * (y5 - y1) + (x5**2 + y5**2) * (y1 - y3)) / d
        uy = ((x1**2 + y1**2) * (x5 - x3) + (x3**2 + y3**2) * (x1 - x5) + (x5**2 + y5**2) * (x3 - x1)) / d
    radius = np.hypot(x1 - ux, y1 - uy)
    pt = np.clip(np.nan_to_num(0.299792458 * B_TESLA * radius / 100.0, nan=1e4), 0.3, 1e4)
    sigma_ms = 0.0136 / pt * np.sqrt(X0_PER_LAYER) * 15.0  # cm: a kink over a typical layer gap
    sigma_rphi = np.hypot(SIGMA_RPHI_CM, sigma_ms)
    res = np.abs(np.hypot(x[:, [1, 3]] - ux[:, None], y[:, [1, 3]] - uy[:, None]) - radius[:, None])
    chi_rphi = np.nan_to_num(res / sigma_rphi[:, None], nan=0.0)  # straight tracks: no r-phi information
    sigma_z = np.where(r < 60.0, SIGMA_Z_CM[0], SIGMA_Z_CM[-1])
    sigma_z = np.hypot(sigma_z, sigma_ms[:, None])
    w = 1 / sigma_z**2
    rm, zm = (w * r).sum(1) / w.sum(1), (w * z).sum(1) / w.sum(1)
    slope = (w * (r - rm[:, None]) * (z - zm[:, None])).sum(1) / (w * (r - rm[:, None]) ** 2).sum(1)
    chi_rz = (z - zm[:, None] - slope[:, None] * (r - rm[:, None])) / sigma_z
    if terms:
        return np.concatenate([chi_rphi, chi_rz], axis=1)
    return (chi_rphi**2).sum(1) + (chi_rz**2).sum(1)


def features(h: np.ndarray) -> dict[str, np.ndarray]:
    """The 23 features of candidates given as (n, 5, 3) hits."""
    r = np.hypot(h[..., 0], h[..., 1])
    phi = np.arctan2(h[..., 1], h[..., 0])
    out = {f"r{i}": r[:, i - 1] for i in HITS}
    out |= {f"z{i}": h[:, i - 1, 2] for i in HITS}
    out |= {f"eta{i}": np.arcsinh(h[:, i - 1, 2] / r[:, i - 1]) for i in HITS}
    dphi = (np.diff(phi, axis=1) + np.pi) % (2 * np.pi) - np.pi
    out |= {f"dphi{i}{i + 1}": dphi[:, i - 1] for i in HITS[:-1]}
    for name, (a, b, c) in zip(("inner", "bridge", "outer"), ((0, 1, 2), (1, 2, 3), (2, 3, 4)), strict=True):
        out[f"curv_{name}"] = _curvature(h[:, a], h[:, b], h[:, c])
    with np.errstate(divide="ignore"):
        out["pt"] = 0.299792458 * B_TESLA / (100.0 * _curvature(h[:, 0], h[:, 2], h[:, 4]))
    return out


def preselected(h: np.ndarray, layers: tuple[int, ...]) -> np.ndarray:
    """The T5 builder's loose cuts, on every candidate: each consecutive |dphi| < MAX_DPHI; each hit
    within 3 sigma_z + Z_SLACK_CM of the r-z line through the innermost and outermost PS-precision hits;
    inner and outer T3 curvatures within CURV_TOLERANCE of each other (relative) + CURV_SLACK."""
    phi = np.arctan2(h[..., 1], h[..., 0])
    dphi = np.abs((np.diff(phi, axis=1) + np.pi) % (2 * np.pi) - np.pi)
    r = np.hypot(h[..., 0], h[..., 1])
    slope = (h[:, 2, 2] - h[:, 0, 2]) / (r[:, 2] - r[:, 0])  # hits 1 and 3: PS modules in both layer sets
    line = h[:, 0, 2][:, None] + slope[:, None] * (r - r[:, :1])
    z_ok = np.abs(h[..., 2] - line) < 3 * SIGMA_Z_CM[list(layers)][None, :] + Z_SLACK_CM
    k_in, k_out = _curvature(h[:, 0], h[:, 1], h[:, 2]), _curvature(h[:, 2], h[:, 3], h[:, 4])
    curv_ok = np.abs(k_in - k_out) < CURV_TOLERANCE * np.maximum(k_in, k_out) + CURV_SLACK
    return (dphi < MAX_DPHI).all(axis=1) & z_ok.all(axis=1) & curv_ok


def _neighbour_hits(true_h: np.ndarray, slots: tuple[int, ...], rng) -> np.ndarray:
    """Another particle's hits on ``slots``, moved next to the candidate's: rotated in phi and shifted
    in z so that its first replaced hit lies within NEIGHBOUR_RPHI_CM / NEIGHBOUR_Z_CM of the one it
    replaces. This stands in for the hit density of 200 pile-up collisions, which is not generated."""
    n = len(true_h)
    other = (np.arange(n) + rng.integers(1, n, size=n)) % n  # any other particle of the chunk
    h = true_h[other][:, list(slots)].copy()
    first = slots[0]
    r = np.hypot(true_h[:, first, 0], true_h[:, first, 1])
    target = np.arctan2(true_h[:, first, 1], true_h[:, first, 0]) + rng.uniform(-1, 1, n) * NEIGHBOUR_RPHI_CM / r
    alpha = target - np.arctan2(true_h[other, first, 1], true_h[other, first, 0])
    c, s = np.cos(alpha)[:, None], np.sin(alpha)[:, None]
    x, y = h[..., 0].copy(), h[..., 1].copy()
    h[..., 0], h[..., 1] = c * x - s * y, s * x + c * y
    dz = true_h[:, first, 2] + rng.uniform(-1, 1, n) * NEIGHBOUR_Z_CM - true_h[other, first, 2]
    h[..., 2] += dz[:, None]
    return h


def candidates(xyz: np.ndarray, event: np.ndarray, pt: np.ndarray, rng, pileup=None) -> tuple[np.ndarray, ...]:
    """(n, 5, 3) hits, label (1 true, 0 fake), fake kind index (-1 for true), the pT of the particle whose
    hits the candidate keeps (the true pT of a true candidate; a combinatorial fake's seed's) and the event,
    over both layer sets. ``pileup``: the (hits, event) of the pile-up particles, for combinatorial fakes."""
    from . import tracking_pileup as pu

    out_h, out_y, out_k, out_pt, out_e = [], [], [], [], []
    every = xyz if pileup is None else np.concatenate([xyz, pileup[0]])
    every_event = event if pileup is None else np.concatenate([event, pileup[1]])
    is_seed = np.arange(len(every)) < len(xyz)
    z_window = 3 * SIGMA_Z_CM + Z_SLACK_CM
    for layers in LAYER_SETS:
        lay = list(layers)
        full = np.flatnonzero(np.isfinite(xyz[:, lay, 0]).all(axis=1))
        if len(full) < 2:
            continue
        true_h = xyz[full][:, lay]
        keep = preselected(true_h, layers)
        out_h.append(true_h[keep])
        out_y.append(np.ones(int(keep.sum()), np.int8))
        out_k.append(np.full(int(keep.sum()), -1, np.int8))
        out_pt.append(pt[full][keep])
        out_e.append(event[full][keep])
        for k, slots in enumerate(((0, 1), (3, 4), (2,))):
            fake = true_h.copy()
            fake[:, list(slots)] = _neighbour_hits(true_h, slots, rng)
            keep = preselected(fake, layers)
            out_h.append(fake[keep])
            out_y.append(np.zeros(int(keep.sum()), np.int8))
            out_k.append(np.full(int(keep.sum()), k, np.int8))
            out_pt.append(pt[full][keep])
            out_e.append(event[full][keep])
        h, seed = pu.combinatorial(every, every_event, is_seed, layers, (preselected, MAX_DPHI, z_window), rng)
        out_h.append(h)
        out_y.append(np.zeros(len(h), np.int8))
        out_k.append(np.full(len(h), FAKE_KINDS.index("combinatorial"), np.int8))
        out_pt.append(pt[seed])
        out_e.append(event[seed])
    return tuple(np.concatenate(a) for a in (out_h, out_y, out_k, out_pt, out_e))


def generate_chunk(config: TrackingConfig, process: str, chunk: int) -> tuple[dict[str, np.ndarray], int]:
    from .llp import _flat
    from .pythia import new_pythia

    seed = config.chunk_seed(process, chunk)
    rng = np.random.default_rng(seed)
    n = min(config.chunk_size, config.events_of(process) - chunk * config.chunk_size)
    pythia = new_pythia(_SETTINGS, seed, "ttbar for T5 candidates")
    f, n = _flat(pythia.nextBatch(n))
    charge = np.sign(f["id"]) * np.where(np.isin(np.abs(f["id"]), (11, 13, 15, 3112, 3312, 3334)), -1, 1)
    charged = np.isin(np.abs(f["id"]), (11, 13, 211, 321, 2212, 3112, 3222, 3312, 3334))
    px, py, pz = f["mom"][:, 0], f["mom"][:, 1], f["mom"][:, 2]
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(pz / pt)
    vr_cm = np.hypot(f["vprod"][:, 0], f["vprod"][:, 1]) / 10.0
    sel = (f["status"] > 0) & charged & (pt > config.pt_min) & (np.abs(eta) < config.eta_max) & (vr_cm < 1.0)
    xyz = hits(
        pt[sel], eta[sel], np.arctan2(py[sel], px[sel]), f["vprod"][sel, 2] / 10.0, charge[sel].astype(float), rng
    )
    from .tracking_pileup import pileup

    h, y, kind, base_pt, event = candidates(xyz, f["event"][sel], pt[sel], rng, pileup(n, rng, hits))
    feats = features(h)
    out = {name: feats[name].astype(np.float64) for name in FEATURES}
    # the event number, unique in the sample: the study splits by it
    out |= {"label": y, "fake_kind": kind, "particle_pt": base_pt, "event": chunk * config.chunk_size + event}
    return out, n


def generate(config: TrackingConfig, workers: int | None = None, progress: bool = True) -> dict:
    from . import samples

    return samples.generate(generate_chunk, config, "pythia8 T5s", workers, progress)


def save(result: dict, path: Path) -> Path:
    from . import samples

    return samples.save_result(result, path, lambda name: True, features=json.dumps(FEATURES))


def load(path: Path) -> dict:
    import h5py

    with h5py.File(path, "r") as f:
        d = {k: f[k][...] for k in f}
        meta = {
            "n_generated": json.loads(f.attrs["n_generated"]),
            "fingerprint": str(f.attrs["fingerprint"]),
            "config": json.loads(f.attrs["config"]),
        }
    raw = np.stack([d[n] for n in FEATURES], axis=1)
    return {"raw": raw, **{k: d[k] for k in ("label", "fake_kind", "particle_pt", "chunk", "event")}, **meta}


def cached(config: TrackingConfig, path: Path, workers: int | None = None) -> Path:
    from .h5cache import cached as cached_file

    return cached_file(path, config.fingerprint(), lambda p: save(generate(config, workers), p), "T5 candidates")[0]
