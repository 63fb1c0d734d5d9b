"""The image task: jet images -> float reference CNNs and the quantized compact CNN in firmware.

``build_cnn`` trains the QKeras compact CNN (seed 002) on W-vs-QCD jet images, converts it with
hls4ml (io_stream), checks the C-simulation against QKeras on every image of a fixed subset and
the emulator on the whole test set, and writes the project like the trigger build. With
``table_dir`` it also trains the float compact CNN, a ResNet-style and a MobileNetV2-style network
and writes the comparison table (``results.json`` / ``results.md``) and plots there.
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
from ...data import dataset, h5cache, jets
from ...fixed import FixedType
from ...fixed.arith import on_grid
from ...jsonio import write_json
from ...reports import plots

log = logging.getLogger(__name__)

# sqrt(pT fraction) on an 8-bit unsigned grid: the soft radiation stays visible (LSB 1/256 in the
# square root = 1.5e-5 of the jet pT at the bottom), and the core saturates at 255/256.
INPUT_TYPE = FixedType(signed=False, width=8, integer=0)


@dataclasses.dataclass(frozen=True)
class CnnConfig:
    data: jets.JetImageConfig = jets.JetImageConfig()
    size: int = 64
    epochs: int = 12
    reference_epochs: int = 6
    batch_size: int = 128
    learning_rate: float = 1e-3
    seed: int = 3
    csim_images: int = 1000  # every one of these goes through the C-simulation
    references: tuple[str, ...] = ("compact_cnn", "resnet_style", "mobilenetv2_style")


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


def tpr_at(y, s, fpr_target: float) -> dict:
    """Signal efficiency at a background efficiency (metrics.signal_efficiency_at), with jet counts."""
    from ...reports.metrics import signal_efficiency_at

    wp = signal_efficiency_at(y, s, fpr_target)
    n_bkg = int(np.sum(y == 0))
    return {
        "fpr": fpr_target,
        "tpr": wp["signal_efficiency"],
        "background_jets_passing": int(round(wp["background_efficiency"] * n_bkg)),
        "background_jets": n_bkg,
    }


def summarize(y, s) -> dict:
    from ...reports.significance import weighted_auc

    pred = s > 0  # logit 0 = probability 1/2
    return {
        "auc": weighted_auc(s, y),
        "tpr_at_fpr": [tpr_at(y, s, f) for f in (1e-2, 1e-3, 3e-4)],
        "confusion": {
            "true_W_as_W": int(np.sum(pred & (y == 1))),
            "true_W_as_QCD": int(np.sum(~pred & (y == 1))),
            "true_QCD_as_W": int(np.sum(pred & (y == 0))),
            "true_QCD_as_QCD": int(np.sum(~pred & (y == 0))),
        },
    }


def train(model, x, y, split, epochs: int, cfg: CnnConfig, progress_name: str) -> dict:
    """Adam + BCE on logits; keeps the epoch with the best validation AUC; times every epoch."""
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
    import keras

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
        rows = []
        scores = {}
        for name in cfg.references:
            set_seeds(cfg.seed, keras3=True)
            model = _model(name, cfg.size)
            tr_res = train(model, x, y, split, cfg.reference_epochs if name != "compact_cnn" else cfg.epochs, cfg, name)
            s = model.predict(x[te], batch_size=512, verbose=0).ravel()
            scores[name] = s
            rows.append(
                {
                    "model": name,
                    "parameters": int(model.count_params()),
                    **summarize(y[te], s),
                    **{k: v for k, v in tr_res.items() if k != "history"},
                    "history": tr_res["history"],
                }
            )
            keras.backend.clear_session()
        rows.append(
            {
                "model": "compact_cnn_qkeras_8bit",
                "parameters": int(qmodel.count_params()),
                **summarize(y[te], q_scores),
                "best_epoch": q_train["best_epoch"],
                "seconds_per_epoch": q_train["seconds_per_epoch"],
                "train_seconds": q_train["train_seconds"],
            }
        )
        rows.append(
            {
                "model": "compact_cnn_firmware",
                "parameters": int(qmodel.count_params()),
                **summarize(y[te], emu),
                "source": f"emulator on all {len(te)} test images (== QKeras on "
                f"every one); C-simulation == QKeras on the first {len(sub)}",
            }
        )
        scores["QKeras 8-bit"], scores["firmware"] = q_scores, emu
        write_table(table_dir, rows, result, device_info(), y[te], scores, cfg)
    return built


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.1f}"


def paired_auc(y, a: np.ndarray, b: np.ndarray, seed: int, n_boot: int = 200) -> dict:
    """AUC(a) - AUC(b) on the same test jets with a paired bootstrap error (:mod:`fpga_nn.reports.paired`);
    one training seed per network, so the seed-to-seed spread is not in it. The word says a direction only
    beyond twice the error."""
    from ...reports.paired import paired_auc as paired
    from ...reports.paired import words

    d = paired(np.asarray(y), [a], b, n_boot, seed)
    word = words(d)
    return {
        "auc_difference": d["difference"],
        "auc_difference_err": d["error"],  # one network each: the test error alone
        "verdict": word if word == "not resolved" else f"compact {word}",
        "training_seeds": 1,
        "rule": "paired bootstrap of the test jets; a direction only beyond twice its error; one training seed",
    }


def write_table(out: Path, rows, build_result, device, y, scores, cfg: CnnConfig) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    compact = next(r for r in rows if r["model"] == "compact_cnn")
    resnet = next((r for r in rows if r["model"] == "resnet_style"), None)
    claim = None
    if resnet:
        claim = {
            "statement": "compact CNN matches or beats the ResNet-style network at far fewer parameters",
            "parameter_ratio": resnet["parameters"] / compact["parameters"],
            "auc_compact": compact["auc"],
            "auc_resnet": resnet["auc"],
            **paired_auc(y, scores["compact_cnn"], scores["resnet_style"], cfg.seed),
        }
    results = {
        "task": "W -> qq vs QCD jet images (Pythia8 + FastJet anti-kt R=0.8), "
        f"{cfg.size}x{cfg.size}, sqrt(pT fraction) on ap_ufixed<8,0>",
        "device": device,
        "config": json.loads(json.dumps(dataclasses.asdict(cfg), default=list)),
        "build": build_result,
        "rows": [{k: v for k, v in r.items() if k != "history"} for r in rows],
        "compact_vs_resnet": claim,
    }
    write_json(out / "results.json", results, indent=2)
    lines = [
        "# Compact CNN vs large CNNs on jet images",
        "",
        f"{results['task']}; test set {len(y):,} jets ({int(y.sum()):,} W). Device: "
        f"{', '.join(device['gpu']) or 'CPU'} ({device['cpu_count']} cores).",
        "",
        "| model | parameters | AUC | TPR @ FPR 1e-2 | TPR @ FPR 1e-3 | TPR @ FPR 3e-4 | s / epoch | best epoch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = {f["fpr"]: f for f in r["tpr_at_fpr"]}
        lines.append(
            f"| {r['model']} | {r['parameters']:,} | {r['auc']:.4f} | {t[1e-2]['tpr']:.3f} "
            f"| {t[1e-3]['tpr']:.3f} ({t[1e-3]['background_jets_passing']} QCD jets) "
            f"| {t[3e-4]['tpr']:.3f} ({t[3e-4]['background_jets_passing']} QCD jets) "
            f"| {_fmt(r.get('seconds_per_epoch'))} | {r.get('best_epoch', '-')} |"
        )
    b = build_result
    lines += [
        "",
        f"Firmware: C-simulation == QKeras on {b['csim']['images']} of {b['csim']['images']} images "
        f"({b['csim']['mismatches']} mismatches); emulator == QKeras on {b['emulator_whole_test_set']['images']} "
        f"test images ({b['emulator_whole_test_set']['mismatches_vs_qkeras']} mismatches).",
        "",
    ]
    if claim:
        lines += [
            f"Seed 002 claim ({claim['statement']}), as measured: AUC {claim['auc_compact']:.4f} "
            f"(compact, {compact['parameters']:,} parameters) vs {claim['auc_resnet']:.4f} (ResNet-style, "
            f"{claim['parameter_ratio']:.0f}x the parameters), difference {claim['auc_difference']:+.4f} ± "
            f"{claim['auc_difference_err']:.4f} (paired bootstrap of the {len(y):,} test jets; one training seed "
            f"per network, whose spread is not in this error): **{claim['verdict']}**.",
            "",
        ]
    lines += ["Confusion matrices (threshold: probability 1/2):", ""]
    for r in rows:
        c = r["confusion"]
        lines.append(
            f"- {r['model']}: W->W {c['true_W_as_W']}, W->QCD {c['true_W_as_QCD']}, "
            f"QCD->W {c['true_QCD_as_W']}, QCD->QCD {c['true_QCD_as_QCD']}"
        )
    lines += ["", "Plot: `roc.png`.", ""]
    write_text(out / "results.md", "\n".join(lines))
    plots.roc_curves(y, scores, out / "roc.png")
