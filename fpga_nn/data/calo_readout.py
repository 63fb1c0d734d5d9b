"""What a level-1 calorimeter tower reports for the triggered bunch crossing (the LLP toy's readout).

:func:`towers` turns particle deposits (:func:`fpga_nn.data.calo.particle_deposits`) into the
(em, had, time) tower maps the jet finder reads. Beside the triggered collision, a tower holds:

* **In-time pile-up** at 2e34 (about 200 collisions per crossing), after the level-1 subtraction:
  a flat ET (exponential, mean 0.1 GeV, in 40 % of the towers), and **pile-up jets**: Poisson(4)
  per crossing with ET > 10 GeV, dN/dET ~ ET^-4, uniform in |eta| < 2.5 and phi, EM fraction
  N(0.35, 0.15), spread as 10 equal parts with a Gaussian of 0.1 in eta and phi. They are a
  parametrised stand-in for minimum-bias jets, not generated collisions.
* **Out-of-time pile-up**: the crossings 25 and 50 ns earlier carry the same pile-up; the tails of
  their pulses that the level-1 filter leaves leak 10 % and 1 % of their ET into the triggered
  crossing. The TDC sees a leaked pulse already high when the window opens, so its share of a
  tower's time is read at the window's start (-12.5 ns): it pulls a tower early. Later crossings
  leave nothing (their pulses start after the window).
* **Electronic noise**: Gaussian, 0.15 GeV per tower in the ECAL part and 0.3 GeV in the HCAL part
  (a tower whose ET is below 0.5 GeV reads zero: zero suppression, so noise adds no offset to a
  jet's sum; neither part of a tower goes below zero), and **ECAL spikes** (anomalous single-tower signals of the
  photodetectors): Poisson(0.02) per crossing in the barrel (|eta| < 1.48), ET 3 GeV +
  exponential(15 GeV), EM only, in time.
* **Level-1 timing**: a tower's time is the ET-weighted arrival time of what it holds, measured
  with a resolution sigma_t = 1 ns (+) 3 ns GeV / ET_tower (quadrature: 1 ns for a hard tower,
  several ns near the 0.5 GeV tower threshold, noise towers get random times) and reported in
  0.5 ns steps (a TDC's least significant bit) inside the +-12.5 ns window. These numbers are a
  stated stand-in for a level-1 TDC (ns-scale), not a measured detector's.

Energies are smeared as before (ECAL 3 %/sqrt(E) + 1 %, HCAL 100 %/sqrt(E) + 5 %); a deposit
more than 12.5 ns off belongs to another crossing and is not read out.
"""

from __future__ import annotations

import numpy as np

from .calo import D_ETA, D_PHI, ETA_MAX, N_ETA, N_PHI, READOUT_NS

PU_TOWER_OCCUPANCY, PU_TOWER_ET = 0.4, 0.1
PU_JETS, PU_JET_ET_MIN, PU_JET_SLOPE, PU_JET_SPREAD, PU_JET_PARTS = 4.0, 10.0, 4.0, 0.1, 10
OOT_LEAK = {-1: 0.10, -2: 0.01}  # crossing (25 ns each) -> share of its ET in the triggered crossing
NOISE_EM, NOISE_HAD = 0.15, 0.3  # GeV per tower
ZERO_SUPPRESS = 0.5  # GeV: a tower below it reads zero
SPIKES, SPIKE_ETA, SPIKE_ET_MIN, SPIKE_ET_MEAN = 0.02, 1.48, 3.0, 15.0
TIME_RES_NS, TIME_NOISE_NS_GEV, TDC_LSB_NS = 1.0, 3.0, 0.5
VERSION = 1  # bump when the readout model changes: part of every LLP sample's fingerprint


def pileup_jets(n_events: int, rng) -> tuple[np.ndarray, ...]:
    """Deposit rows (event, eta, phi, et, hadronic?) of one crossing's pile-up jets."""
    n = rng.poisson(PU_JETS, n_events)
    ev = np.repeat(np.arange(n_events), n)
    k = len(ev)
    et = PU_JET_ET_MIN * rng.uniform(size=k) ** (-1 / (PU_JET_SLOPE - 1))
    eta, phi = rng.uniform(-ETA_MAX, ETA_MAX, k), rng.uniform(-np.pi, np.pi, k)
    em = np.clip(rng.normal(0.35, 0.15, k), 0, 1)
    m = k * PU_JET_PARTS
    ev_p = np.repeat(ev, PU_JET_PARTS)
    p_eta = np.repeat(eta, PU_JET_PARTS) + rng.normal(0, PU_JET_SPREAD, m)
    p_phi = np.repeat(phi, PU_JET_PARTS) + rng.normal(0, PU_JET_SPREAD, m)
    p_et, p_em = np.repeat(et / PU_JET_PARTS, PU_JET_PARTS), np.repeat(em, PU_JET_PARTS)
    two = np.concatenate
    return (
        two([ev_p, ev_p]),
        two([p_eta, p_eta]),
        two([p_phi, p_phi]),
        two([p_et * p_em, p_et * (1 - p_em)]),
        two([np.zeros(m, bool), np.ones(m, bool)]),
    )


