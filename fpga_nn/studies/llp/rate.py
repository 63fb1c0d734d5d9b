"""The LLP tagger at a level-1 trigger's working point: signal efficiency where 1e-4 and 1e-5 of the
multijet + pile-up jets pass, and the level-1 rate that means at 2e34.

The background is a sample of its own (:class:`fpga_nn.data.llp.LlpRateConfig`: multijet events of
another seed, every level-1 jet above 40 GeV in |eta| < 2.4, up to four per event, the same detector
with pile-up, out-of-time pile-up and noise): none of its events was seen in training, validation or
any choice of the study. The signal jets are the test events' of the main sample.

A working point is a cut ``score >= cut`` with at most the target fraction of background jets at or
above it (ties move the cut up). Errors: a Poisson bootstrap of both samples with the cut found again
in every replica, so the cut's own uncertainty (100 or 10 background jets above it at 1e-4 / 1e-5 of
1e6) is inside the signal efficiency's error. The rate: events with at least one jet above the cut /
events generated x the generated cross-section (Pythia's sigma for pTHat > 40 GeV) x the
luminosity, with the Poisson error of the events counted; a lower bound of the multijet rate (events
below pTHat 40 GeV that still make a 40 GeV level-1 jet are not generated).
"""

from __future__ import annotations

import numpy as np

from ...data import calo, dataset, llp
from ...data.calo import INPUTS
from ...fixed.arith import on_grid
from ...reports.paired import words

MB_TO_CM2 = 1e-27


def rate_sample(cfg, data: dict, workers: int | None = None) -> dict:
    """The rate sample's jets as the networks see them (the training standardisation, the input grid)."""
    from ...data import h5cache

    rc = cfg.rate_data
    path = llp.cached(rc, dataset.cache_dir("llp") / f"llp-rate-{rc.fingerprint()}.h5", workers)
    d = llp.load_features(path)
    raw = np.stack([d[f] for f in INPUTS], axis=1)
    x = on_grid(((raw - data["mean"]) / data["std"]).astype(np.float32), data["input_type"])
    n_events = int(d["n_generated"]["multijet"])
    _, first = np.unique(d["chunk"], return_index=True)  # each chunk's Pythia sigma, once
    sigma = float(np.mean(d["sigma_mb"][first])) if len(first) else 0.0
    return {
        "x": x,
        "features": {f: d[f] for f in INPUTS},
        "event": d["chunk"].astype(np.int64) * 1_000_000 + d["event"],
        "n_events": n_events,
        "sigma_mb": sigma,
        "info": {
            "path": h5cache.portable(path),
            "fingerprint": rc.fingerprint(),
            "events": n_events,
            "jets": int(len(x)),
            "jets_per_event": round(len(x) / max(n_events, 1), 4),
            "sigma_mb": sigma,
            "seed": rc.seed,
        },
    }


def _cut_at(order: np.ndarray, k):
    """The cut just above the jet of rank ``k`` of ``order`` (sorted descending): the ``k`` jets above it pass,
    ties with it do not; -inf when ``k`` is past the last jet. ``k`` a number or an array of them."""
    k = np.asarray(k, int)
    if not len(order):
        return np.full(k.shape, -np.inf) if k.ndim else -np.inf
    cut = np.where(k < len(order), np.nextafter(order[np.minimum(k, len(order) - 1)], np.inf), -np.inf)
    return float(cut) if cut.ndim == 0 else cut


def _cut(top: np.ndarray, weights: np.ndarray, k: float) -> float:
    """The lowest cut with a weight of at most ``k`` of the jets ``top`` (sorted descending) at or above it."""
    return _cut_at(top, int(np.searchsorted(np.cumsum(weights), k, side="right")))


def cut_for(background: np.ndarray, target: float) -> float:
    """The lowest cut (``score >= cut``) with at most ``target`` of ``background`` at or above it."""
    order = np.sort(np.asarray(background, np.float64))[::-1]
    return _cut_at(order, int(np.floor(target * len(order))))


