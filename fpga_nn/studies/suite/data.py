"""The suite's events, splits and metrics (seed 004): everything a row is judged by (its YAML: suite_config)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ...data import dataset
from ...data.generator import GenerationConfig
from ...errors import UserInputError
from ...jsonio import content_hash
from ...reports import significance as sig
from . import background
from .config import METHODS, NN_METHODS, SuiteConfig, cut_variable  # noqa: F401 - METHODS re-exported for suite.py

MASS = "m_llg"


def row_key(row: dict) -> str:
    if row["method"] == "Cut":
        return f"Cut-{cut_variable(row)}"
    if row["method"] not in NN_METHODS:
        return row["method"]
    key = f"{row['method']}-{row.get('loss', 'bce')}" + (
        "-15in" if row.get("all_inputs") and not row.get("disco") else ""
    )
    return key + ("+disco" if row.get("disco") else "") + ("-firmware" if row.get("firmware") else "")


def row_label(row: dict) -> str:
    if row["method"] == "Cut":
        return f"Cuts on {cut_variable(row)}"
    if row["method"] not in NN_METHODS:
        return row["method"]
    loss = {"bce": "BCE", "extreme": "Ext"}[row.get("loss", "bce")] + ("+DisCo" if row.get("disco") else "")
    inputs = " (15 inputs)" if row.get("all_inputs") and not row.get("disco") else ""
    return f"{row['method']} {loss}{inputs}" + (" (8-bit firmware)" if row.get("firmware") else "")


def disco_base(key: str, by: dict) -> str | None:
    """The row a DisCo row is compared with: its twin on the same 15 inputs without DisCo (DisCo's effect
    alone) when the table has it, else the 11-input row (inputs and DisCo change together)."""
    for base in (key.replace("+disco", "-15in"), key.replace("+disco", "")):
        if base in by:
            return base
    return None


def _hash(obj) -> str:
    return content_hash(obj, default=str)


def generation_configs(cfg: SuiteConfig) -> tuple[GenerationConfig, GenerationConfig | None]:
    """The nominal sample and the background variation (the other shower matching)."""
    d = cfg.dataset
    lo, hi = d.mhat
    common = {
        "chunk_size": d.chunk_size,
        "mhat_min": float(lo),
        "mhat_max": float(hi),
        "cluster_dr": float(d.cluster_dr),
    }
    nominal = GenerationConfig(
        n_signal=d.n_signal,
        n_background=d.n_background,
        seed=d.seed,
        power_shower=bool(d.power_shower),
        bias_pow=float(d.bias_pow),
        **common,
    )
    syst = None
    s = cfg.systematic
    if s is not None and s.n_background > 0:
        syst = GenerationConfig(
            n_signal=0,
            n_background=s.n_background,
            seed=d.seed + 1,
            power_shower=bool(s.power_shower),
            bias_pow=float(d.bias_pow),
            **common,
        )
    return nominal, syst


def zjets_config(cfg: SuiteConfig) -> GenerationConfig | None:
    """Z + jets with a fake photon (the leading jet as the photon candidate), or None."""
    z = cfg.zjets
    if z is None:
        return None
    lo, hi = z.mhat
    return GenerationConfig(
        n_signal=0,
        n_background=z.n_events,
        seed=z.seed,
        chunk_size=cfg.dataset.chunk_size,
        mhat_min=float(lo),
        mhat_max=float(hi),
        cluster_dr=float(cfg.dataset.cluster_dr),
        background_process="zjets",
    )


def reweighted(data: dataset.EventData, comparison: dict | None) -> dataset.EventData:
    """``data`` with every background event's weight times measurement / Pythia at its pT(llg) / m(llg)
    (``background.weights``); unchanged when ``comparison`` is None."""
    if comparison is None:
        return data
    w = data.features["event_weight"].astype(np.float64).copy()
    bkg = data.label == 0
    w[bkg] *= background.weights(data.features["pt_llg_over_m"][bkg], comparison)
    return dataclasses.replace(data, features={**data.features, "event_weight": w})


def row_features(cfg: SuiteConfig, row: dict) -> list[str]:
    """The inputs of a row: all 15 with DisCo or ``all_inputs`` (DisCo's effect alone: the same inputs without
    it), the 11 of ``features_no_disco`` otherwise (seed 004); a Cut row's one variable."""
    if row["method"] == "Cut":
        return [cut_variable(row)]
    if row.get("disco") or row.get("all_inputs"):
        return list(cfg.features)
    return list(cfg.features_no_disco)


