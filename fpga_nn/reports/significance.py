"""Figures of merit of a resonance search (seed 004): binned significance, AUC, background correlation.

Binned significance: the score axis is cut into ``n_bins`` bins holding equal signal weight; in
each bin the Asimov significance ``Z = sqrt(2 ((s + b) ln(1 + s/b) - s))`` of the expected signal
``s`` over the expected background ``b``; the bins combine in quadrature, ``sqrt(sum Z_i^2)``.
A bin with no background simulated in it is given the weight of one background event (the
smallest background yield the sample can resolve), so an empty bin cannot give infinity.

Background correlation: the squared distance correlation dCor^2(score, m(llg)) on background
events (Szekely et al.; the quantity DisCo regularises, arXiv:2001.05310), zero only when the
score and the mass are independent.
"""

from __future__ import annotations

import numpy as np


def asimov(s: np.ndarray, b: np.ndarray) -> np.ndarray:
    s, b = np.asarray(s, np.float64), np.asarray(b, np.float64)
    return np.sqrt(np.maximum(2.0 * ((s + b) * np.log1p(s / b) - s), 0.0))


def binned_significance(
    score: np.ndarray,
    label: np.ndarray,
    weight: np.ndarray,
    n_bins: int = 8,
    min_background: float | None = None,
    details: bool = False,
):
    """Combined significance of bins of equal signal weight (edges from the weighted signal quantiles).

    ``details=True`` returns a dict with the per-bin s, b and the number of simulated background
    events per bin (bins with none rest on the one-event floor: the figure is then limited by the
    size of the background sample)."""
    score, label, weight = np.asarray(score, np.float64), np.asarray(label), np.asarray(weight, np.float64)
    sig = label == 1
    if not sig.any() or sig.all():
        raise ValueError("binned significance needs both signal and background events")
    order = np.argsort(score[sig], kind="stable")
    s_sorted, w_sorted = score[sig][order], weight[sig][order]
    cum = np.cumsum(w_sorted) / w_sorted.sum()
    inner = [s_sorted[min(np.searchsorted(cum, k / n_bins), len(cum) - 1)] for k in range(1, n_bins)]
    idx = np.searchsorted(np.asarray(inner), score, side="left")  # bin k: (edge k-1, edge k]
    s = np.bincount(idx[sig], weight[sig], minlength=n_bins)
    b = np.bincount(idx[~sig], weight[~sig], minlength=n_bins)
    floor = min_background if min_background is not None else float(weight[~sig].min())
    z = float(np.sqrt(np.sum(asimov(s, np.maximum(b, floor)) ** 2)))
    if details:
        return {
            "significance": z,
            "s": s.tolist(),
            "b": b.tolist(),
            "floor": floor,
            "background_mc": np.bincount(idx[~sig], minlength=n_bins).tolist(),
        }
    return z


def weighted_auc(score: np.ndarray, label: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Area under the ROC curve with event weights (ties count one half), O(n log n)."""
    score, label = np.asarray(score, np.float64), np.asarray(label)
    weight = np.ones(len(score)) if weight is None else np.asarray(weight, np.float64)
    order = np.argsort(score, kind="stable")
    score, label, weight = score[order], label[order], weight[order]
    uniq, start = np.unique(score, return_index=True)
    ws = np.add.reduceat(np.where(label == 1, weight, 0.0), start)
    wb = np.add.reduceat(np.where(label == 1, 0.0, weight), start)
    below_b = np.cumsum(wb) - wb  # background weight strictly below each distinct score
    return float(np.sum(ws * (below_b + 0.5 * wb)) / (ws.sum() * wb.sum()))


def _row_means(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """a_i = sum_j w_j |x_i - x_j| / sum w, for all i in O(n log n) (1-D: sort and cumulate)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cw, cwx = np.cumsum(ws), np.cumsum(ws * xs)
    total_w, total_wx = cw[-1], cwx[-1]
    # below (inclusive): x_i * W_le - WX_le ; above: (WX_tot - WX_le) - x_i * (W_tot - W_le)
    means = (xs * cw - cwx + (total_wx - cwx) - xs * (total_w - cw)) / total_w
    out = np.empty_like(means)
    out[order] = means
    return out


def distance_correlation_sq(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None = None,
    block: int = 2048,
    unbiased: bool = False,
) -> float:
    """Squared distance correlation dCor^2(x, y), exact, in blocks of rows (memory O(n * block)).

    Default: the weighted V-statistic (the DisCo loss's estimator; for independent variables it is
    biased upward by O(1/n)). ``unbiased``: the bias-corrected, U-centred estimator of Szekely and
    Rizzo (Ann. Statist. 42 (2014) 2382), zero in expectation for independent variables and so
    possibly negative; ``weight`` then counts events (frequency weights: an event of weight 2 is
    two events; scale yields to a mean of one)."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    w = np.ones(len(x)) if weight is None else np.asarray(weight, np.float64)
    n = float(w.sum())
    w = w / n
    ax, ay = _row_means(x, w), _row_means(y, w)
    gx, gy = float(np.sum(w * ax)), float(np.sum(w * ay))
    sxy = sxx = syy = 0.0
    for i in range(0, len(x), block):
        dx = np.abs(x[i : i + block, None] - x[None, :])
        dy = np.abs(y[i : i + block, None] - y[None, :])
        wi = w[i : i + block, None] * w[None, :]
        sxy += float(np.sum(wi * dx * dy))
        sxx += float(np.sum(wi * dx * dx))
        syy += float(np.sum(wi * dy * dy))
    if unbiased:
        # Omega(A, B) = [S1 - 2 S2 / (n - 2) + a.. b.. / ((n - 1)(n - 2))] / (n (n - 3)) with S1 = sum_ij a_ij b_ij,
        # S2 = sum_i a_i. b_i., a.. = sum_ij a_ij; here in units of n^2 (sxy), n^3 and n^4 (the row means)
        def omega(s11: float, a: np.ndarray, b: np.ndarray, ga: float, gb: float) -> float:
            return (s11 - 2 * n / (n - 2) * float(np.sum(w * a * b)) + n * n * ga * gb / ((n - 1) * (n - 2))) / (
                1 - 3 / n
            )

        if n <= 3:
            return 0.0
        dcov, vx, vy = omega(sxy, ax, ay, gx, gy), omega(sxx, ax, ax, gx, gx), omega(syy, ay, ay, gy, gy)
        return 0.0 if vx <= 0 or vy <= 0 else float(dcov / np.sqrt(vx * vy))
    # dCov^2 = E|dx dy| + E|dx| E|dy| - 2 E_i[a_i b_i] (weighted V-statistic)
    dcov = sxy + gx * gy - 2.0 * float(np.sum(w * ax * ay))
    vx = sxx + gx * gx - 2.0 * float(np.sum(w * ax * ax))
    vy = syy + gy * gy - 2.0 * float(np.sum(w * ay * ay))
    if vx <= 0 or vy <= 0:
        return 0.0
    return float(max(dcov, 0.0) / np.sqrt(vx * vy))