def _add(maps, event, eta, phi, et, had, t) -> None:
    """Sum deposits into (em, had, ET x time) maps; ``t`` a time per deposit or one for all."""
    em, hd, tsum = maps
    ok = (np.abs(eta) < ETA_MAX) & (et > 0)
    ie = ((eta[ok] + ETA_MAX) / D_ETA).astype(int).clip(0, N_ETA - 1)
    ip = (((phi[ok] + np.pi) / D_PHI).astype(int)) % N_PHI
    ev, e_ok, h_ok = event[ok], et[ok], had[ok]
    np.add.at(em, (ev[~h_ok], ie[~h_ok], ip[~h_ok]), e_ok[~h_ok])
    np.add.at(hd, (ev[h_ok], ie[h_ok], ip[h_ok]), e_ok[h_ok])
    np.add.at(tsum, (ev, ie, ip), e_ok * (t[ok] if np.ndim(t) else t))


def _flat_pileup(shape, rng) -> np.ndarray:
    return rng.exponential(PU_TOWER_ET, shape) * (rng.uniform(size=shape) < PU_TOWER_OCCUPANCY)


def towers(n_events: int, deposits, rng):
    """(em, had, time) tower arrays (n_events, 58, 72) of the triggered crossing (see the module text)."""
    event, eta, phi, et, had, dt = deposits
    shape = (n_events, N_ETA, N_PHI)
    maps = (np.zeros(shape), np.zeros(shape), np.zeros(shape))
    now = np.abs(dt) < READOUT_NS
    _add(maps, event[now], eta[now], phi[now], et[now], had[now], dt[now])
    _add(maps, *pileup_jets(n_events, rng), 0.0)
    em, hd, tsum = maps
    for leak in OOT_LEAK.values():
        ev, j_eta, j_phi, j_et, j_had = pileup_jets(n_events, rng)
        _add(maps, ev, j_eta, j_phi, j_et * leak, j_had, -READOUT_NS)
        flat = _flat_pileup(shape, rng) * leak
        em += flat / 2
        hd += flat / 2
        tsum -= flat * READOUT_NS
    n_spikes = rng.poisson(SPIKES, n_events)
    ev = np.repeat(np.arange(n_events), n_spikes)
    k = len(ev)
    _add(
        maps,
        ev,
        rng.uniform(-SPIKE_ETA, SPIKE_ETA, k),
        rng.uniform(-np.pi, np.pi, k),
        SPIKE_ET_MIN + rng.exponential(SPIKE_ET_MEAN, k),
        np.zeros(k, bool),
        0.0,
    )
    total = em + hd
    time = np.divide(tsum, total, out=np.zeros_like(tsum), where=total > 0)
    em = em + rng.normal(0, 1, shape) * np.sqrt(0.03**2 * em + (0.01 * em) ** 2)
    hd = hd + rng.normal(0, 1, shape) * np.sqrt(1.0**2 * hd + (0.05 * hd) ** 2)
    flat = _flat_pileup(shape, rng)
    em = em + flat / 2 + rng.normal(0, NOISE_EM, shape)
    hd = hd + flat / 2 + rng.normal(0, NOISE_HAD, shape)
    read = em + hd >= ZERO_SUPPRESS  # zero suppression: no noise-driven offset in a window's sum
    em, hd = np.where(read, np.maximum(em, 0), 0), np.where(read, np.maximum(hd, 0), 0)
    sigma_t = np.hypot(TIME_RES_NS, TIME_NOISE_NS_GEV / np.maximum(em + hd, 0.05))
    time = time + rng.normal(0, 1, shape) * sigma_t
    time = np.clip(np.round(time / TDC_LSB_NS) * TDC_LSB_NS, -READOUT_NS, READOUT_NS)
    return em.astype(np.float32), hd.astype(np.float32), time.astype(np.float32)