def _per_event_yield(data: dataset.EventData, label: np.ndarray, cfg: SuiteConfig) -> tuple[np.ndarray, dict]:
    """Expected events at ``lumi_fb`` per selected event: sigma x L x w_i / (sum of generated weights),
    with Pythia's cross section of the sample when it was recorded, else the configured one."""
    s_cfg = cfg.significance
    sigma, source = {}, {}
    for p in ("signal", "background"):
        stats = data.generator.get(p)
        if stats and stats.get("sigma_pb"):
            sigma[p], source[p] = 1e3 * stats["sigma_pb"], "Pythia sigmaGen of the sample"
        else:
            sigma[p], source[p] = float(s_cfg.sigma_fb[p]), "configured sigma_fb"
    weight_sum = {
        p: (data.generator.get(p) or {}).get("weight_sum") or data.n_generated[p] for p in ("signal", "background")
    }
    w = data.features["event_weight"]
    per_event = np.where(
        label == 1,
        sigma["signal"] * w / max(weight_sum["signal"], 1e-300),
        sigma["background"] * w / max(weight_sum["background"], 1e-300),
    )
    return per_event * s_cfg.lumi_fb, {"sigma_fb": sigma, "sigma_source": source}


def load_samples(cfg: SuiteConfig, workers: int | None = None, progress: bool = True) -> dict:
    """Every sample of ``cfg``: the nominal and variation events (reweighted to the measured spectrum when
    ``dataset.reweight``), the check against the measurement (``reference``), Z + jets and its fake rate."""
    from ...data.fiducial import FiducialConfig

    gen_nominal, gen_syst = generation_configs(cfg)
    nominal = load_events(gen_nominal, workers)
    syst = load_events(gen_syst, workers) if gen_syst else None
    out = {"gen_nominal": gen_nominal, "gen_syst": gen_syst, "validation": None, "zjets": None, "fake": None}
    if cfg.reference is not None:
        r = cfg.reference
        fid = FiducialConfig(n_events=r.n_events, seed=r.seed, chunk_size=r.chunk_size)
        out["validation"] = background.validate(fid, workers, progress)
    if cfg.dataset.reweight:
        if out["validation"] is None:
            raise UserInputError("suite config: 'dataset.reweight' needs the 'reference' section: add it or set false")
        models = out["validation"]["models"]

        def ratio(gen):
            return models["power_shower" if gen.power_shower else "default_shower"]["pt_llg_over_m"]

        nominal = reweighted(nominal, ratio(gen_nominal))
        syst = reweighted(syst, ratio(gen_syst)) if syst is not None else None
    gen_zjets = zjets_config(cfg)
    if gen_zjets is not None:
        out["zjets"] = load_events(gen_zjets, workers)
        out["fake"] = background.fake_rate(out["zjets"].generator.get("background") or {})
    out["nominal"], out["syst"] = nominal, syst
    return out


def load_events(gen: GenerationConfig, workers: int | None = None) -> dataset.EventData:
    path = dataset.cache_dir("events") / f"hzg-{gen.fingerprint()}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    return dataset.cached(gen, path, workers)


@dataclasses.dataclass
class Prepared:
    """Standardised inputs, labels, masses and physics weights of the three splits (+ systematic)."""

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    mass: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]  # expected events at the normalised luminosity
    mean: np.ndarray
    std: np.ndarray
    info: dict
    # training weights: the generator weight (a biased background is trained on as the physical one),
    # scaled so that each class holds half of the total (the background sample is tens of times larger)
    sample_weight: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


