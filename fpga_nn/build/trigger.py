"""The default job: the 5-6-1 trigger network on the embedded H -> Z gamma events, to verified firmware."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from .. import outdir
from ..data import dataset, trigger_inputs
from ..models.trigger import TriggerNetSpec, float_twin, trigger_network
from ..reports import metrics, plots
from ..training.train import TrainConfig, set_seeds, train_classifier
from . import firmware
from .core import run_build
from .result import BuildResult

log = logging.getLogger(__name__)

INPUT_TYPE = trigger_inputs.PREPROCESSING.input_type  # ap_ufixed<8,0>: code / 256
SPLIT_SEED = 11


def prepare(data: dataset.EventData):
    """Trigger inputs as the network takes them (through the declared preprocessing), labels, and the
    fixed train/val/test split."""
    x = trigger_inputs.PREPROCESSING(trigger_inputs.raw(data.features))
    y = data.label.astype(np.float32)
    tr, va, te = dataset.split(len(y), SPLIT_SEED)
    return x, y, tr, va, te


def build_trigger(
    options: firmware.BuildOptions,
    data_path: Path | None = None,
    train_config: TrainConfig = TrainConfig(),
    spec: TriggerNetSpec = TriggerNetSpec(),
    max_test_events: int | None = None,
) -> BuildResult:
    """Train, convert, verify; returns the project's record. Raises VerificationError on any mismatch."""
    firmware.validate(options)
    target = options.target()
    inputs = (data_path,) if data_path else ()
    outdir.check_target(target, options.force, inputs)

    data = dataset.load(data_path) if data_path else dataset.load_default()
    x, y, tr, va, te = prepare(data)
    if max_test_events is not None:
        te = te[:max_test_events]
    log.info("events: %d train, %d validation, %d test", len(tr), len(va), len(te))

    set_seeds(train_config.seed)  # before building: the initial weights come from the seeded generator
    qmodel = trigger_network(spec)
    q_res = train_classifier(qmodel, x[tr], y[tr], x[va], y[va], train_config)
    set_seeds(train_config.seed)
    fmodel = float_twin(spec)
    f_res = train_classifier(fmodel, x[tr], y[tr], x[va], y[va], train_config)

    raw = trigger_inputs.raw(data.features)[te]
    f_scores = fmodel.predict(x[te], batch_size=8192, verbose=0).ravel()
    dataset_info = {
        "path": str(data_path or dataset.default_path()),
        "events": len(y),
        "fingerprint": data.config.fingerprint(),
        "train": len(tr),
        "validation": len(va),
        "test": len(te),
    }

    def trigger_metrics(staging: Path, checked: firmware.CsimResult) -> dict:
        q_scores, csim = checked.expected.ravel(), checked.csim.ravel()
        result = {
            "dataset": dataset_info,
            "trigger_inputs": json.loads(trigger_inputs.encoding_json()),
            "float": {
                **metrics.summarize(y[te], f_scores),
                "best_epoch": f_res.best_epoch,
                "train_seconds": round(f_res.seconds, 2),
            },
            "quantized": {
                **metrics.summarize(y[te], q_scores),
                "best_epoch": q_res.best_epoch,
                "train_seconds": round(q_res.seconds, 2),
            },
            "csim": metrics.summarize(y[te], csim),
        }
        (staging / "plots").mkdir()
        plots.loss_curves({"QKeras 8-bit": q_res.history, "float": f_res.history}, staging / "plots" / "loss.png")
        plots.roc_curves(
            y[te], {"float": f_scores, "QKeras 8-bit": q_scores, "firmware (csim)": csim}, staging / "plots" / "roc.png"
        )
        plots.score_histograms(y[te], csim, staging / "plots" / "scores.png")
        return result

    pre = trigger_inputs.PREPROCESSING
    return run_build(
        "trigger",
        qmodel,
        raw,
        INPUT_TYPE,
        options,
        pre=pre,
        sources=inputs,
        labels=y[te],
        float_scores=f_scores,
        metrics=trigger_metrics,
    )