def working_point(
    signal: np.ndarray,
    background: np.ndarray,
    bkg_event: np.ndarray,
    n_events: int,
    target: float,
    rate_per_event_hz: float,
) -> dict:
    """Signal efficiency, achieved mistag and the event rate at the cut for ``target`` (see the module)."""
    signal, background = np.asarray(signal, np.float64), np.asarray(background, np.float64)
    cut = cut_for(background, target)
    passed = background >= cut
    fired = len(np.unique(bkg_event[passed]))
    rate = rate_per_event_hz * fired / max(n_events, 1)
    return {
        "target_mistag": target,
        "cut": cut,
        "background_jets_passing": int(passed.sum()),
        "mistag": float(passed.mean()),
        "signal_efficiency": float(np.mean(signal >= cut)),
        "signal_jets": int(len(signal)),
        "events_fired": fired,
        "rate_khz": rate / 1e3,
        "rate_khz_err": rate / 1e3 / np.sqrt(fired) if fired else None,
    }


def replicas(scores: dict, targets, n_boot: int, seed: int) -> np.ndarray:
    """Signal efficiencies (replica, discriminant, target) on Poisson(1) replicas of both samples, the cut
    found again in each. Every discriminant sees the same replica of the same jets: differences are paired."""
    names = list(scores)
    sig0, bkg0 = scores[names[0]]
    n_bkg, n_sig = len(bkg0), len(sig0)
    depth = min(n_bkg, 20 * int(max(targets) * n_bkg) + 1000)  # the jets that can decide a cut
    tops = {}
    for n in names:
        bkg = np.asarray(scores[n][1], np.float64)
        idx = np.argsort(-bkg, kind="stable")[:depth]
        tops[n] = (idx, bkg[idx], np.asarray(scores[n][0], np.float64))
    rng = np.random.default_rng(seed)
    out = np.zeros((n_boot, len(names), len(targets)))
    for b in range(n_boot):
        wb, ws = rng.poisson(1.0, n_bkg), rng.poisson(1.0, n_sig)
        total, norm = wb.sum(), max(ws.sum(), 1)
        for j, n in enumerate(names):
            idx, top, sig = tops[n]
            for t, target in enumerate(targets):
                out[b, j, t] = np.sum(ws * (sig >= _cut(top, wb[idx], np.floor(target * total)))) / norm
    return out


def calratio(features: dict) -> np.ndarray:
    """The CalRatio cut a physicist tries first (ATLAS's displaced-jet trigger): no prompt track in the
    jet, then log10(E_had / E_EM) above a cut; jets with a track never pass."""
    return np.where(features["n_tracks"] == 0, features["log_had_em"], -np.inf)


def best_single_input(features_val: dict, y_val: np.ndarray, target: float = 0.01) -> tuple[str, float]:
    """The input, and its orientation (+1: signal high), whose one-sided cut keeps the most validation signal
    jets where ``target`` of the validation multijet jets pass (ties at the top count against it)."""

    def efficiency(name: str, sign: float) -> float:
        v = sign * np.asarray(features_val[name], np.float64)
        return float(np.mean(v[y_val == 0] >= cut_for(v[y_val == 1], target)))

    return max(((n, s) for n in INPUTS for s in (1.0, -1.0)), key=lambda t: efficiency(*t))


DEPTH_EDGES_MM = (1100.0, 1290.0, 1800.0, 2300.0, 2950.0)  # tracker end, ECAL front, HCAL front, mid, back


def efficiency_by_depth(depth: np.ndarray, y: np.ndarray, score: np.ndarray, threshold: float) -> list[dict]:
    """The firmware's signal efficiency at its cut (``score >= threshold``) in bins of the s decay depth,
    quoted as a barrel radius (depth x R_ECAL, mm), with binomial errors."""
    radius = depth * calo.R_ECAL
    threshold = np.inf if threshold is None else threshold  # no cut reaches the rate: nothing passes
    rows = []
    for lo, hi in zip(DEPTH_EDGES_MM, DEPTH_EDGES_MM[1:], strict=False):
        m = (y == 0) & (radius >= lo) & (radius < hi)
        eff = float(np.mean(score[m] >= threshold)) if m.any() else None
        err = float(np.sqrt(eff * (1 - eff) / m.sum())) if m.any() else None
        rows.append({"radius_mm": [lo, hi], "jets": int(m.sum()), "efficiency": eff, "error": err})
    return rows