def prepare(
    cfg: SuiteConfig,
    nominal: dataset.EventData,
    syst: dataset.EventData | None,
    zjets: tuple[dataset.EventData, float] | None = None,
) -> Prepared:
    """Standardised inputs (all 15 features: rows take their columns), labels, masses, expected-event weights.
    ``zjets``: Z + jets events and their fake rate: ``test_zjets`` is the test split with them added."""
    features = list(cfg.features)
    idx = dict(zip(("train", "val", "test"), dataset.split(len(nominal), cfg.dataset.split_seed), strict=True))
    raw = nominal.matrix(features)
    mean, std = raw[idx["train"]].mean(axis=0), raw[idx["train"]].std(axis=0) + 1e-12
    s_cfg = cfg.significance
    frac = {k: len(v) / len(nominal) for k, v in idx.items()}
    yields, xs_info = _per_event_yield(nominal, nominal.label, cfg)
    prep = Prepared({}, {}, {}, {}, mean, std, {})
    for split_name, ii in idx.items():
        prep.x[split_name] = ((raw[ii] - mean) / std).astype(np.float32)
        prep.y[split_name] = nominal.label[ii].astype(np.int8)
        prep.mass[split_name] = nominal.features[MASS][ii]
        prep.weight[split_name] = yields[ii] / frac[split_name]
        gw = nominal.features["event_weight"][ii].astype(np.float64)
        for label in (0, 1):
            sel = prep.y[split_name] == label
            if sel.any():
                gw[sel] = gw[sel] / gw[sel].sum() * (len(gw) / 2)  # each class half of the total weight
        prep.sample_weight[split_name] = gw.astype(np.float32)
    cap = cfg.training.max_background
    if cap:
        _cap_training_background(prep, int(cap), int(cfg.dataset.split_seed))
    syst_info = None
    if syst is not None:
        # the variation: nominal test signal + the other shower's background (all of it: never trained on)
        xs = (syst.matrix(features) - mean) / std
        w_syst, syst_info = _per_event_yield(syst, syst.label, cfg)
        prep.x["test_var"] = np.concatenate([prep.x["test"][prep.y["test"] == 1], xs.astype(np.float32)])
        prep.y["test_var"] = np.concatenate([prep.y["test"][prep.y["test"] == 1], np.zeros(len(xs), np.int8)])
        prep.mass["test_var"] = np.concatenate([prep.mass["test"][prep.y["test"] == 1], syst.features[MASS]])
        prep.weight["test_var"] = np.concatenate([prep.weight["test"][prep.y["test"] == 1], w_syst])
    zj_info = _add_zjets(cfg, prep, zjets, features, mean, std) if zjets is not None else None
    lo, hi = cfg.window
    win = window_mask(cfg, prep.mass["test"])
    bkg_in_window = win & (prep.y["test"] == 0)
    s = prep.weight["test"][win & (prep.y["test"] == 1)].sum()
    b = prep.weight["test"][bkg_in_window].sum()
    target = s_cfg.normalise_random_to
    scale = (target * np.sqrt(b) / s) ** 2 if target else 1.0
    for k in prep.weight:
        prep.weight[k] = prep.weight[k] * scale
    bkg_win = prep.weight["test"][bkg_in_window]
    high_pt = nominal.features["pt_llg_over_m"][idx["test"]] > 0.3  # the signal-like corner: pT(llg) > ~38 GeV
    bkg_high = prep.weight["test"][bkg_in_window & high_pt]
    prep.info = {
        "features": list(features),
        "features_no_disco": list(cfg.features_no_disco),
        "n_events": {k: int(len(v)) for k, v in prep.y.items()},
        "n_signal": {k: int(v.sum()) for k, v in prep.y.items()},
        "training_background_cap": int(cap) if cap else None,
        "window_gev": [lo, hi],
        "lumi_fb": s_cfg.lumi_fb,
        "lumi_scale": float(scale),
        "effective_lumi_fb": float(s_cfg.lumi_fb * scale),
        "cross_sections": xs_info,
        "cross_sections_variation": syst_info,
        "expected_in_window_test": {"signal": float(s * scale), "background": float(b * scale)},
        "background_mc_in_window_test": int(len(bkg_win)),
        "background_weight_per_mc_event_in_window": {
            "mean": float(bkg_win.mean()) if len(bkg_win) else None,
            "max": float(bkg_win.max()) if len(bkg_win) else None,
            "mc_events_pt_over_m_above_0.3": int(len(bkg_high)),
            "mean_pt_over_m_above_0.3": float(bkg_high.mean()) if len(bkg_high) else None,
        },
        "signal_per_bin_test": float(s * scale / s_cfg.n_bins),
        "s_over_sqrt_b_at_lumi": float(s / np.sqrt(b)),
        "n_generated": nominal.n_generated,
        "n_generated_variation": syst.n_generated if syst is not None else None,
        "zjets": zj_info,
    }
    return prep


def _add_zjets(cfg, prep: Prepared, zjets, features, mean, std) -> dict:
    """``test_zjets``: the test split plus every Z + jets event, weighted sigma x L / N x the fake rate."""
    data, rate = zjets
    yields, xs = _per_event_yield(data, data.label, cfg)  # every event a background one
    w = yields * rate
    x = ((data.matrix(features) - mean) / std).astype(np.float32)
    prep.x["test_zjets"] = np.concatenate([prep.x["test"], x])
    prep.y["test_zjets"] = np.concatenate([prep.y["test"], np.zeros(len(x), np.int8)])
    prep.mass["test_zjets"] = np.concatenate([prep.mass["test"], data.features[MASS]])
    prep.weight["test_zjets"] = np.concatenate([prep.weight["test"], w])
    win = window_mask(cfg, data.features[MASS])
    return {
        "sigma_fb": xs["sigma_fb"]["background"],
        "sigma_source": xs["sigma_source"]["background"],
        "n_generated": int(data.n_generated["background"]),
        "fake_rate": rate,
        "mc_events": int(len(x)),
        "mc_events_in_window": int(win.sum()),
        "expected_in_window": float(w[win].sum()),
    }


