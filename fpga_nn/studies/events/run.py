"""``fpga-nn events``: multi-class event images (seed 003) -> four large CNN styles and the compact CNN,
tuned alike, and the QKeras compact CNN in io_stream firmware (bit-exact up to its softmax).

Every float network gets the same tuning (:mod:`fpga_nn.training.tuning`): the same learning-rate grid,
chosen on validation loss; early stopping; five training seeds at the chosen rate; three training-set
sizes. The comparisons (seed 003: "ResNet50 is the best"; compact against ResNet at each size) are paired
accuracy differences with the seed spread and the test bootstrap combined (:mod:`.compare`). Every run's
test outputs are kept in ``OUT/models/runs/`` under a hash of its settings, so a rerun (or a stopped run)
resumes run by run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np

from ... import outdir
from ...atomic import write_text
from ...build import firmware
from ...build.core import run_build
from ...data import dataset, h5cache
from ...data import event_images as ei
from ...fixed import FixedType
from ...hardware.parts import DEFAULT_PART
from ...jsonio import write_json
from ...models import cnn as cnn_models
from ...reports import multiclass as mc
from ...training import model_cache, tuning
from ..suite.devices import device_info
from .compare import LARGE

log = logging.getLogger(__name__)
CLASSES = ei.CLASSES
INPUT_TYPE = FixedType(signed=False, width=8, integer=1)  # binary pixels: 0 and 1 exactly


@dataclasses.dataclass(frozen=True)
class EventsConfig:
    data: ei.EventImageConfig = ei.EventImageConfig()
    tuning: tuning.Tuning = tuning.Tuning()  # the same for every network
    batch_size: int = 128
    seed: int = 3  # the split; training seed k uses seed + k
    csim_images: int = 1000
    networks: tuple[str, ...] = ("compact_cnn", *LARGE)
    rate: float = 0.01
    bootstrap: int = 200


QUICK = EventsConfig(
    data=ei.EventImageConfig(n_events=(150, 450, 180), chunk_size=150),
    tuning=tuning.Tuning(
        learning_rates=(1e-3, 3e-3), seeds=2, fractions=(0.5,), size_seeds=1, max_epochs=2, patience=1
    ),
    csim_images=100,
    networks=("compact_cnn", "resnet_style"),
    bootstrap=20,
)


def prepare(cfg: EventsConfig, workers: int | None = None) -> dict:
    path = ei.cached(cfg.data, dataset.cache_dir("event_images") / f"events-{cfg.data.fingerprint()}.h5", workers)
    d = ei.load(path)
    x = d["images"].astype(np.float32)
    y = d["label"].astype(int)
    perm = np.random.default_rng(cfg.seed).permutation(len(y))
    a, b = int(0.6 * len(y)), int(0.75 * len(y))
    split = {"train": np.sort(perm[:a]), "val": np.sort(perm[a:b]), "test": np.sort(perm[b:])}
    counts = {k: dict(zip(CLASSES, np.bincount(y[v], minlength=3).tolist(), strict=True)) for k, v in split.items()}
    info = {
        "path": h5cache.portable(path),
        "fingerprint": d["fingerprint"],
        "n_generated": d["n_generated"],
        "images": counts,
    }
    return {"x": x, "y": y, "split": split, "info": info}


def _network(name: str, cfg: EventsConfig):
    from ...models import cnn

    shape = (cfg.data.size, cfg.data.size, len(ei.CHANNELS))
    if name == "compact_cnn_qkeras":
        return cnn.compact_cnn_quantized(shape, name=name, n_classes=len(CLASSES))
    build = {
        "compact_cnn": cnn.compact_cnn,
        "resnet_style": cnn.resnet_style,
        "densenet_style": cnn.densenet_style,
        "inception_style": cnn.inception_style,
        "mobilenetv2_style": cnn.mobilenet_style,
    }[name]
    return build(input_shape=shape, name=name, n_classes=len(CLASSES))


def grid_fit(cfg: EventsConfig, data: dict, store: tuning.RunStore):
    """``fit(network, learning_rate, seed, fraction)`` for :func:`tuning.run_grid`: class-balanced
    cross-entropy, early stopping on the (whole) validation set's loss (:func:`tuning.keras_run`)."""
    from ...training.model_cache import balanced_weights

    x, y, s = data["x"], data["y"], data["split"]
    onehot = np.eye(len(CLASSES), dtype=np.float32)[y]
    val = (x[s["val"]], onehot[s["val"]], balanced_weights(y[s["val"]], len(CLASSES), counts_from=y[s["train"]]))

    def fit(name: str, lr: float, seed: int, fraction: float) -> dict:
        tr = tuning.subset(s["train"], fraction, cfg.seed)
        key = {"study": "events", "network": name, "architecture": cnn_models.architecture(name), "seed": seed}
        key |= {"fraction": fraction, "split_seed": cfg.seed, "data": data["info"]["fingerprint"]}
        return tuning.keras_run(
            store,
            key,
            build=lambda: _network(name, cfg),
            loss="categorical_crossentropy",
            train=(x[tr], onehot[tr], balanced_weights(y[tr], len(CLASSES))),
            validation=val,
            x_test=x[s["test"]],
            learning_rate=lr,
            seed=cfg.seed + seed,
            tuning=cfg.tuning,
            batch_size=cfg.batch_size,
            fraction=fraction,
        )

    return fit


