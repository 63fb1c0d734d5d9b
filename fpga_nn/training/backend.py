"""Keras 3's backend for the float networks: chosen once per process, named in every result.

The suite's float rows and the float CNNs are written against ``keras`` 3 and ``keras.ops`` only, so
they train on TensorFlow, JAX or PyTorch (``KERAS_BACKEND``; ``fpga-nn suite --backend``). Keras
reads the backend when it is first imported and keeps it for the life of the process: :func:`use`
sets it before that import and refuses a different one afterwards. The QKeras rows stay on tf_keras
(TensorFlow) whatever the backend.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from ..errors import UserInputError

BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT = "tensorflow"
# the package each backend needs, and what installs it
_PACKAGE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
_INSTALL = {"tensorflow": "pip install -e .", "jax": "pip install -e .", "torch": "pip install torch"}


def requested(name: str | None = None) -> str:
    """The backend ``name`` asks for, else ``KERAS_BACKEND``, else TensorFlow; checked, not yet set."""
    chosen = (name or os.environ.get("KERAS_BACKEND") or DEFAULT).strip().lower()
    if chosen not in BACKENDS:
        raise UserInputError(f"unknown Keras backend '{chosen}': choose one of {', '.join(BACKENDS)}")
    if importlib.util.find_spec(_PACKAGE[chosen]) is None:
        raise UserInputError(
            f"the Keras backend '{chosen}' needs the {_PACKAGE[chosen]} package, which is not installed: "
            f"{_INSTALL[chosen]}"
        )
    return chosen


def use(name: str | None = None) -> str:
    """Make ``name`` (or ``KERAS_BACKEND``, or TensorFlow) Keras 3's backend in this process; returns it."""
    chosen = requested(name)
    if "keras" in sys.modules:
        current = sys.modules["keras"].backend.backend()
        if current != chosen:
            raise UserInputError(
                f"Keras 3 is already loaded with the '{current}' backend in this process, and a process keeps "
                f"its first backend: run the '{chosen}' work in a new process (KERAS_BACKEND={chosen})"
            )
        return chosen
    os.environ["KERAS_BACKEND"] = chosen
    return chosen


def current() -> str:
    """The backend Keras 3 has (loading Keras with ``KERAS_BACKEND`` or TensorFlow if not yet loaded)."""
    if "keras" not in sys.modules:
        use()
    import keras

    return keras.backend.backend()


def seed(value: int) -> None:
    """Seed Keras 3 (Python, NumPy and the backend) so that a float row is a function of ``value``."""
    import random

    import keras
    from keras.src.random import seed_generator

    keras.utils.set_random_seed(value)
    # Keras 3 draws the seeds of unseeded initializers from Python's global `random`, which a Dask
    # worker's own threads draw from too: a private generator makes them a function of `value` alone
    seed_generator.python_random = random.Random(value)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def accelerators() -> list[str]:
    """Names of the GPUs the current backend computes on (empty on a CPU)."""
    name = current()
    if name == "jax":
        import jax

        return [
            f"{d.platform}:{d.id} {getattr(d, 'device_kind', '')}".strip() for d in jax.devices() if d.platform != "cpu"
        ]
    if name == "torch":
        import torch

        return [f"cuda:{k} {torch.cuda.get_device_name(k)}" for k in range(torch.cuda.device_count())]
    import tensorflow as tf

    names = []
    for g in tf.config.list_physical_devices("GPU"):
        try:
            names.append(f"{g.name} {tf.config.experimental.get_device_details(g).get('device_name', '')}".strip())
        except Exception:  # noqa: BLE001 - the details are informative only
            names.append(g.name)
    return names


def describe() -> dict:
    """The backend, its version and the device of the float rows (for every result that names them)."""
    from importlib.metadata import version

    name = current()
    gpus = accelerators()
    return {
        "keras_backend": name,
        "keras": version("keras"),
        name: version(_PACKAGE[name]),
        "device": gpus[0] if gpus else "CPU",
    }


def reset_peak_memory() -> bool:
    """Reset the GPU's peak-memory counter of the current backend; False when there is no GPU counter."""
    if not accelerators():
        return False
    name = current()
    if name == "torch":
        import torch

        torch.cuda.reset_peak_memory_stats()
    elif name == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.reset_memory_stats("GPU:0")
    # JAX keeps one peak per process (memory_stats' peak_bytes_in_use): read as it is
    return True


def peak_memory_mb() -> float | None:
    """The GPU's peak allocated memory in MiB since :func:`reset_peak_memory` (JAX: since start)."""
    if not accelerators():
        return None
    name = current()
    if name == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        peak = stats.get("peak_bytes_in_use")
    elif name == "torch":
        import torch

        peak = torch.cuda.max_memory_allocated()
    else:
        import tensorflow as tf

        peak = tf.config.experimental.get_memory_info("GPU:0")["peak"]
    return None if peak is None else round(peak / 2**20, 1)
