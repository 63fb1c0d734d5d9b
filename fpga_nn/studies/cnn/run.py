"""The image task: jet images -> float reference CNNs and the quantized compact CNN in firmware.

``build_cnn`` trains the QKeras compact CNN (seed 002) on W-vs-QCD jet images, converts it with
hls4ml (io_stream), checks the C-simulation against QKeras on every image of a fixed subset and
the emulator on the whole test set, and writes the project like the trigger build. With
``table_dir`` it also trains the float compact CNN, a ResNet-style and a MobileNetV2-style network, tuned
alike (:mod:`fpga_nn.training.tuning`: one learning-rate grid chosen on validation loss, early stopping,
several seeds, smaller training sets; every run kept in ``table_dir/models/runs``), and writes
the comparison table (``results.json`` / ``results.md``) and plots there.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np

from ... import outdir
from ...build import firmware
from ...build.core import run_build
from ...data import dataset, h5cache, jets
from ...fixed import FixedType
from ...fixed.arith import on_grid
from ...models import cnn as cnn_models
from ...reports import metrics, plots, tuned
from ...training import tuning
from .table import against_mass, mass_window, reference_row, summarize, tpr_of, write_table

log = logging.getLogger(__name__)

# sqrt(pT fraction) on an 8-bit unsigned grid: the soft radiation stays visible (LSB 1/256 in the
# square root = 1.5e-5 of the jet pT at the bottom), and the core saturates at 255/256.
INPUT_TYPE = FixedType(signed=False, width=8, integer=0)


@dataclasses.dataclass(frozen=True)
class CnnConfig:
    data: jets.JetImageConfig = jets.JetImageConfig()
    size: int = 64
    epochs: int = 12  # the QKeras network's most epochs (early stopping after tuning.patience)
    batch_size: int = 128
    learning_rate: float = 1e-3  # the QKeras network's
    seed: int = 3  # the split; training seed k of a reference uses seed + k
    csim_images: int = 1000  # every one of these goes through the C-simulation
    # the MobileNetV2 style (2.26 M parameters) is the table's slowest network on a CPU: most of its time
    references: tuple[str, ...] = ("compact_cnn", "resnet_style", "mobilenetv2_style")
    tuning: tuning.Tuning = tuning.Tuning()  # the references', the same for each
    bootstrap: int = 200


def cache_path(cfg: CnnConfig) -> Path:
    return dataset.cache_dir("jets") / f"jets-{cfg.data.fingerprint()}.h5"


def load_images(cfg: CnnConfig, workers: int | None = None):
    path = jets.cached(cfg.data, cache_path(cfg), workers)
    d = jets.load(path, cfg.size)
    x = on_grid(np.sqrt(d["images"])[..., None], INPUT_TYPE)
    y = d["label"].astype(np.float32)
    perm = np.random.default_rng(cfg.seed).permutation(len(y))
    a, b = int(0.6 * len(y)), int(0.75 * len(y))
    return x, y, (np.sort(perm[:a]), np.sort(perm[a:b]), np.sort(perm[b:])), d, path


def train(model, x, y, split, epochs: int, cfg: CnnConfig, progress_name: str) -> dict:
    """Adam + BCE on logits; keeps the epoch with the best validation AUC, stops after ``cfg.tuning.patience``
    epochs without a better one; times every epoch."""
    from ...reports.significance import weighted_auc
    from ...training.train import fit_keep_best, keras_module

    tr, va, _ = split
    keras = keras_module(model)  # Keras 3 for the float networks, tf_keras for the QKeras twin
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=keras.losses.BinaryCrossentropy(from_logits=True)
    )
    res = fit_keep_best(
        model,
        x[tr],
        y[tr],
        (x[va], y[va]),
        epochs=epochs,
        batch_size=cfg.batch_size,
        score=lambda m: weighted_auc(m.predict(x[va], batch_size=512, verbose=0).ravel(), y[va]),
        score_name="val_auc",
        patience=cfg.tuning.patience,
        label=progress_name,
    )
    return {
        "history": res.history,
        "best_epoch": res.best_epoch,
        "seconds_per_epoch": res.seconds_per_epoch,
        "train_seconds": res.seconds,
    }


def _model(name: str, size: int):
    from ...models import cnn

    return {"compact_cnn": cnn.compact_cnn, "resnet_style": cnn.resnet_style, "mobilenetv2_style": cnn.mobilenet_style}[
        name
    ]((size, size, 1))


def build_cnn(
    options: firmware.BuildOptions,
    cfg: CnnConfig = CnnConfig(),
    table_dir: Path | None = None,
    workers: int | None = None,
):
    """Train the QKeras compact CNN, build and verify its firmware (and write the table into
    ``table_dir``, claimed before any work); returns a BuildResult."""
    if table_dir is None:
        return _build_cnn(options, cfg, None, workers)
    with outdir.results_folder(table_dir, "cnn") as table_dir:
        return _build_cnn(options, cfg, table_dir, workers)


def _build_cnn(options: firmware.BuildOptions, cfg: CnnConfig, table_dir: Path | None, workers: int | None):
    from ...models.cnn import compact_cnn_quantized
    from ...training.train import set_seeds
    from ...verify.emulator import Emulator
    from ..suite.devices import device_info

    firmware.validate(options)
    target = options.target()
    outdir.check_target(target, options.force)
    x, y, split, d, path = load_images(cfg, workers)
    tr, va, te = split
    log.info(
        "jet images %s: %d W + %d QCD; %d train, %d validation, %d test",
        path,
        int(y.sum()),
        int((y == 0).sum()),
        len(tr),
        len(va),
        len(te),
    )

    set_seeds(cfg.seed)
    qmodel = compact_cnn_quantized((cfg.size, cfg.size, 1))
    q_train = train(qmodel, x, y, split, cfg.epochs, cfg, "QKeras compact CNN")
    q_scores = qmodel.predict(x[te], batch_size=512, verbose=0).ravel()
    # a fixed random subset of the test set (the split is sorted, and files hold W jets before QCD)
    pick = np.sort(np.random.default_rng(cfg.seed + 1).permutation(len(te))[: cfg.csim_images])
    sub = te[pick]
    found = {}

    def cnn_metrics(staging, checked) -> dict:
        """The whole test set through the emulator (the C-simulation covers ``cfg.csim_images`` of it)."""
        csim = checked.csim.ravel()
        t0 = time.perf_counter()
        found["emu"] = emu = Emulator(staging).predict(x[te]).ravel()
        t_emu = time.perf_counter() - t0
        full = {
            "images": int(len(te)),
            "mismatches_vs_qkeras": int(np.sum(emu != q_scores)),
            "images_per_second": round(len(te) / t_emu, 1),
        }
        result = {
            "dataset": {
                "path": h5cache.portable(path),
                "fingerprint": d["fingerprint"],
                "size": cfg.size,
                "n_generated": d["n_generated"],
                "train": len(tr),
                "validation": len(va),
                "test": len(te),
            },
            "quantized": {
                **summarize(y[te], q_scores),
                "best_epoch": q_train["best_epoch"],
                "seconds_per_epoch": q_train["seconds_per_epoch"],
            },
            "csim": {**summarize(y[sub], csim), "images": len(sub), "mismatches": checked.summary["mismatches"]},
            "emulator_whole_test_set": full,
        }
        (staging / "plots").mkdir()
        plots.roc_curves(
            y[sub], {"QKeras 8-bit": q_scores[pick], "firmware (csim)": csim}, staging / "plots" / "roc.png"
        )
        return result

    built = run_build(
        "cnn", qmodel, x[sub], INPUT_TYPE, options.replace(io_type="io_stream"), labels=y[sub], metrics=cnn_metrics
    )
    result, full, emu = built.metrics, built.metrics["emulator_whole_test_set"], found["emu"]
    if full["mismatches_vs_qkeras"]:
        from ...errors import VerificationError

        raise VerificationError(
            f"emulator differs from QKeras on {full['mismatches_vs_qkeras']} test images "
            f"(see {target / 'metrics.json'})"
        )

    if table_dir is not None:
        grid = tuning.run_grid(cfg.references, cfg.tuning, reference_fit(cfg, x, y, split, Path(table_dir) / "models"))
        rows = [reference_row(name, grid, y[te]) for name in cfg.references]
        for name, scores in (("compact_cnn_qkeras_8bit", q_scores), ("compact_cnn_firmware", emu)):
            one = {"test": scores, "train_images": len(tr)}
            rows.append(
                {
                    **summarize(y[te], scores),
                    "model": name,
                    "parameters": int(qmodel.count_params()),
                    "seeds": 1,
                    "auc": tuned.seed_values(y[te], [one], metrics.auc),
                    "tpr": tuned.seed_values(y[te], [one], tpr_of),
                    "learning_rate": cfg.learning_rate,
                }
            )
        rows[-2].update(best_epochs=[q_train["best_epoch"]], seconds_per_epoch=q_train["seconds_per_epoch"])
        rows[-1]["source"] = (
            f"emulator on all {len(te)} test images (== QKeras on every one); C-simulation == QKeras on {len(sub)}"
        )
        centre, window = mass_window(d["jet_mass"], y, tr, te)
        one = {"test": window, "train_images": len(tr)}
        rows.append(
            {
                **{k: v for k, v in summarize(y[te], window).items() if k != "confusion"},
                "model": "jet_mass_window",
                "parameters": 2,  # the centre and the half-width
                "seeds": 1,
                "auc": tuned.seed_values(y[te], [one], metrics.auc),
                "tpr": tuned.seed_values(y[te], [one], tpr_of),
                "learning_rate": None,
                "source": f"no training: a window on the jet mass around {centre:.1f} GeV",
            }
        )
        nets = {n: [r["test"] for r in grid["seeds"][n]] for n in cfg.references}
        nets |= {"compact_cnn_firmware": [emu]}
        mass = {"centre_gev": centre, "comparisons": against_mass(y[te], nets, window, cfg)}
        first = {n: grid["seeds"][n][0]["test"] for n in cfg.references}
        write_table(
            table_dir,
            rows,
            result,
            device_info(),
            y[te],
            grid,
            first | {"QKeras 8-bit": q_scores, "firmware": emu, "jet mass window": window},
            cfg,
            mass,
        )
    return built


def reference_fit(cfg: CnnConfig, x, y, split, models: Path):
    """``fit(network, learning_rate, seed, fraction)`` for :func:`tuning.run_grid`: BCE on logits, early
    stopping on the (whole) validation set's loss (:func:`tuning.keras_run`), runs kept in ``models/runs``."""
    import keras

    tr, va, te = split
    store = tuning.RunStore(models / "runs")

    def fit(name: str, lr: float, seed: int, fraction: float) -> dict:
        sub = tuning.subset(tr, fraction, cfg.seed)
        key = {"study": "cnn", "network": name, "architecture": cnn_models.architecture(name), "seed": seed}
        key |= {"fraction": fraction, "split_seed": cfg.seed, "size": cfg.size, "data": cfg.data.fingerprint()}
        run = tuning.keras_run(
            store,
            key,
            build=lambda: _model(name, cfg.size),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
            train=(x[sub], y[sub]),
            validation=(x[va], y[va]),
            x_test=x[te],
            learning_rate=lr,
            seed=cfg.seed + seed,
            tuning=cfg.tuning,
            batch_size=cfg.batch_size,
            fraction=fraction,
        )
        return {**run, "test": run["test"].ravel()}

    return fit