def trained_qkeras(cfg: EventsConfig, data: dict, lr: float, models_dir: Path):
    """The QKeras compact CNN for the firmware: the float compact CNN's chosen learning rate, its early
    stopping, training seed 0 (loaded from ``models_dir`` when its settings match)."""
    from ...training.model_cache import balanced_weights, cached_model

    name = "compact_cnn_qkeras"

    def make():
        from ...training.train import fit_keep_best, keras_module, set_seeds

        x, y, s = data["x"], data["y"], data["split"]
        onehot = np.eye(len(CLASSES), dtype=np.float32)[y]
        train_y = y[s["train"]]
        set_seeds(cfg.seed)
        model = _network(name, cfg)
        keras = keras_module(model)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss="categorical_crossentropy")
        res = fit_keep_best(
            model,
            x[s["train"]],
            onehot[s["train"]],
            (x[s["val"]], onehot[s["val"]], balanced_weights(y[s["val"]], len(CLASSES), counts_from=train_y)),
            sample_weight=balanced_weights(train_y, len(CLASSES)),
            epochs=cfg.tuning.max_epochs,
            batch_size=cfg.batch_size,
            patience=cfg.tuning.patience,
            label=name,
        )
        info = {
            "best_epoch": res.best_epoch,
            "epochs_run": res.epochs_run,
            "seconds_per_epoch": round(res.seconds_per_epoch, 2),
            "history": res.history,
            "learning_rate": lr,
        }
        return model, info

    settings = {
        "cfg": json.loads(json.dumps(dataclasses.asdict(cfg), default=list)),
        "name": name,
        "learning_rate": lr,
        "data": data["info"]["fingerprint"],
    }
    return cached_model(models_dir, name, settings, make)


@outdir.writes_results("events")
def run_events(cfg: EventsConfig, out: Path, part: str = DEFAULT_PART, fresh: bool = False, workers=None):
    import tf_keras

    from ...reports import tuned
    from ...reports.paired import accuracy
    from . import compare

    out = Path(out)
    models = model_cache.models_dir(out, fresh)
    t0 = time.perf_counter()
    data = prepare(cfg, workers)
    t_data = time.perf_counter() - t0
    te = data["split"]["test"]
    x, y = data["x"][te], data["y"][te]
    grid = tuning.run_grid(cfg.networks, cfg.tuning, grid_fit(cfg, data, tuning.RunStore(models / "runs")))
    qmodel, qinfo = trained_qkeras(cfg, data, grid["chosen"]["compact_cnn"], models)
    qprob = qmodel.predict(x, batch_size=512, verbose=0).astype(np.float64)
    q_row = mc.summarize(y, qprob, CLASSES, cfg.rate, cfg.bootstrap, cfg.seed)
    q_row.update({k: v for k, v in qinfo.items() if k not in ("history", "settings_hash")}, seeds=1)
    pick = np.sort(np.random.default_rng(cfg.seed + 1).permutation(len(te))[: cfg.csim_images])
    opts = firmware.BuildOptions(
        part=part,
        name="events_cnn",
        io_type="io_stream",
        output_dir=out / "firmware",
        force=True,
        rtl=False,
        csim_optimization="-O1",
        min_argmax_agreement=0.0,  # the study tabulates the firmware's own accuracy (its table ties included)
    )
    checked = run_build("events", qmodel, x[pick], INPUT_TYPE, opts, labels=y[pick]).checked
    tf_keras.backend.clear_session()
    fw = checked.csim.reshape(len(pick), -1).astype(np.float64)
    s = checked.summary
    fw_row = mc.summarize(y[pick], fw, CLASSES, cfg.rate, cfg.bootstrap, cfg.seed)
    fw_row.update(parameters=q_row["parameters"], source=f"C-simulation of {len(pick)} test images")
    rows = compare.rows(y, grid, cfg.rate, cfg.bootstrap, cfg.seed)
    results = {
        "task": f"event images ({cfg.data.size}x{cfg.data.size}, muons / jets / MET) into "
        + ", ".join(CLASSES)
        + " (seed 003)",
        "config": json.loads(json.dumps(dataclasses.asdict(cfg), default=list)),
        "dataset": data["info"],
        "data_seconds": round(t_data, 1),
        "device": device_info(),
        "models": {**rows, "compact_cnn_qkeras": q_row, "compact_cnn_qkeras_firmware": fw_row},
        "sizes": tuned.sizes(y, grid, accuracy),
        "firmware": {
            "images": s["events"],
            "logit_mismatches": s["mismatches"],
            "checked": s.get("checked"),
            "softmax": s.get("softmax"),
            "qkeras_accuracy_same_images": float(np.mean(qprob[pick].argmax(1) == y[pick])),
        },
        "resnet_best_of_four": compare.resnet_claim(y, grid, cfg.bootstrap, cfg.seed),
        "compact_vs_resnet": compare.compact_vs_resnet(y, grid, cfg.bootstrap, cfg.seed),
    }
    write_json(out / "results.json", results, indent=1)
    from ...reports.events_report import markdown

    write_text(out / "results.md", markdown(results))
    first = {k: grid["seeds"][k][0]["test"].astype(np.float64) for k in cfg.networks} | {"compact_cnn_qkeras": qprob}
    best = max(cfg.networks, key=lambda k: rows[k]["accuracy_mean"])
    mc.confusion_plot({k: results["models"][k] for k in first}, CLASSES, out / "confusion.png")
    mc.roc_one_vs_rest(y, first, CLASSES, out / "roc.png")
    histories = {k: grid["seeds"][k][0]["history"] for k in cfg.networks} | {"compact_cnn_qkeras": qinfo["history"]}
    mc.loss_curves(histories, out / "loss.png")
    mc.score_histograms(y, first[best], CLASSES, out / "scores.png", f"{best} (best mean accuracy), first seed")
    tuned.size_plot(results["sizes"], out / "sizes.png", "test accuracy")
    return results
