"""Build directories appear whole or not at all: build in a sibling temporary folder, then rename."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import UserInputError

log = logging.getLogger(__name__)

# Files that record their own folder's absolute path (hls4ml writes OutputDir, InputData, ...).
RELOCATED_FILES = ("hls4ml_config.yml",)


def check_target(target: Path, force: bool) -> None:
    """Fail before any work when the target exists and --force was not given."""
    if target.exists() and not force:
        raise UserInputError(f"{target} already exists: choose another --name/--output-dir, or pass --force "
                             "to replace it")
    if target.exists() and not target.is_dir():
        raise UserInputError(f"{target} exists and is not a directory: remove it or choose another --output-dir")


@contextlib.contextmanager
def staged(target: Path, force: bool):
    """Yield a temporary folder next to ``target``; on success move it into place.

    On an exception the staging folder is removed and an existing ``target`` is untouched.
    Callers that want to keep a finished-but-failed build raise after leaving the block.
    """
    target = Path(target).resolve()
    check_target(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    _relocate(staging, target)
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(old)
        os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, target)
    log.info("wrote %s", target)


def _relocate(staging: Path, target: Path) -> None:
    """Point paths recorded inside the build at its final place (before the move, so it stays atomic)."""
    for name in RELOCATED_FILES:
        path = staging / name
        if path.is_file():
            path.write_text(path.read_text().replace(str(staging), str(target)))
