"""Trained networks kept between runs of a study (``fpga-nn llp``, ``fpga-nn events``).

``cached_model`` returns ``NAME.h5`` (QKeras / tf_keras) or ``NAME.keras`` (Keras 3) + ``NAME.json`` from a
folder when the JSON's settings hash equals the hash of ``settings`` (plus the TensorFlow, QKeras and Keras
versions and Keras 3's backend), else trains, writes both and returns the new network. The JSON holds what
training reported (epochs, history, parameters).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..jsonio import content_hash

log = logging.getLogger(__name__)


def models_dir(out: Path, fresh: bool = False) -> Path:
    """A study's ``out/models`` folder, emptied first with ``fresh`` (``--fresh``: retrain everything)."""
    path = Path(out) / "models"
    if fresh and path.exists():
        import shutil

        shutil.rmtree(path)
    return path


def settings_hash(settings: dict) -> str:
    from importlib.metadata import version

    from . import backend

    versions = [version(p) for p in ("tensorflow", "qkeras", "keras")]
    payload = {"settings": settings, "versions": versions, "keras_backend": backend.current()}
    return content_hash(payload, default=list)


def cached_model(models_dir: Path | None, name: str, settings: dict, make: Callable[[], tuple[object, dict]]):
    """(model, info): loaded from ``models_dir`` when it holds ``name`` trained with ``settings``,
    else ``make()`` (written there unless ``models_dir`` is None)."""
    digest = settings_hash(settings)
    if models_dir is not None:
        meta = Path(models_dir) / f"{name}.json"
        if meta.is_file() and json.loads(meta.read_text()).get("settings_hash") == digest:
            for path in (Path(models_dir) / f"{name}.h5", Path(models_dir) / f"{name}.keras"):
                if path.is_file():
                    log.info("%s: reusing %s", name, path)
                    return _load(path), json.loads(meta.read_text())
    model, info = make()
    info = {**info, "settings_hash": digest, "parameters": int(model.count_params())}
    if models_dir is not None:
        from ..atomic import replacing
        from ..frontends import keras_of, qkeras
        from ..jsonio import write_json

        Path(models_dir).mkdir(parents=True, exist_ok=True)
        h5, k3 = Path(models_dir) / f"{name}.h5", Path(models_dir) / f"{name}.keras"
        if keras_of(model) == "keras":
            with replacing(k3, suffix=".keras") as tmp:
                model.save(tmp)
            h5.unlink(missing_ok=True)  # an earlier run's network of the other family must not be reused
        else:
            qkeras.save(model, h5)
            k3.unlink(missing_ok=True)
        write_json(meta, info, indent=1)
    return model, info


def _load(path: Path):
    if path.suffix == ".keras":
        import keras

        return keras.saving.load_model(path, compile=False)
    from qkeras.utils import load_qmodel

    return load_qmodel(str(path), compile=False)


def balanced_weights(y: np.ndarray, n_classes: int, counts_from: np.ndarray | None = None) -> np.ndarray:
    """Per-event weights giving every class the same total: n / (classes x count of the event's class),
    the counts taken from ``counts_from`` (default ``y`` itself)."""
    ref = y if counts_from is None else counts_from
    counts = np.bincount(ref, minlength=n_classes).astype(np.float64)
    return (len(ref) / (n_classes * counts))[y].astype(np.float32)
