"""Build directories appear whole or not at all, and never at the cost of a user's files.

* A build writes into a sibling staging folder and renames it into place at the end.
* ``--force`` replaces only a folder that is recognisably an fpga-nn project (the :data:`MARKER`
  file every build writes), never the current directory, a folder above it, or a folder holding
  the build's own inputs.
* One build per target at a time: :func:`check_target` takes an exclusive lock on
  ``.<name>.lock`` beside the target and keeps it until the build has moved into place (the
  operating system drops it when the process dies, however it dies). With the lock held, any
  ``.<name>.building-*`` folder beside the target is a leftover of a killed build: removed.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from ..errors import UserInputError

log = logging.getLogger(__name__)

# Files that record their own folder's absolute path (hls4ml writes OutputDir, InputData, ...).
RELOCATED_FILES = ("hls4ml_config.yml",)
MARKER = ".fpga-nn-project"
_LEGACY_FILES = ("build.json", "csim_check.json")  # projects written before the marker existed
_LOCKS: dict[Path, int] = {}


def is_project(folder: Path) -> bool:
    """True for a folder that fpga-nn wrote (its marker, or a build record beside firmware/)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    return (folder / "firmware").is_dir() and any((folder / f).is_file() for f in _LEGACY_FILES)


def _contains(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def check_target(target: Path, force: bool, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Fail before any work unless ``target`` may be written; then hold its build lock.

    ``inputs`` are the files the build reads (model, data): a target that holds them is refused.
    """
    target = Path(target).resolve()
    cwd = Path.cwd().resolve()
    if _contains(target, cwd):
        raise UserInputError(
            f"{target} is the current directory or holds it: give --output-dir a new folder (e.g. hls_projects/my_net)"
        )
    for path in inputs:
        path = Path(path).resolve()
        if _contains(target, path):
            raise UserInputError(f"{target} holds the input {path}: write the project to another --output-dir")
    if target.exists():
        if not target.is_dir():
            raise UserInputError(f"{target} exists and is not a directory: remove it or choose another --output-dir")
        if not force:
            raise UserInputError(
                f"{target} already exists: choose another --name/--output-dir, or pass --force to replace it"
            )
        if not is_project(target):
            raise UserInputError(
                f"{target} exists and is not an fpga-nn project (no {MARKER}): --force replaces "
                "only projects fpga-nn wrote; choose another --output-dir"
            )
    _lock(target)


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _lock(target: Path) -> None:
    """Take the target's build lock (refusing when another live build holds it); clear dead builds' leftovers."""
    if target in _LOCKS:
        return
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=parent, prefix=f".{target.name}.probe-")
        probe.close()
    except OSError as exc:
        raise UserInputError(f"cannot write into {parent} ({exc.strerror}): choose a writable --output-dir") from exc
    path = _lock_path(target)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise UserInputError(
                f"another fpga-nn build (pid {holder}) is writing {target}: wait for it to "
                "finish, or choose another --name/--output-dir"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file a finishing build has just removed
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _LOCKS[target] = fd
    for stale in [*parent.glob(f".{target.name}.building-*"), *parent.glob(f".{target.name}.old-*")]:
        log.info("removing %s, left by a build that was killed", stale)
        shutil.rmtree(stale, ignore_errors=True)


def release(target: Path) -> None:
    """Drop the target's build lock (and its lock file) if this process holds it."""
    fd = _LOCKS.pop(Path(target).resolve(), None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.unlink(_lock_path(Path(target).resolve()))
        os.close(fd)


@contextlib.contextmanager
def staged(target: Path, force: bool, inputs: Iterable[str | os.PathLike] = ()):
    """Yield a temporary folder next to ``target``; on success move it into place.

    On an exception (an interrupt or SIGTERM included) the staging folder is removed and an
    existing ``target`` is untouched. Callers that want to keep a finished-but-failed build raise
    after leaving the block.
    """
    target = Path(target).resolve()
    check_target(target, force, inputs)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        os.chmod(staging, 0o755)
        _relocate(staging, target)
        (staging / MARKER).write_text(
            json.dumps({"tool": "fpga-nn", "written": time.strftime("%Y-%m-%dT%H:%M:%S"), "pid": os.getpid()}) + "\n"
        )
        if target.exists():
            if not (force and is_project(target)):  # appeared during the build, written by someone else
                shutil.rmtree(staging, ignore_errors=True)
                raise UserInputError(
                    f"{target} appeared while building and is not ours to replace: build again "
                    "with another --output-dir"
                )
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, target)
        log.info("wrote %s", target)
    finally:
        release(target)


def _relocate(staging: Path, target: Path) -> None:
    """Point paths recorded inside the build at its final place (before the move, so it stays atomic)."""
    for name in RELOCATED_FILES:
        path = staging / name
        if path.is_file():
            path.write_text(path.read_text().replace(str(staging), str(target)))


@atexit.register
def _release_all() -> None:  # a build that stopped before staging (a refused model) still leaves no lock file
    for target in list(_LOCKS):
        release(target)
