"""Equal tuning for a comparison of networks (issue 31, part 2): the same learning-rate grid for every
network, chosen on validation loss; early stopping for all; several training seeds; nested training
subsets for a training-size curve.

A study gives ``fit(network, learning_rate, seed, fraction) -> run`` (a dict with ``val_loss`` and the
test outputs) and :func:`run_grid` calls it in this order, so that a stopped study has every network at
the same stage: the learning-rate search (seed 0, the whole training set, every rate of the grid), then
seeds 1 .. n-1 at each network's chosen rate, then the smaller training sets (seeds 0 .. size_seeds-1).
:class:`RunStore` keeps every finished run on disk under the hash of its settings (and the library
versions), so a rerun, or a run stopped half way, resumes run by run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Tuning:
    learning_rates: tuple[float, ...] = (3e-3, 1e-3, 3e-4)  # the search budget, the same for every network
    seeds: int = 5  # training seeds at the whole training set
    fractions: tuple[float, ...] = (0.125, 0.25)  # smaller training sets (nested; 1.0 is the seeds' own)
    size_seeds: int = 2  # training seeds at each smaller set
    max_epochs: int = 12
    patience: int = 2  # early stopping: epochs without a lower validation loss

    def __post_init__(self):
        from ..errors import UserInputError

        if not self.learning_rates or self.seeds < 1 or self.size_seeds < 1 or self.max_epochs < 1:
            raise UserInputError("tuning: give at least one learning rate, one seed and one epoch")
        if any(not 0 < f < 1 for f in self.fractions):
            raise UserInputError(f"tuning: training fractions must lie in (0, 1), got {self.fractions}")


def subset(train: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The first ``fraction`` of a fixed permutation of the training indices (sorted): the smaller sets
    are nested, and a seed changes the network's start, not which images it sees."""
    if fraction >= 1.0:
        return np.asarray(train)
    perm = np.random.default_rng(seed).permutation(len(train))
    return np.sort(np.asarray(train)[perm[: int(round(fraction * len(train)))]])


class RunStore:
    """Finished runs in a folder: ``NETWORK-HASH.npz`` holding the run's arrays and its JSON ``info``."""

    def __init__(self, folder: Path | None):
        self.folder = None if folder is None else Path(folder)

    def get(self, key: dict, make: Callable[[], dict]) -> dict:
        from .model_cache import settings_hash

        digest = settings_hash(key)[:16]
        path = None if self.folder is None else self.folder / f"{key['network']}-{digest}.npz"
        if path is not None and path.is_file():
            with np.load(path) as f:
                arrays = {k: f[k] for k in f.files if k != "info"}
                info = json.loads(str(f["info"]))
            return {**info, **arrays}
        run = make()
        if path is not None:
            from ..atomic import replacing

            self.folder.mkdir(parents=True, exist_ok=True)
            arrays = {k: v for k, v in run.items() if isinstance(v, np.ndarray)}
            info = {k: v for k, v in run.items() if not isinstance(v, np.ndarray)}
            with replacing(path, suffix=".npz") as tmp:
                np.savez(tmp, info=json.dumps({**info, "key": key}), **arrays)
        return run


def keras_run(
    store: RunStore,
    key: dict,
    *,
    build: Callable[[], object],
    loss,
    train: tuple,
    validation: tuple,
    x_test: np.ndarray,
    learning_rate: float,
    seed: int,
    tuning: Tuning,
    batch_size: int,
    fraction: float = 1.0,
) -> dict:
    """One run of a Keras 3 network, from ``store`` when ``key`` (+ the rate, the seed index and the training
    settings) was run before: ``build()`` trained with Adam on ``train`` = (x, y[, sample weights]), the epoch
    of lowest validation loss kept, stopped after ``tuning.patience`` epochs without one; its test outputs,
    validation loss, epochs and size. ``seed`` is the training seed itself; ``key["seed"]`` its index.

    A smaller training set (``fraction`` of the whole) is repeated round(1 / fraction) times in every epoch,
    so that every size gets the same optimizer steps per epoch, the same validation cadence, the same
    patience in steps and the same most steps: counted in passes over a small set, two epochs of patience
    stopped the batch-normalised networks at 1/8 of the images after 24 steps, while their validation loss
    still climbed (their running statistics unsettled), and left them at chance."""
    repeat = max(1, round(1.0 / fraction))
    full = {**key, "learning_rate": learning_rate, "batch_size": batch_size}
    full |= {"max_epochs": tuning.max_epochs, "patience": tuning.patience}
    if repeat > 1:
        full["repeat"] = repeat

    def make() -> dict:
        import keras

        from .train import fit_keep_best, set_seeds

        x, y, *w = train
        n = len(x)
        if repeat > 1:
            x, y, w = (
                np.concatenate([x] * repeat),
                np.concatenate([y] * repeat),
                [np.concatenate(w * repeat)] if w else [],
            )
        label = f"{key['network']} lr {learning_rate:g} seed {key['seed']} ({n} images)"
        log.info("training %s", label)
        set_seeds(seed, keras3=True)
        model = build()
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
        res = fit_keep_best(
            model,
            x,
            y,
            validation,
            sample_weight=w[0] if w else None,
            epochs=tuning.max_epochs,
            batch_size=batch_size,
            patience=tuning.patience,
            label=label,
        )
        run = {
            "test": model.predict(x_test, batch_size=512, verbose=0).astype(np.float32),
            "val_loss": float(min(res.history["val_loss"])),
            "best_epoch": res.best_epoch,
            "epochs_run": res.epochs_run,
            "seconds_per_epoch": round(res.seconds_per_epoch, 2),
            "train_images": int(n),
            "parameters": int(model.count_params()),
            "history": res.history,
        }
        keras.backend.clear_session()  # a clean graph (memory)
        return run

    return store.get(full, make)


def run_grid(networks: tuple[str, ...], tuning: Tuning, fit: Callable[[str, float, int, float], dict]) -> dict:
    """Every run the comparison needs, in the order of the module's docstring.

    Returns ``{"search": {net: {lr: run}}, "chosen": {net: lr}, "seeds": {net: [run per seed]},
    "sizes": {fraction: {net: [run per seed]}}}`` (``sizes`` includes 1.0: every seed of the whole set)."""
    search = {n: {} for n in networks}
    for lr in tuning.learning_rates:
        for n in networks:
            search[n][lr] = fit(n, lr, 0, 1.0)
    chosen = {n: min(tuning.learning_rates, key=lambda lr, n=n: search[n][lr]["val_loss"]) for n in networks}
    seeds = {n: [search[n][chosen[n]]] for n in networks}
    for k in range(1, tuning.seeds):
        for n in networks:
            seeds[n].append(fit(n, chosen[n], k, 1.0))
    sizes = {f: {n: [] for n in networks} for f in tuning.fractions}
    for k in range(tuning.size_seeds):
        for f in tuning.fractions:
            for n in networks:
                sizes[f][n].append(fit(n, chosen[n], k, f))
    sizes[1.0] = seeds
    return {"search": search, "chosen": chosen, "seeds": seeds, "sizes": sizes}
