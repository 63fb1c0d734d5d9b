"""Quantization-aware (QKeras) and float training with fixed seeds and early stopping."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import signals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 150
    batch_size: int = 256
    learning_rate: float = 3e-3
    patience: int = 15
    seed: int = 7


class TrainResult(NamedTuple):
    history: dict  # per epoch: loss, val_loss and the selection score's name
    best_epoch: int  # 1-based epoch whose weights the model holds
    seconds: float
    epochs_run: int = 0
    seconds_per_epoch: float = 0.0


def set_seeds(seed: int, keras3: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow (and Keras 3 on its backend for Keras 3 models); deterministic ops.

    TensorFlow is seeded whenever it runs something: for tf_keras models, and for Keras 3 ones when it is
    Keras 3's backend or already loaded (a scan's QKeras points beside HGQ2 ones); a Keras 3 model on JAX
    or PyTorch in a process without TensorFlow never loads it."""
    import sys

    if keras3:
        from . import backend

        backend.seed(seed)
        if "tensorflow" not in sys.modules:
            return
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def keras_module(model):
    """The Keras package ``model`` belongs to (tf_keras for QKeras models, keras for Keras 3 / HGQ2)."""
    import importlib

    from ..frontends import keras_of

    return importlib.import_module(keras_of(model))


def fit_keep_best(
    model,
    x_train,
    y_train,
    validation: tuple,
    *,
    epochs: int,
    batch_size: int,
    score=None,
    score_name: str = "val_score",
    patience: int | None = None,
    label: str = "",
    progress: bool = False,
    validation_batch_size: int | None = None,
    sample_weight=None,
) -> TrainResult:
    """The one training loop: fit on a compiled model, keep the weights of the best validation epoch.

    ``score(model) -> float`` (higher is better) selects the epoch; without it the lowest validation loss
    does. Training stops after ``patience`` epochs without improvement. The model ends with the best weights.
    """
    from tqdm import tqdm

    keras = keras_module(model)
    bar = tqdm(total=epochs, desc=label or model.name, unit="epoch", disable=not progress, leave=False)
    history = {"loss": [], "val_loss": []} | ({score_name: []} if score else {})
    state = {"best": -np.inf, "epoch": 0, "weights": None, "times": [], "t0": 0.0}

    class KeepBest(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            signals.check()  # a SIGTERM swallowed inside TensorFlow still stops training here

        def on_epoch_begin(self, epoch, logs=None):
            state["t0"] = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            history["loss"].append(float(logs["loss"]))
            history["val_loss"].append(float(logs["val_loss"]))
            value = -float(logs["val_loss"])
            if score:
                value = float(score(self.model))
                history[score_name].append(value)
            state["times"].append(time.perf_counter() - state["t0"])
            if value > state["best"] or state["weights"] is None:
                state.update(best=value, epoch=epoch + 1, weights=self.model.get_weights())
            bar.update(1)
            bar.set_postfix(best=state["epoch"])
            if patience is not None and epoch + 1 - state["epoch"] >= patience:
                self.model.stop_training = True

    t0 = time.perf_counter()
    try:
        model.fit(
            x_train,
            y_train,
            sample_weight=sample_weight,
            validation_data=validation,
            validation_batch_size=validation_batch_size,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=True,
            callbacks=[KeepBest()],
            verbose=0,
        )
    finally:
        bar.close()
    model.set_weights(state["weights"])
    seconds = time.perf_counter() - t0
    log.info("%s: %d epochs, best %d, %.1f s", label or model.name, len(history["loss"]), state["epoch"], seconds)
    return TrainResult(history, state["epoch"], seconds, len(history["loss"]), float(np.mean(state["times"])))


def train_classifier(
    model, x_train, y_train, x_val, y_val, config: TrainConfig = TrainConfig(), verbose: int = 0
) -> TrainResult:
    """Binary classifier with a logit output; keeps the weights of the epoch with the lowest validation loss."""
    keras = keras_module(model)
    set_seeds(config.seed, keras3=keras.__name__ == "keras")
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return fit_keep_best(
        model,
        np.asarray(x_train, np.float32),
        np.asarray(y_train, np.float32),
        (np.asarray(x_val, np.float32), np.asarray(y_val, np.float32)),
        epochs=config.epochs,
        batch_size=config.batch_size,
        patience=config.patience,
        progress=verbose > 0,
    )
