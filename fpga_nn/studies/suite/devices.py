"""Where a study ran: the Keras backend and its devices, and the peak host/GPU memory of a piece of work."""

from __future__ import annotations

import os
import platform
import threading


def tensorflow_device() -> dict:
    """TensorFlow's version and device (the QKeras rows, and the studies still on tf_keras)."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    name = "CPU"
    if gpus:
        name = gpus[0].name
        try:
            name += " " + tf.config.experimental.get_device_details(gpus[0]).get("device_name", "")
        except Exception:  # noqa: BLE001 - details are informative only
            pass
    return {"keras_backend": "tensorflow (tf_keras)", "tensorflow": tf.__version__, "device": name.strip()}


def device_info(keras3: bool = True) -> dict:
    """The machine, and the GPUs of Keras 3's backend (``keras3``) or of TensorFlow; TensorFlow's version
    when it is installed (read from its metadata: a JAX run does not load it)."""
    from importlib.metadata import PackageNotFoundError, version

    from ...training import backend

    info = {"platform": platform.platform(), "cpu_count": os.cpu_count()}
    try:
        info["tensorflow"] = version("tensorflow")
    except PackageNotFoundError:
        pass
    if keras3:
        described = backend.describe()
        info.update(described, gpu=backend.accelerators())
    else:
        described = tensorflow_device()
        info.update(gpu=[] if described["device"] == "CPU" else [described["device"]])
    if info["gpu"]:
        info["gpu_name"] = info["gpu"][0]
    return info


class PeakMemory:
    """Peak resident memory of this process above its level at start (sampled), and the GPU's peak of the
    framework that does the work: ``keras`` (Keras 3 on its backend), ``tf_keras`` (TensorFlow) or None."""

    def __init__(self, framework: str | None = None, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.framework = framework

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.base = self._rss()
        self.peak = self.base
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.gpu = False
        try:
            if self.framework == "keras":
                from ...training import backend

                self.gpu = backend.reset_peak_memory()
            elif self.framework == "tf_keras":
                import tensorflow as tf

                if tf.config.list_physical_devices("GPU"):
                    tf.config.experimental.reset_memory_stats("GPU:0")
                    self.gpu = True
        except Exception:  # noqa: BLE001 - the GPU figure is informative only
            self.gpu = False
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.result = {"host_peak_mb": round((self.peak - self.base) / 2**20, 1)}
        if self.gpu:
            if self.framework == "keras":
                from ...training import backend

                peak = backend.peak_memory_mb()
            else:
                import tensorflow as tf

                peak = round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, 1)
            if peak is not None:
                self.result["gpu_peak_mb"] = peak
        return False
