"""Generated samples cached as HDF5 files keyed by the fingerprint of everything that made them."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def cache_dir(kind: str) -> Path:
    """Where generated samples are cached: ``$FPGA_NN_CACHE/<kind>`` (default ~/.cache/fpga-nn/<kind>)."""
    return Path(os.environ.get("FPGA_NN_CACHE", Path.home() / ".cache" / "fpga-nn")) / kind


def stored_fingerprint(path: Path) -> str | None:
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return str(f.attrs["fingerprint"])
    except (OSError, KeyError):
        return None


def cached(path: str | os.PathLike, fingerprint: str, make: Callable[[Path], None], what: str) -> tuple[Path, bool]:
    """``path`` when it holds the sample with ``fingerprint``; else ``make(path)`` writes it (atomically).

    Returns the path and whether it was generated now.
    """
    path = Path(path)
    if path.is_file() and stored_fingerprint(path) == fingerprint:
        log.info("using cached %s %s", what, path)
        return path, False
    log.info("generating %s into %s (settings changed or no cache)", what, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    return path, True
