"""Paired differences between the suite's rows: seed means, the paired bootstrap of the test set (the same
Poisson replicas for every row) in quadrature with the seeds' errors of the means."""

from __future__ import annotations

import numpy as np

from ...reports.paired import words
from .data import disco_base


def _mean_var(r: dict, metric: str) -> tuple[float, float]:
    """A row's headline value (the seed mean for a neural row) and the variance of that mean (the seeds' sample
    variance / their number)."""
    if len(r.get("seeds") or ()) > 1:
        v = [p[metric] for p in r["seeds"]]
        return float(np.mean(v)), float(np.var(v, ddof=1)) / len(v)
    return float(r["test"][metric]), 0.0  # a tree row, or one seed (tabulated as the row's test)


def paired_difference(a: dict, b: dict, metric: str) -> tuple[float, float] | None:
    """Difference of the rows' headline values (seed means for neural rows) and its error: the paired
    bootstrap of the first seeds in quadrature with the seed spreads' errors of the means."""
    ra, rb = a["test"].get("replicas", {}).get(metric), b["test"].get("replicas", {}).get(metric)
    if not ra or not rb:
        return None
    boot = float(np.std(np.asarray(ra) - np.asarray(rb)))
    (ma, va), (mb, vb) = _mean_var(a, metric), _mean_var(b, metric)
    return ma - mb, float(np.sqrt(boot**2 + va + vb))


def correlation_difference(a: dict, b: dict) -> tuple[float, float]:
    """dCor^2 of A minus B (seed means): the two rows' test errors (not paired: each has its own estimate of
    the estimator's spread) in quadrature with the seeds' errors of the means."""
    (ma, va), (mb, vb) = _mean_var(a, "bkg_corr"), _mean_var(b, "bkg_corr")
    ea, eb = a["test"].get("bkg_corr_err", 0.0), b["test"].get("bkg_corr_err", 0.0)
    return ma - mb, float(np.sqrt(ea**2 + eb**2 + va + vb))


def indexed(results: dict) -> dict[tuple[str, str, str], dict]:
    """The comparisons of ``results`` by (row A, row B, metric)."""
    return {(c["a"], c["b"], c["metric"]): c for c in results.get("comparisons", [])}


def comparisons(rows: list[dict]) -> list[dict]:
    """Paired differences between rows: the ordering of methods and DisCo's effect."""
    by = {r["key"]: r for r in rows}
    out = []
    pairs = [
        ("XGBoost", "BDT"),
        ("DFNN-bce", "XGBoost"),
        ("ETN-bce", "XGBoost"),
        ("ETN-bce", "DFNN-bce"),
        ("DFNN-bce", "FNN-bce"),
        ("ETN-bce", "BDT"),
        ("FNN-bce", "Random"),
    ]
    cut = next((r["key"] for r in rows if r["method"] == "Cut"), None)
    if cut:  # every method against the simplest baseline: categories in one variable
        pairs += [(k, cut) for k in ("BDT", "XGBoost", "FNN-bce", "DFNN-bce", "ETN-bce")]
    for a, b in pairs:
        if a in by and b in by:
            for metric in ("significance", "auc"):
                d = paired_difference(by[a], by[b], metric)
                if d:
                    out.append({"a": a, "b": b, "metric": metric, "difference": d[0], "error": d[1]})
    for r in rows:
        if r.get("disco") and not r.get("firmware"):
            base = disco_base(r["key"], by)
            if base:
                d = correlation_difference(r, by[base])
                out.append({"a": r["key"], "b": base, "metric": "bkg_corr", "difference": d[0], "error": d[1]})
                d = paired_difference(r, by[base], "significance")
                if d:
                    out.append({"a": r["key"], "b": base, "metric": "significance", "difference": d[0], "error": d[1]})
    return out


SEED_ORDER = (("XGBoost", "BDT", ">"), ("DFNN-bce", "XGBoost", ">"), ("ETN-bce", "DFNN-bce", ">="))


def ordering(results: dict) -> list[str]:
    """Seed 004's BDT < XGBoost < DFNN <= ETN in significance, pair by pair, from the paired differences
    (seed means; paired bootstrap in quadrature with the seeds' errors of the means). A strict step whose
    difference exceeds twice its error is reproduced in direction only (the seed's gaps were far larger;
    their size is not what is tested), one below minus twice its error is refuted; the last step (<=) is
    "not contradicted" unless refuted. Words for nothing more than what the difference shows."""
    comp = indexed(results)
    steps, verdicts = [], []
    for a, b, rel in SEED_ORDER:
        c = comp.get((a, b, "significance"))
        if c is None:
            return []
        d, e = c["difference"], c["error"]
        if d < -2 * e:
            v = "refuted"
        elif d > 2 * e:
            v = "direction only"
        else:
            v = "not contradicted" if rel == ">=" else "not resolved"
        verdicts.append(v)
        steps.append(f"{a} - {b} = {d:+.4f} ± {e:.4f} ({v})")
    if "refuted" in verdicts:
        overall = "refuted"
    elif set(verdicts) <= {"direction only", "not contradicted"}:
        overall = "direction only, every strict step beyond 2 errors"
    else:
        overall = "not resolved"
    return [
        f"- **Seed 004's ordering BDT < XGBoost < DFNN <= ETN in significance: {overall}.** "
        + "; ".join(steps)
        + ". Rule: a strict step shows its direction when the paired difference exceeds 2 errors (its size is"
        " not compared with the seed's), fails when it is below -2 errors."
    ]


def baseline(results: dict) -> list[str]:
    """Every method against the simplest baseline: categories in one variable (the table's Cut row), in
    significance and AUC, from the paired differences (seed means; seed and test errors combined)."""
    cut = next((r for r in results["rows"] if r["method"] == "Cut"), None)
    if cut is None:
        return []
    comp = indexed(results)
    parts = []
    for r in results["rows"]:
        z, a = comp.get((r["key"], cut["key"], "significance")), comp.get((r["key"], cut["key"], "auc"))
        if z and a:
            parts.append(
                f"{r['label']} {z['difference']:+.4f} ± {z['error']:.4f} ({words(z)}), AUC "
                f"{100 * a['difference']:+.2f} ± {100 * a['error']:.2f} pts ({words(a)})"
            )
    t = cut["test"]
    return [
        f"- **Against the simplest baseline, {cut['label']} alone** ({cut['extra'].get('direction', '')}; "
        f"significance {t['significance']:.4f} ± {t.get('significance_err', 0):.4f}, AUC {100 * t['auc']:.2f} %), "
        "each method minus the cuts: " + "; ".join(parts) + "."
    ]
