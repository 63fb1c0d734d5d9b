"""The five 8-bit trigger inputs, and the selections the network must beat at the same rate.

Inputs, each ``code = clip(floor(x / 0.5 GeV), 0, 255)`` (0.5 GeV is the ET LSB of CMS's Phase-2
level-1 objects; 127.5 GeV saturates, far above every threshold that matters here; 0 = no object):

=========  ======================================================================
eg1_et     ET of the hardest level-1 e/gamma candidate (electron or photon: no tracks at level 1)
eg2_et     ET of the second
eg3_et     ET of the third (H -> Z gamma -> e e gamma has three; mu mu gamma has one)
mu1_pt     pT of the hardest level-1 muon
mu2_pt     pT of the second
=========  ======================================================================

The network sees ``code / 2^(8 - I)`` (``ap_ufixed<8,I>``: the code's bits are the input, a wire); the study
picks I on the validation crossings among ``TriggerRateConfig.input_integer_bits``: I = 0 (``code / 256``, the
default trigger's coding) squeezes every threshold below 64 GeV into [0, 0.5), where weights in [-2, 2)
cannot cut sharply.

Rates are sums of crossing weights (Hz, :mod:`.stream`) over the crossings a selection keeps; a threshold
is chosen on one set of crossings and its rate and efficiency are measured on another.
"""

from __future__ import annotations

import numpy as np

from ...data.preprocess import from_dict

LSB_GEV = 0.5
FEATURES = (("eg1_et", "eg", 0), ("eg2_et", "eg", 1), ("eg3_et", "eg", 2), ("mu1_pt", "mu", 0), ("mu2_pt", "mu", 1))
NAMES = tuple(f[0] for f in FEATURES)


def preprocessing(integer_bits: int = 3):
    """The declared input stage: the network takes ``code / 2^(8 - integer_bits)``, an ``ap_ufixed<8,
    integer_bits>`` that holds every code exactly (a wire: the code's bits with the binary point moved)."""
    return from_dict(
        {
            "input_type": f"ap_ufixed<8,{integer_bits}>",
            "features": [
                {
                    "name": name,
                    "unit": "GeV",
                    "bus": {"bits": 8, "lsb": LSB_GEV, "offset": 0.0},
                    "transform": [{"op": "affine", "offset": 0.0, "scale": 2.0**integer_bits / 256 / LSB_GEV}],
                }
                for name, _, _ in FEATURES
            ],
        },
        "the trigger-rate inputs",
    )


def raw(stream: dict) -> np.ndarray:
    """(N, 5) input values in GeV from a stream's objects."""
    return np.stack([stream[kind][:, i, 0] for _, kind, i in FEATURES], axis=1).astype(np.float64)


def codes(raw_values: np.ndarray) -> np.ndarray:
    return preprocessing().encode(raw_values).astype(np.int64)


def threshold_for_rate(scores: np.ndarray, weights: np.ndarray, budget_hz: float) -> float:
    """The lowest threshold t whose rate ``sum(weights[scores >= t])`` stays within the budget: a score of the
    background, or just above the highest (inf without background)."""
    if len(scores) == 0:
        return float("inf")
    values, inverse = np.unique(scores, return_inverse=True)
    above = np.cumsum(np.bincount(inverse, weights, len(values))[::-1])[::-1]  # rate of scores >= values[i]
    ok = np.flatnonzero(above <= budget_hz)
    return float(values[ok[0]]) if len(ok) else float(np.nextafter(values[-1], np.inf))


