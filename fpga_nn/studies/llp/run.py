"""The 3-class long-lived-particle tagger (seed 000): LLP signal / multijet / beam-induced background.

``run_llp`` trains a float feed-forward reference and the QKeras 3-class trigger network (softmax
head) on level-1 jet features (:mod:`fpga_nn.data.llp`), builds the QKeras network into firmware
twice -- with its softmax (checked by the softmax contract: the logits bit for bit, the table
softmax against the emulator, its distance from the float softmax reported) and without it
(``--no-softmax``: the logits, bit-exact end to end; argmax and per-class thresholds on them) -- and
writes ``results.json`` / ``results.md`` and the plots. ``build_llp`` is ``fpga-nn build --task llp``.

Trained networks are kept in ``OUT/models/`` with a hash of their settings: a rerun reuses them.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from ... import outdir
from ...build import firmware
from ...build.core import run_build
from ...build.result import BuildResult
from ...data import dataset, h5cache, llp
from ...data.calo import INPUTS
from ...fixed import FixedType
from ...fixed.arith import on_grid
from ...reports import multiclass as mc

log = logging.getLogger(__name__)
CLASSES = llp.CLASSES


@dataclasses.dataclass(frozen=True)
class LlpTaskConfig:
    data: llp.LlpConfig = llp.LlpConfig()
    epochs: int = 40
    patience: int = 8
    batch_size: int = 256
    learning_rate: float = 2e-3
    seed: int = 5
    float_hidden: tuple[int, ...] = (64, 32, 32)
    quant_hidden: tuple[int, ...] = (24, 12)
    bits: int = 8
    rate: float = 0.01  # efficiencies are quoted where this fraction of the other classes' jets pass
    bootstrap: int = 200
    input_type: str = "ap_fixed<12,4>"  # standardised features on the firmware's input bus
    # the trigger's working points: mistags per multijet jet, measured on a sample of their own (rate.py)
    rate_data: llp.LlpRateConfig = llp.LlpRateConfig()
    mistags: tuple[float, ...] = (1e-4, 1e-5)
    trigger_seeds: tuple[int, ...] = (5, 6, 7, 8, 9)  # training seeds of the networks at the trigger (seed first)
    luminosity: float = 2e34  # cm^-2 s^-1


QUICK = LlpTaskConfig(
    data=llp.LlpConfig(n_signal=600, n_multijet=600, n_bib=1200, chunk_size=300),
    rate_data=llp.LlpRateConfig(n_multijet=600, chunk_size=300),
    mistags=(1e-2, 1e-3),
    trigger_seeds=(5, 6),
    epochs=3,
    patience=100,
    bootstrap=20,
)


def prepare(cfg: LlpTaskConfig, workers: int | None = None) -> dict:
    """Jets, standardised features on the input grid, labels and a seeded 60/15/25 split of the events (the
    jets of one event, e.g. a multijet event's two, on one side)."""
    path = llp.cached(cfg.data, dataset.cache_dir("llp") / f"llp-{cfg.data.fingerprint()}.h5", workers)
    d = llp.load(path)
    raw = np.stack([d["features"][f] for f in INPUTS], axis=1)
    y = d["label"].astype(int)
    event = (d["label"].astype(np.int64) * 100_000 + d["chunk"]) * 1_000_000 + d["event"]  # process, chunk, event
    events = np.unique(event)
    perm = np.random.default_rng(cfg.seed).permutation(events)
    a, b = int(0.6 * len(events)), int(0.75 * len(events))
    side = {"train": perm[:a], "val": perm[a:b], "test": perm[b:]}
    split = {k: np.flatnonzero(np.isin(event, v)) for k, v in side.items()}
    if min(np.bincount(y[split["train"]], minlength=len(CLASSES))) == 0:
        from ...errors import UserInputError

        raise UserInputError(f"{path}: a class has no training jets; generate more events")
    mean, std = raw[split["train"]].mean(axis=0), raw[split["train"]].std(axis=0) + 1e-9
    input_type = FixedType.parse(cfg.input_type)
    x = on_grid(((raw - mean) / std).astype(np.float32), input_type)
    counts = {k: np.bincount(y[v], minlength=len(CLASSES)).tolist() for k, v in split.items()}
    return {
        "x": x,
        "raw": {f: d["features"][f] for f in INPUTS},
        "y": y,
        "s_depth": d["s_depth"],
        "event": event,
        "split": split,
        "input_type": input_type,
        "mean": mean,
        "std": std,
        "path": path,
        "info": {
            "path": h5cache.portable(path),
            "fingerprint": d["fingerprint"],
            "n_generated": d["n_generated"],
            "jets_per_split": {k: dict(zip(CLASSES, v, strict=True)) for k, v in counts.items()},
            "split": "by event: " + ", ".join(f"{k} {len(v)}" for k, v in side.items()) + " events",
            "features": list(INPUTS),
            "single_feature_auc": _single_feature_auc(d["features"], y),
            "standardisation": {"mean": mean.tolist(), "std": std.tolist()},
            "input_type": input_type.to_ap(),
            "towers_per_jet_mean": float(np.mean(np.diff(np.asarray(d["towers"].layout.offsets)))),
        },
    }


def _single_feature_auc(features: dict, y: np.ndarray) -> dict:
    """How well each stored feature alone separates each pair of classes (max(AUC, 1 - AUC)): which
    signature the toy detector gives each class."""
    from ...reports.metrics import auc

    out = {}
    for name, v in features.items():
        if name == "phi":
            continue
        pairs = {}
        for a in range(len(CLASSES)):
            for b in range(a + 1, len(CLASSES)):
                m = (y == a) | (y == b)
                value = auc(y[m] == a, v[m])
                pairs[f"{CLASSES[a]}/{CLASSES[b]}"] = round(max(value, 1 - value), 4)
        out[name] = pairs
    return out


def train(model, data: dict, cfg: LlpTaskConfig, label: str) -> dict:
    """Class-balanced categorical cross-entropy; keeps the epoch of best validation mean one-vs-rest AUC."""
    import tensorflow as tf

    from ...reports.metrics import auc
    from ...training.model_cache import balanced_weights
    from ...training.train import fit_keep_best

    x, y, s = data["x"], data["y"], data["split"]
    onehot = np.eye(len(CLASSES), dtype=np.float32)[y]
    model.compile(optimizer=tf.keras.optimizers.Adam(cfg.learning_rate), loss="categorical_crossentropy")
    va = s["val"]

    def score(m) -> float:
        p = m.predict(x[va], batch_size=4096, verbose=0)
        return float(np.mean([auc(y[va] == c, p[:, c]) for c in range(len(CLASSES))]))

    res = fit_keep_best(
        model,
        x[s["train"]],
        onehot[s["train"]],
        (x[va], onehot[va], balanced_weights(y[va], len(CLASSES))),
        sample_weight=balanced_weights(y[s["train"]], len(CLASSES)),
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        score=score,
        score_name="val_mean_auc",
        patience=cfg.patience,
        label=label,
    )
    return {"history": res.history, "best_epoch": res.best_epoch, "train_seconds": round(res.seconds, 1)}


def trained(name: str, cfg: LlpTaskConfig, data: dict, models_dir: Path | None, seed: int | None = None):
    """The network ``name`` ('float' or 'qkeras') trained with ``seed`` (default ``cfg.seed``; the split
    stays ``cfg.seed``'s), trained now or loaded from ``models_dir``."""
    seed = cfg.seed if seed is None else seed
    from ...training.model_cache import cached_model

    def make():
        from ...models import multiclass
        from ...training.train import set_seeds

        n_in = data["x"].shape[1]
        set_seeds(seed)
        if name == "float":
            model = multiclass.feed_forward(n_in, cfg.float_hidden, len(CLASSES), name="llp_float")
        else:
            model = multiclass.quantized_feed_forward(n_in, cfg.quant_hidden, len(CLASSES), cfg.bits, name="llp_qkeras")
        return model, train(model, data, cfg, f"LLP {name}")

    settings = {"cfg": dataclasses.asdict(cfg), "model": name, "data": data["info"]["fingerprint"], "seed": seed}
    return cached_model(models_dir, name if seed == cfg.seed else f"{name}-seed{seed}", settings, make)


def build_variant(qmodel, data: dict, options: firmware.BuildOptions, cfg: LlpTaskConfig | None = None, also=None):
    """Firmware of the QKeras network (its logits with ``options.no_softmax``), C-simulated on every
    test jet, through :func:`run_build`; with ``cfg``, metrics.json holds the firmware's per-class figures;
    ``also``: more jets (multijet, the rate sample's) C-simulated after the test jets.
    Returns the BuildResult (it raises on a mismatch once the project is in place)."""
    from ...build.user_model import without_head

    model = without_head(qmodel) if options.no_softmax else qmodel
    te = data["split"]["test"]
    x, labels = data["x"][te], data["y"][te]
    if also is not None:
        x, labels = np.concatenate([x, also]), np.concatenate([labels, np.ones(len(also), labels.dtype)])

    def llp_metrics(staging, checked) -> dict:
        if cfg is None:
            return {"classes": list(CLASSES), "events": int(len(x))}
        prob = class_probabilities(checked, options.no_softmax)
        return {
            "classes": list(CLASSES),
            **mc.summarize(labels, prob, CLASSES, cfg.rate, cfg.bootstrap, cfg.seed),
        }

    return run_build("llp", model, x, data["input_type"], options, labels=labels, metrics=llp_metrics)


def class_probabilities(checked: firmware.CsimResult, no_softmax: bool) -> np.ndarray:
    """The firmware's class probabilities: its softmax output, or the float64 softmax of its logits."""
    out = checked.csim.reshape(len(checked.csim), -1).astype(np.float64)
    return mc.probabilities(out) if no_softmax else out


def build_llp(options: firmware.BuildOptions, cfg: LlpTaskConfig = LlpTaskConfig(), workers: int | None = None):
    """``fpga-nn build --task llp``: train the QKeras tagger and build it (``--no-softmax``: its logits)."""
    firmware.validate(options)
    outdir.check_target(options.target(), options.force)
    data = prepare(cfg, workers)
    qmodel, info = trained("qkeras", cfg, data, None)
    built = build_variant(qmodel, data, options, cfg)
    return BuildResult("llp", built.project, built.check, {k: v for k, v in built.metrics.items() if k != "classes"})