def trigger_table(scores: dict, seeds: dict, sig_depth: np.ndarray, rate: dict, cfg) -> dict:
    """Every discriminant's working points and the paired comparisons between them.

    ``scores``: name -> (signal scores, background scores), the first training seed's networks and the
    baselines; ``seeds``: network name -> [(signal, background) per training seed], the first seed's
    first. A network's efficiency is quoted for the first seed (the firmware) with its replica error, and
    as the mean and spread over seeds. A comparison a - b: the seed mean of the per-seed differences,
    error = seed spread / sqrt(seeds) (+) the replicas' spread of the first seed's paired difference;
    "higher" / "lower" only beyond twice that error."""
    hz = rate["sigma_mb"] * MB_TO_CM2 * cfg.luminosity
    targets = tuple(cfg.mistags)
    names = list(scores)
    boot = replicas(scores, targets, cfg.bootstrap, cfg.seed)
    per_seed = {
        n: np.array([[np.mean(np.asarray(sig) >= cut_for(bkg, t)) for t in targets] for sig, bkg in seeds.get(n, [])])
        for n in names
    }
    rows = {}
    for j, name in enumerate(names):
        sig, bkg = scores[name]
        points = []
        for t, target in enumerate(targets):
            wp = working_point(sig, bkg, rate["event"], rate["n_events"], target, hz)
            wp["signal_efficiency_err"] = float(np.std(boot[:, j, t]))
            if len(per_seed[name]):
                e = per_seed[name][:, t]
                wp["seeds"] = {"efficiency": e.tolist(), "mean": float(e.mean()), "sd": float(e.std(ddof=1))}
            wp["by_depth"] = efficiency_by_depth(sig_depth, np.zeros(len(sig), int), np.asarray(sig), wp["cut"])
            points.append(wp)
        rows[name] = points
    comparisons = []
    nets = [n for n in names if len(per_seed[n])]
    pairs = [(a, b) for a in nets for b in names if b not in nets] + [
        (nets[i + 1], nets[i]) for i in range(len(nets) - 1)
    ]
    for a, b in pairs:
        ja, jb = names.index(a), names.index(b)
        for t, target in enumerate(targets):
            ea = per_seed[a][:, t]
            eb = per_seed[b][:, t] if len(per_seed[b]) else np.full(len(ea), rows[b][t]["signal_efficiency"])
            d = ea - eb
            seed_err = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
            test_err = float(np.std(boot[:, ja, t] - boot[:, jb, t]))
            err = float(np.hypot(seed_err, test_err))
            comparisons.append(
                {
                    "a": a,
                    "b": b,
                    "target_mistag": target,
                    "difference": float(d.mean()),
                    "error": err,
                    "seed_error": seed_err,
                    "test_error": test_err,
                    "seeds": len(d),
                    "verdict": words({"difference": float(d.mean()), "error": err}),
                }
            )
    return {
        "luminosity_cm2s": cfg.luminosity,
        "multijet_rate_hz": hz,
        "background": rate["info"],
        "training_seeds": len(next(iter(seeds.values()), [])),
        "rows": rows,
        "comparisons": comparisons,
    }


def efficiency_curve(signal: np.ndarray, background: np.ndarray, mistags: np.ndarray) -> np.ndarray:
    """Signal efficiency at the cut of each mistag (the cuts of ``cut_for``), sorting each sample once."""
    sig = np.sort(np.asarray(signal, np.float64))
    order = np.sort(np.asarray(background, np.float64))[::-1]
    cuts = _cut_at(order, np.floor(np.asarray(mistags) * len(order)))
    return (len(sig) - np.searchsorted(sig, cuts, side="left")) / max(len(sig), 1)