def rate(passed: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Rate (Hz) of the passing crossings and its Monte Carlo error sqrt(sum w^2)."""
    w = weights[passed]
    return float(w.sum()), float(np.sqrt(np.sum(w**2)))


def curve(scores_sig: np.ndarray, scores_bkg: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rate Hz, signal efficiency) at every threshold, for an efficiency-vs-rate plot."""
    values = np.unique(np.concatenate([scores_sig, scores_bkg]))[::-1]
    bkg = np.searchsorted(np.sort(scores_bkg), values, side="left")
    order = np.argsort(scores_bkg)
    tail = np.concatenate([np.cumsum(weights[order][::-1])[::-1], [0.0]])
    r = tail[bkg]
    eff = 1 - np.searchsorted(np.sort(scores_sig), values, side="left") / max(len(scores_sig), 1)
    return r, eff


def best_single_threshold(x: np.ndarray, signal: np.ndarray, weights: np.ndarray, budget_hz: float) -> dict:
    """One threshold on one input (``x_k >= t``), the most efficient within the budget on these crossings
    (``weights``: every crossing's, signal ones ignored)."""
    best = {"cuts": [0] * x.shape[1], "efficiency": -1.0}
    for k in range(x.shape[1]):
        t = _code(threshold_for_rate(x[~signal, k], weights[~signal], budget_hz))
        eff = float(np.mean(x[signal, k] >= t))
        if eff > best["efficiency"]:
            cuts = [0] * x.shape[1]
            cuts[k] = t
            best = {"cuts": cuts, "efficiency": eff}
    return best


def best_rectangular_cuts(x: np.ndarray, signal: np.ndarray, weights: np.ndarray, budget_hz: float) -> dict:
    """Lower thresholds on every input at once (``x_k >= t_k`` for all k; 0 = no cut), the most efficient within
    the budget: coordinate ascent over the codes of each input, started from no cut and from every
    single-input threshold, until no input's threshold improves it."""
    n = x.shape[1]
    wb = weights[~signal]
    starts = [[0] * n] + [
        [_code(threshold_for_rate(x[~signal, k], wb, budget_hz)) if i == k else 0 for i in range(n)] for k in range(n)
    ]
    return _ascend(x[signal], x[~signal], wb, budget_hz, starts, np.all)


def best_or_menu(x: np.ndarray, signal: np.ndarray, weights: np.ndarray, budget_hz: float) -> dict:
    """A menu, as level-1 triggers are run: fire when ANY input passes its own threshold (``x_k >= t_k``;
    256 = that input not used), the most efficient menu within the budget: coordinate ascent as for the
    rectangular cuts, started from an empty menu, from every single-input threshold and from every pair of
    inputs sharing the budget (1:3, 1:1, 3:1)."""
    n = x.shape[1]
    xb, wb = x[~signal], weights[~signal]

    def at(k: int, share: float) -> int:
        return _code(threshold_for_rate(xb[:, k], wb, share * budget_hz))

    starts = [[256] * n] + [[at(k, 1.0) if i == k else 256 for i in range(n)] for k in range(n)]
    for i in range(n):  # every pair of inputs sharing the budget
        for j in range(i + 1, n):
            for share in (0.25, 0.5, 0.75):
                cuts = [256] * n
                cuts[i], cuts[j] = at(i, share), at(j, 1 - share)
                starts.append(cuts)
    return _ascend(x[signal], xb, wb, budget_hz, starts, np.any)


def _ascend(xs, xb, wb, budget_hz: float, starts: list[list[int]], combine) -> dict:
    """Coordinate ascent on per-input code thresholds (0..256) combined by ``combine`` (np.all: AND, np.any:
    OR): each input's threshold in turn becomes the most efficient one within the budget, the others fixed,
    until none moves; the best end point over ``starts``."""
    n = xs.shape[1]
    best = {"cuts": list(starts[0]), "efficiency": -1.0}
    for cuts in starts:
        cuts = list(cuts)
        for _ in range(20):
            changed = False
            for k in range(n):
                others_s = combine(np.delete(xs >= cuts, k, axis=1), axis=1)
                others_b = combine(np.delete(xb >= cuts, k, axis=1), axis=1)
                # AND: x_k decides among the crossings the others pass; OR: among those they do not
                free_s, free_b = (others_s, others_b) if combine is np.all else (~others_s, ~others_b)
                sig = _tail(np.bincount(xs[free_s, k], minlength=256)) + (0 if combine is np.all else others_s.sum())
                bkg = _tail(np.bincount(xb[free_b, k], wb[free_b], minlength=256))
                bkg = bkg + (0.0 if combine is np.all else float(wb[others_b].sum()))
                allowed = bkg <= budget_hz
                if not allowed.any():
                    continue
                t = int(np.argmax(np.where(allowed, sig, -1)))
                if sig[t] > sig[cuts[k]] or not allowed[cuts[k]]:
                    changed |= t != cuts[k]
                    cuts[k] = t
            if not changed:
                break
        eff = float(np.mean(combine(xs >= cuts, axis=1)))
        if rate(combine(xb >= cuts, axis=1), wb)[0] <= budget_hz and eff > best["efficiency"]:
            best = {"cuts": [int(c) for c in cuts], "efficiency": eff}
    return best


def _tail(counts: np.ndarray) -> np.ndarray:
    """(257,) sums of ``counts`` at and above each code (entry 256: nothing passes)."""
    return np.append(np.cumsum(counts[::-1])[::-1], 0)


def _code(threshold: float) -> int:
    """A threshold on 8-bit codes: the lowest code at or above it (256: no code passes)."""
    return int(min(np.ceil(threshold), 256)) if np.isfinite(threshold) else 256


def passes_cuts(x: np.ndarray, cuts: list[int]) -> np.ndarray:
    return np.all(x >= np.asarray(cuts), axis=1)


def passes_menu(x: np.ndarray, cuts: list[int]) -> np.ndarray:
    return np.any(x >= np.asarray(cuts), axis=1)
