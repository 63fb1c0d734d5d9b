"""Quantization-aware (QKeras) and float training with fixed seeds and early stopping."""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)


class TrainConfig(NamedTuple):
    epochs: int = 150
    batch_size: int = 256
    learning_rate: float = 3e-3
    patience: int = 15
    seed: int = 7


class TrainResult(NamedTuple):
    history: dict
    best_epoch: int
    seconds: float


def set_seeds(seed: int) -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def train_classifier(
    model, x_train, y_train, x_val, y_val, config: TrainConfig = TrainConfig(), verbose: int = 0
) -> TrainResult:
    """Binary classifier with a logit output; keeps the weights of the epoch with the lowest validation loss."""
    import tensorflow as tf

    set_seeds(config.seed)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.learning_rate),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    )
    stop = tf.keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True, verbose=0
    )
    t0 = time.perf_counter()
    hist = model.fit(
        np.asarray(x_train, np.float32),
        np.asarray(y_train, np.float32),
        validation_data=(np.asarray(x_val, np.float32), np.asarray(y_val, np.float32)),
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        callbacks=[stop],
        verbose=verbose,
    )
    seconds = time.perf_counter() - t0
    best = int(np.argmin(hist.history["val_loss"])) + 1
    log.info(
        "%s: %d epochs, best %d (val loss %.4f), %.1f s",
        model.name,
        len(hist.history["loss"]),
        best,
        min(hist.history["val_loss"]),
        seconds,
    )
    return TrainResult({k: [float(v) for v in vals] for k, vals in hist.history.items()}, best, seconds)
