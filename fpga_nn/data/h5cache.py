"""Generated samples cached as HDF5 files keyed by the fingerprint of everything that made them."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def cache_root() -> Path:
    """``$FPGA_NN_CACHE``, default ~/.cache/fpga-nn."""
    return Path(os.environ.get("FPGA_NN_CACHE", Path.home() / ".cache" / "fpga-nn"))


def cache_dir(kind: str) -> Path:
    """Where generated samples (and compiled emulator kernels) are cached: ``$FPGA_NN_CACHE/<kind>``."""
    return cache_root() / kind


def portable(path: str | os.PathLike) -> str:
    """``path`` as a results file may hold it (no machine's folders): ``$FPGA_NN_CACHE/<kind>/<file>`` for a
    cached sample, else the file's name alone."""
    path = Path(path)
    try:
        return "$FPGA_NN_CACHE/" + path.resolve().relative_to(cache_root().resolve()).as_posix()
    except ValueError:
        return path.name


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
    from .. import outdir
    from ..errors import UserInputError

    path = Path(path)
    stored = stored_fingerprint(path) if path.is_file() else None
    if stored == fingerprint:
        log.info("using cached %s %s", what, path)
        return path, False
    if path.is_dir():
        raise UserInputError(f"{path} is a folder: give a file name for the {what}, e.g. {path / 'events.h5'}")
    if path.exists() and stored is None:
        raise UserInputError(
            f"{path} exists and is not an fpga-nn sample (no fingerprint): it is left as it is; choose another --out"
        )
    outdir.check_writable(path.parent, "--out")
    outdir.check_space(path.parent, flag="--out")
    with _generating(path):  # one process generates, another asking for the same file waits and reuses it
        if path.is_file() and stored_fingerprint(path) == fingerprint:
            log.info("using %s %s, generated meanwhile by another process", what, path)
            return path, False
        log.info("generating %s into %s (settings changed or no cache)", what, path)
        make(path)
    return path, True


@contextlib.contextmanager
def _generating(path: Path):
    """An exclusive lock on ``.<name>.lock`` beside ``path`` (released when the process ends, however)."""
    try:
        import fcntl
    except ImportError:  # no POSIX locks: each process generates its own (atomically replaced) copy
        yield
        return
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