def _cap_training_background(prep: Prepared, cap: int, seed: int) -> None:
    """Train on all training signal and a random ``cap`` of the training background (the class weights
    still give each class half). Validation and test keep every event: the cap saves training time and
    leaves the Monte Carlo statistics of the measured significance as they are."""
    y = prep.y["train"]
    bkg = np.flatnonzero(y == 0)
    if len(bkg) <= cap:
        return
    keep = np.sort(
        np.concatenate([np.flatnonzero(y == 1), np.random.default_rng(seed).choice(bkg, cap, replace=False)])
    )
    for part in (prep.x, prep.y, prep.mass, prep.weight, prep.sample_weight):
        part["train"] = part["train"][keep]
    gw = prep.sample_weight["train"].astype(np.float64)
    for label in (0, 1):
        sel = prep.y["train"] == label
        gw[sel] = gw[sel] / gw[sel].sum() * (len(gw) / 2)
    prep.sample_weight["train"] = gw.astype(np.float32)


class Bootstrap:
    """Poisson(1) replica weights, shared by all rows (paired differences)."""

    def __init__(self, n_events: int, n_replicas: int, seed: int):
        self.w = np.random.default_rng(seed).poisson(1.0, (n_replicas, n_events)).astype(np.float64)


def window_mask(cfg: SuiteConfig, mass: np.ndarray) -> np.ndarray:
    lo, hi = cfg.window
    return (mass > lo) & (mass < hi)


def evaluate(
    cfg: SuiteConfig,
    prep: Prepared,
    split_name: str,
    score: np.ndarray,
    boot: Bootstrap | None,
    corr_events: int = 4000,
) -> dict:
    """Significance and AUC in the window (with replicas), dCor^2 on all background of the split.

    An empty bin's background is floored at one average background MC event of the window (times each
    of ``floor_factors`` for the floor systematic); dCor^2 is the bias-corrected (U-centred) estimator on
    4,000 background events of the split, its error from Poisson replicas of them (the V-statistic
    used before sat at its own bias for independent variables at this size, issue 31)."""
    y, w, m = prep.y[split_name], prep.weight[split_name], prep.mass[split_name]
    win = window_mask(cfg, m)
    n_bins = cfg.significance.n_bins
    floor = background_floor(w, y, win)
    z = sig.binned_significance(score[win], y[win], w[win], n_bins, floor)
    out = {
        "significance": z,
        "auc": sig.weighted_auc(score[win], y[win], w[win]),
        "floor": floor,
        "significance_by_floor": {
            f"{f:g}": z if f == 1 else sig.binned_significance(score[win], y[win], w[win], n_bins, f * floor)
            for f in cfg.significance.floor_factors
        },
    }
    bkg = np.flatnonzero(y == 0)
    pick = np.random.default_rng(11).choice(bkg, min(corr_events, len(bkg)), replace=False)
    count = w[pick] / w[pick].mean()  # yields as event counts (uniform within one background sample)
    out["bkg_corr"] = sig.distance_correlation_sq(score[pick], m[pick], count, unbiased=True)
    if boot is not None:
        if boot.w.shape[1] == win.sum():  # replicas are drawn for the test window (firmware rows reuse them)
            reps_z = [sig.binned_significance(score[win], y[win], w[win] * r, n_bins, floor) for r in boot.w]
            reps_a = [sig.weighted_auc(score[win], y[win], w[win] * r) for r in boot.w]
            out["replicas"] = {"significance": reps_z, "auc": reps_a}
            out["significance_err"] = float(np.std(reps_z))
            out["auc_err"] = float(np.std(reps_a))
        reps = np.random.default_rng(12).poisson(1.0, (min(len(boot.w), 50), len(pick))) + 1e-12
        rc = [sig.distance_correlation_sq(score[pick], m[pick], count * r, unbiased=True) for r in reps]
        out["bkg_corr_err"] = float(np.std(rc))
    return out


def background_floor(weight: np.ndarray, label: np.ndarray, window: np.ndarray) -> float:
    """One average background MC event in the window, in expected events (the empty-bin floor)."""
    bkg = weight[window & (label == 0)]
    return float(bkg.mean()) if len(bkg) else float(weight[label == 0].mean())
