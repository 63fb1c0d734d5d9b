"""``fpga-nn trigger-rate``: the 5-6-1 trigger network at a level-1 rate budget, against the cuts a trigger
physicist tries first, on the level-1 stream of :mod:`.stream`.

The crossings of each process are split 40 / 20 / 40 % (train / validation / test, seeded); each split's
weights are scaled so that it alone carries the full rate. Every selection's threshold is chosen on the
training and validation crossings at the rate budget; its rate (with the Monte Carlo error of the weights)
and its signal efficiency are measured on the test crossings. Networks (the 5-6-1 QKeras network and its
float twin) are trained with ``len(seeds)`` seeds; the efficiency gain over a cut is the seed mean of the
paired differences on the same test crossings, its error the seed spread (over sqrt(seeds)) and the test
bootstrap added in quadrature. The QKeras network of the median seed is built into firmware.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np

from . import selection, stream

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TriggerRateConfig:
    stream: stream.StreamConfig = stream.StreamConfig()
    embedded: bool = False  # the stream's codes shipped in the package (embedded.py) instead of the Pythia stream
    budget_hz: float = 10e3  # the rate the trigger may take at 2e34 (of a level-1 menu's ~100 kHz)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    epochs: int = 250
    patience: int = 25
    # background : signal total training weight; the study picks the value of best validation efficiency at the
    # budget (QKeras network, first seed): the loss then weighs the rate-setting tail, not the easy bulk
    background_weights: tuple[float, ...] = (1.0, 30.0, 300.0, 1000.0, 3000.0)
    input_integer_bits: tuple[int, ...] = (0, 3)  # the network's input ap_ufixed<8,I>, picked with the weight
    batch_size: int = 512
    learning_rate: float = 3e-3
    split_seed: int = 3
    bootstrap: int = 300


QUICK = TriggerRateConfig(
    stream=stream.StreamConfig(n_signal=900, n_qcd=(300,) * 6, n_pileup_only=300, n_pool=600, chunk_size=300),
    budget_hz=200e3,
    seeds=(0, 1),
    background_weights=(1000.0,),
    epochs=4,
    patience=100,
    bootstrap=20,
)


# what make demo runs (fpga-nn trigger-rate --embedded): the embedded stream, the study's chosen input type and
# background weight, one seed per network, training cut at 60 epochs; minutes on 2 cores
EMBEDDED = TriggerRateConfig(
    embedded=True,
    seeds=(0,),
    background_weights=(30.0,),
    input_integer_bits=(3,),
    epochs=60,
    patience=15,
    bootstrap=100,
)


def prepare(cfg: TriggerRateConfig, workers: int | None = None) -> dict:
    """Inputs (GeV, codes and network values), labels, rate weights per split; ``seconds`` it took."""
    t0 = time.perf_counter()
    if cfg.embedded:
        from . import embedded

        s = embedded.load()
        raw = s["raw_gev"]
    else:
        s = stream.cached(cfg.stream, workers)
        raw = selection.raw(s)
    signal = s["process"] == 0
    rng = np.random.default_rng(cfg.split_seed)
    part = np.empty(len(signal), np.int8)
    weight = {}
    for code in np.unique(s["process"]):
        idx = np.flatnonzero(s["process"] == code)
        u = rng.random(len(idx))
        part[idx] = np.where(u < 0.4, 0, np.where(u < 0.6, 1, 2))
    split = {name: np.flatnonzero(part == k) for k, name in enumerate(("train", "val", "test"))}
    split["fit"] = np.flatnonzero(part < 2)  # where thresholds are chosen
    for name, idx in split.items():
        w = np.zeros(len(signal))
        for code in np.unique(s["process"]):
            in_split = idx[s["process"][idx] == code]
            w[in_split] = s["weight_hz"][in_split] * np.sum(s["process"] == code) / max(len(in_split), 1)
        weight[name] = w
    return {
        "raw": raw,
        "codes": selection.codes(raw),
        "x": {i: selection.preprocessing(i)(raw) for i in cfg.input_integer_bits},
        "signal": signal,
        "process": s["process"],
        "split": split,
        "weight": weight,
        "info": s["info"],
        "seconds": time.perf_counter() - t0,
    }


def training_weights(data: dict, idx: np.ndarray, split: str, background: float = 1.0) -> np.ndarray:
    """Signal crossings share a total weight of 1, background crossings ``background`` by rate; mean 1."""
    sig = data["signal"][idx]
    w = data["weight"][split][idx].copy()
    w[sig] = 1.0 / max(sig.sum(), 1)
    w[~sig] = background * w[~sig] / max(w[~sig].sum(), 1e-300)
    return (w * len(idx) / w.sum()).astype(np.float32)


def efficiency_at_budget(data: dict, scores_fit: np.ndarray, scores_test: np.ndarray, budget_hz: float) -> dict:
    """Threshold at the budget on the fit crossings; rate and signal efficiency on the test crossings."""
    fit = data["split"]["fit"]
    sig_fit = data["signal"][fit]
    t = selection.threshold_for_rate(scores_fit[~sig_fit], data["weight"]["fit"][fit][~sig_fit], budget_hz)
    return measure(data, scores_test >= t) | {"threshold": t}


def measure(data: dict, passed_test: np.ndarray) -> dict:
    te = data["split"]["test"]
    sig = data["signal"][te]
    r, r_err = selection.rate(passed_test[~sig], data["weight"]["test"][te][~sig])
    eff = float(np.mean(passed_test[sig]))
    n_sig = int(sig.sum())
    return {
        "rate_hz": r,
        "rate_err_hz": r_err,
        "efficiency": eff,
        "efficiency_err": float(np.sqrt(eff * (1 - eff) / max(n_sig, 1))),
        "_passed": passed_test,
    }


def train_network(kind: str, seed: int, cfg: TriggerRateConfig, data: dict, models_dir: Path | None, choice: tuple):
    """The 5-6-1 network ('qkeras') or its float twin ('float') of one seed, trained now or from the cache.
    The epoch kept is the one of lowest validation loss (smooth, unlike the efficiency at the budget, whose
    noise picked epochs 2-4 of unconverged networks)."""
    from ...training.model_cache import cached_model

    integer_bits, background = choice

    def make():
        import tensorflow as tf

        from ...models.trigger import float_twin, trigger_network
        from ...training.train import fit_keep_best, set_seeds

        set_seeds(seed)
        model = trigger_network() if kind == "qkeras" else float_twin()
        model.compile(
            optimizer=tf.keras.optimizers.Adam(cfg.learning_rate),
            loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
        )
        tr, va = data["split"]["train"], data["split"]["val"]
        x, y = data["x"][integer_bits], data["signal"].astype(np.float32)
        res = fit_keep_best(
            model,
            x[tr],
            y[tr],
            (x[va], y[va], training_weights(data, va, "val", background)),
            sample_weight=training_weights(data, tr, "train", background),
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            patience=cfg.patience,
            label=f"{kind} seed {seed} (ap_ufixed<8,{integer_bits}> inputs, background weight {background:g})",
        )
        return model, {"history": res.history, "best_epoch": res.best_epoch, "epochs_run": res.epochs_run}

    settings = {"cfg": dataclasses.asdict(cfg), "kind": kind, "seed": seed, "data": data["info"]["fingerprint"]}
    settings["choice"] = [integer_bits, background]
    return cached_model(models_dir, f"{kind}-seed{seed}-in{integer_bits}-bkg{background:g}", settings, make)


def validation_efficiency(scores: np.ndarray, data: dict, budget_hz: float) -> float:
    """Signal efficiency on the validation crossings (``scores``: theirs) at the budget set on them."""
    va = data["split"]["val"]
    sig = data["signal"][va]
    t = selection.threshold_for_rate(scores[~sig], data["weight"]["val"][va][~sig], budget_hz)
    return float(np.mean(scores[sig] >= t))


def trees(cfg: TriggerRateConfig, data: dict, background: float):
    """Gradient-boosted trees on the same five codes (the upper reference), with the network's weights."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    tr = data["split"]["train"]
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, random_state=cfg.split_seed)
    model.fit(data["codes"][tr], data["signal"][tr], sample_weight=training_weights(data, tr, "train", background))
    return model


def paired_gain(data: dict, nets: list[np.ndarray], baseline: np.ndarray, n_boot: int, seed: int) -> dict:
    """Efficiency gain of the networks (one passed-mask per seed, on the test crossings) over a baseline's mask:
    seed mean of the paired differences; error = seed spread / sqrt(seeds) (+) test bootstrap of the mean."""
    sig = data["signal"][data["split"]["test"]]
    diffs = np.array([np.mean(n[sig]) - np.mean(baseline[sig]) for n in nets])
    seed_err = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs))) if len(diffs) > 1 else 0.0
    rng = np.random.default_rng(seed)
    per_event = np.mean([n[sig] for n in nets], axis=0) - baseline[sig]
    boots = [np.mean(per_event[rng.integers(0, len(per_event), len(per_event))]) for _ in range(n_boot)]
    test_err = float(np.std(boots, ddof=1)) if n_boot > 1 else 0.0
    mean = float(diffs.mean())
    err = float(np.hypot(seed_err, test_err))
    return {
        "gain": mean,
        "error": err,
        "seed_error": seed_err,
        "test_error": test_err,
        "per_seed": diffs.round(5).tolist(),
        "significance": mean / err if err > 0 else None,
    }
