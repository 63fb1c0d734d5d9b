"""Temporary folders (``fpga-nn-KIND-*`` in the system's temporary directory) that a killed run
cannot leave behind for good.

Each folder holds ``.owner``, locked by the process that made it for as long as it lives; the
operating system drops the lock however the process dies. Every new scratch folder first sweeps
the temporary directory: a folder whose ``.owner`` lock can be taken belongs to a dead run and is
removed (one without ``.owner``, from an fpga-nn before this, when older than ten minutes).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "fpga-nn-"
OWNER = ".owner"
UNOWNED_AGE_S = 600.0


def _dead(folder: Path) -> bool:
    try:
        fd = os.open(folder / OWNER, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > UNOWNED_AGE_S
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def sweep(where: str | os.PathLike | None = None) -> list[Path]:
    """Remove the scratch folders of dead runs; returns what was removed."""
    removed = []
    for folder in Path(where or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        if folder.is_dir() and not folder.is_symlink() and _dead(folder):
            log.info("removing %s, left by a run that was killed", folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def scratch(kind: str) -> Iterator[Path]:
    """A fresh ``fpga-nn-KIND-*`` folder, owned (locked) while the block runs, removed after it."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    fd = os.open(folder / OWNER, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
