"""Where a study ran: the TensorFlow devices, and the peak host/GPU memory of a piece of work."""

from __future__ import annotations

import os
import platform
import threading


def device_info() -> dict:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    info = {
        "tensorflow": tf.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "gpu": [g.name for g in gpus],
    }
    if gpus:
        try:
            info["gpu_name"] = tf.config.experimental.get_device_details(gpus[0]).get("device_name")
        except Exception:  # noqa: BLE001 - details are informative only
            pass
    return info


class PeakMemory:
    """Peak resident memory of this process above its level at start (sampled), and the GPU's peak."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

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
        self.gpu = None
        try:
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
                self.gpu = 0
        except Exception:  # noqa: BLE001
            self.gpu = None
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.result = {"host_peak_mb": round((self.peak - self.base) / 2**20, 1)}
        if self.gpu is not None:
            import tensorflow as tf

            self.result["gpu_peak_mb"] = round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, 1)
        return False