def plot(scores: dict, n_background: int, path) -> None:
    """Signal efficiency against the multijet mistag per jet, every discriminant, down to one background jet."""
    from ...reports.plots import _plt, save_figure

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    mistags = np.logspace(np.log10(1.0 / max(n_background, 1)), -1, 60)
    for (name, (sig, bkg)), style in zip(scores.items(), ["-", "--", ":", "-."] * 2, strict=False):
        ax.plot(mistags, efficiency_curve(sig, bkg, mistags), style, label=name)
    ax.set_xscale("log")
    ax.set_xlabel(f"multijet + pile-up jets passing (of {n_background:,})")
    ax.set_ylabel("LLP signal jet efficiency")
    ax.legend(loc="upper left", fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    save_figure(fig, path, 120)
    plt.close(fig)


def markdown(t: dict) -> list[str]:
    b = t["background"]
    targets = [p["target_mistag"] for p in next(iter(t["rows"].values()))]
    lines = [
        "## At a level-1 trigger's working point",
        "",
        f"Background: {b['jets']:,} level-1 jets (ET > 40 GeV, |eta| < 2.4, up to four per event) of "
        f"{b['events']:,} multijet events with pile-up, out-of-time pile-up and noise, a sample of its own "
        f"(seed {b['seed']}, never trained on; {b['jets_per_event']} jets per event). Signal: the test "
        f"events' signal jets. Pythia's sigma(pTHat > 40 GeV) = {b['sigma_mb'] * 1e3:.2f} ub: "
        f"{t['multijet_rate_hz'] / 1e6:.3f} MHz of such events at {t['luminosity_cm2s']:.0e} cm^-2 s^-1. "
        "The cut passes at most the target fraction of background jets. Signal efficiency: the first training "
        "seed's network (the firmware's) ± the spread of Poisson replicas of both samples (the cut found again "
        f"in each), and the mean ± sd over {t['training_seeds']} training seeds; rate: events with a jet above "
        "the cut, Poisson error (a lower bound: events below pTHat 40 GeV are not generated).",
        "",
        "| discriminant | "
        + " | ".join(f"{x:.0e}: jets passing | signal eff. | over seeds | L1 rate (kHz)" for x in targets)
        + " |",
        "|---|" + "---|---|---|---|" * len(targets),
    ]
    for name, points in t["rows"].items():
        cells = []
        for p in points:
            rate = "-" if p["rate_khz_err"] is None else f"{p['rate_khz']:.3f} ± {p['rate_khz_err']:.3f}"
            eff = f"{p['signal_efficiency']:.3f} ± {p['signal_efficiency_err']:.3f}"
            seeds = f"{p['seeds']['mean']:.3f} ± {p['seeds']['sd']:.3f}" if "seeds" in p else "-"
            cells.append(f"{p['background_jets_passing']} | {eff} | {seeds} | {rate}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Paired differences of signal efficiency (a - b: seed mean of the per-seed differences; error: seed "
        "spread / sqrt(seeds) (+) the replicas' spread of the first seed's difference; a direction only beyond "
        "twice it):",
        "",
    ]
    for c in t["comparisons"]:
        lines.append(
            f"- {c['a']} - {c['b']} at {c['target_mistag']:.0e}: {c['difference']:+.3f} ± {c['error']:.3f} "
            f"(seeds {c['seed_error']:.3f}, test {c['test_error']:.3f}; {c['seeds']} seeds): **{c['verdict']}**"
        )
    fw = next(iter(t["rows"].values()))
    radii = [row["radius_mm"] for row in fw[0]["by_depth"]]
    lines += [
        "",
        f"{next(iter(t['rows']))}: signal efficiency by where the s decayed (barrel radius, mm; binomial errors):",
        "",
        "| mistag | " + " | ".join(f"{a:.0f}-{b:.0f}" for a, b in radii) + " |",
        "|---|" + "---|" * len(radii),
    ]
    for p in fw:
        lines.append(
            f"| {p['target_mistag']:.0e} | "
            + " | ".join(
                "-" if r["efficiency"] is None else f"{r['efficiency']:.3f} ± {r['error']:.3f} ({r['jets']})"
                for r in p["by_depth"]
            )
            + " |"
        )
    return lines
