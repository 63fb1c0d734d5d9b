"""The one output contract of every command that writes: nothing a user has is lost or mixed.

Two kinds of output folder, one set of rules:

* **Projects** (``build``, a study's firmware): written into a sibling staging folder and renamed
  into place at the end (:func:`staged`). The :data:`MARKER` file lists every file the build wrote;
  ``--force`` replaces a project only when everything in it is on that list (a user's notes or a
  vendor ``*_prj/`` run inside it make the command refuse, naming them) and logs what it removes.
* **Results folders** (``scan``, ``suite``, ``compare``, every study's ``--out``): resumable, so
  written in place, each file atomically (:mod:`.atomic`). :func:`results_folder` refuses a folder
  that holds files but no :data:`RESULTS_MARKER`, or one another command wrote.

For both: never the current directory, a folder above it, or a folder holding the command's own
inputs; a target that is a file is refused; writability and free space are checked before any
work; one writer per folder at a time (an exclusive lock on ``.<name>.lock`` beside it, dropped by
the operating system however the process dies). With the lock held, ``.<name>.building-*`` and
``.<name>.old-*`` folders beside the target are leftovers of a killed run: removed.
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
from collections.abc import Iterable, Iterator
from pathlib import Path

from . import project_files
from .errors import UserInputError

log = logging.getLogger(__name__)

# Files that record their own folder's absolute path (hls4ml writes OutputDir, InputData, ...).
RELOCATED_FILES = ("hls4ml_config.yml",)
MARKER = ".fpga-nn-project"
RESULTS_MARKER = ".fpga-nn-results"
MIN_FREE_BYTES = 64 << 20  # below this no command starts: a full disk fails before any work
_LEGACY_FILES = (project_files.BUILD_RECORD, project_files.CSIM_CHECK)  # projects written before the marker existed
# What builds wrote at the top of a project before the marker listed its files
_LEGACY_TOP = frozenset(
    {MARKER, ".csim.lock", "build_prj.tcl", "build_opt.tcl", "build_lib.sh", "project.tcl", "vivado_synth.tcl",
     "firmware", "tb_data", "model.h5", "hls4ml_config.yml", "csim_build.log", "emulation.json",
     "emulation_weights.npz", "plots", "cpp", "preprocess.json", "rtl_status.json", "model.keras",
     *project_files.TOP_LEVEL}
)  # fmt: skip
_LEGACY_SUFFIXES = ("_bridge.cpp", "_test.cpp")
_LOCKS: dict[Path, int] = {}


def is_project(folder: Path) -> bool:
    """True for a folder that fpga-nn wrote (its marker, or a build record beside firmware/)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    return (folder / "firmware").is_dir() and any((folder / f).is_file() for f in _LEGACY_FILES)


def _contains(folder: Path, path: Path) -> bool:
    return path == folder or folder in path.parents


def _refuse_unsafe_place(target: Path, inputs: Iterable, flag: str) -> None:
    cwd = Path.cwd().resolve()
    if _contains(target, cwd):
        raise UserInputError(f"{target} is the current directory or holds it: give {flag} a new folder")
    for path in inputs:
        if path is None:
            continue
        path = Path(path).resolve()
        if _contains(target, path):
            raise UserInputError(f"{target} holds the input {path}: write to another {flag}")
    if target.exists() and not target.is_dir():
        raise UserInputError(f"{target} exists and is not a directory: remove it or choose another {flag}")


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_space(folder: Path, need: int = MIN_FREE_BYTES, flag: str = "--out") -> None:
    """Refuse before any work when the file system of ``folder`` has less than ``need`` bytes free."""
    free = shutil.disk_usage(_existing_ancestor(Path(folder).resolve())).free
    if free < need:
        raise UserInputError(
            f"only {free / 2**20:.0f} MiB free under {folder}, and this needs about {need / 2**20:.0f} MiB: "
            f"free some space or choose another {flag}"
        )


def check_writable(parent: Path, flag: str) -> None:
    """A file can be created in ``parent`` (made if missing): else one line naming the reason."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=parent, prefix=".fpga-nn.probe-")
        probe.close()
    except FileExistsError:
        raise UserInputError(f"{parent} is a file, not a folder: choose another {flag}") from None
    except OSError as exc:
        raise UserInputError(f"cannot write into {parent} ({exc.strerror}): choose a writable {flag}") from exc


def _manifest(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() and p.name != MARKER)


def _marker(folder: Path) -> dict:
    try:
        record = json.loads((folder / MARKER).read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def foreign_files(project: Path) -> list[str]:
    """What lies in ``project`` that fpga-nn did not write: not in its marker's list (for projects
    written before the list existed: top-level names no build writes)."""
    listed = _marker(project).get("files")
    if isinstance(listed, list):
        known = set(listed)
        found = [p for p in _manifest(project) if p not in known]
    else:
        found = [
            p.name + ("/" if p.is_dir() else "")
            for p in project.iterdir()
            if p.name not in _LEGACY_TOP and not p.name.endswith(_LEGACY_SUFFIXES)
        ]
    return sorted(found)


def record_files(project: Path, names: Iterable[str]) -> None:
    """Add files written into an existing project (``report``) to its marker's list."""
    record = _marker(project)
    if isinstance(record.get("files"), list):
        record["files"] = sorted(set(record["files"]) | set(names))
        from .atomic import write_text

        write_text(project / MARKER, json.dumps(record) + "\n")


def check_target(target: Path, force: bool, inputs: Iterable[str | os.PathLike] = (), flag="--output-dir") -> None:
    """Fail before any work unless ``target`` may be written; then hold its lock.

    ``inputs`` are the files the build reads (model, data): a target that holds them is refused.
    """
    target = Path(target).resolve()
    _refuse_unsafe_place(target, inputs, flag)
    if target.exists():
        if not force:
            raise UserInputError(
                f"{target} already exists: choose another --name/{flag}, or pass --force to replace it"
            )
        if not is_project(target):
            raise UserInputError(
                f"{target} exists and is not an fpga-nn project (no {MARKER}): --force replaces "
                f"only projects fpga-nn wrote; choose another {flag}"
            )
        foreign = foreign_files(target)
        if foreign:
            shown = ", ".join(foreign[:4]) + (f" and {len(foreign) - 4} more" if len(foreign) > 4 else "")
            raise UserInputError(
                f"{target} holds {len(foreign)} file(s) fpga-nn did not write ({shown}): --force would delete "
                f"them; move them out or choose another {flag}"
            )
    _lock(target, flag)
    check_space(target.parent, flag=flag)


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


def _lock(target: Path, flag: str = "--output-dir") -> None:
    """Take the target's lock (refusing when another live run holds it); clear dead runs' leftovers."""
    if target in _LOCKS:
        return
    parent = target.parent
    check_writable(parent, flag)
    path = _lock_path(target)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise UserInputError(
                f"another fpga-nn run (pid {holder}) is writing {target}: wait for it to "
                f"finish, or choose another --name/{flag}"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a lock file a finishing run has just removed
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _LOCKS[target] = fd
    for stale in [*parent.glob(f".{target.name}.building-*"), *parent.glob(f".{target.name}.old-*")]:
        log.info("removing %s, left by a run that was killed", stale)
        shutil.rmtree(stale, ignore_errors=True)


def release(target: Path) -> None:
    """Drop the target's lock (and its lock file) if this process holds it."""
    fd = _LOCKS.pop(Path(target).resolve(), None)
    if fd is not None:
        with contextlib.suppress(OSError):
            os.unlink(_lock_path(Path(target).resolve()))
        os.close(fd)


def _summary(files: list[str]) -> str:
    groups: dict[str, int] = {}
    for f in files:
        top = f.split("/", 1)[0] + ("/" if "/" in f else "")
        groups[top] = groups.get(top, 0) + 1
    return ", ".join(f"{k} ({n})" if n > 1 else k for k, n in sorted(groups.items()))


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
        record = {"tool": "fpga-nn", "written": time.strftime("%Y-%m-%dT%H:%M:%S"), "pid": os.getpid()}
        (staging / MARKER).write_text(json.dumps({**record, "files": _manifest(staging)}) + "\n")
        if target.exists():
            foreign = foreign_files(target) if is_project(target) else ["(not a project)"]
            if not force or foreign:  # appeared or changed during the build, written by someone else
                shutil.rmtree(staging, ignore_errors=True)
                raise UserInputError(
                    f"{target} appeared or changed while building and is not ours to replace: build again "
                    "with another --output-dir"
                )
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
            os.rename(staging, target)
            removed = _manifest(old)
            log.info("replaced %s: removed %d files fpga-nn wrote: %s", target, len(removed), _summary(removed))
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


@contextlib.contextmanager
def results_folder(
    out: str | os.PathLike, command: str, inputs: Iterable = (), flag: str = "--out", need: int = MIN_FREE_BYTES
) -> Iterator[Path]:
    """Claim the results folder ``out`` for ``command`` (scan, suite, llp, ...) before any work.

    Refused: a file; the current directory or a folder above it; a folder holding the inputs; a
    folder that holds files but no :data:`RESULTS_MARKER` (fpga-nn did not write it); one another
    command wrote; one another run is writing; an unwritable folder or a nearly full disk.
    """
    out = Path(out).resolve()
    _refuse_unsafe_place(out, inputs, flag)
    marker = out / RESULTS_MARKER
    if out.is_dir():
        if marker.is_file():
            try:
                owner = json.loads(marker.read_text()).get("command")
            except (OSError, ValueError, AttributeError):
                owner = None
            if owner != command:
                raise UserInputError(
                    f"{out} holds the results of fpga-nn {owner or '(unknown)'}, not of {command}: give {command} "
                    f"its own {flag}"
                )
        elif any(out.iterdir()):
            names = sorted(p.name for p in out.iterdir())
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise UserInputError(
                f"{out} holds files fpga-nn did not write ({shown}; no {RESULTS_MARKER}): choose a new or empty {flag}"
            )
    created = not out.exists()
    _lock(out, flag)
    try:
        check_writable(out, flag)
        check_space(out, need, flag)
        if not marker.is_file():
            from .atomic import write_text

            write_text(marker, json.dumps({"tool": "fpga-nn", "command": command}) + "\n")
        yield out
    except BaseException:
        if created and {p.name for p in out.iterdir()} <= {RESULTS_MARKER}:  # a refusal leaves no empty folder
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        release(out)


@atexit.register
def release_all() -> None:  # a run that stopped before staging (a refused model) still leaves no lock file
    for target in list(_LOCKS):
        release(target)


def writes_results(command: str, need: int = MIN_FREE_BYTES):
    """Decorate a study's ``run(cfg, out, ...)``: ``out`` is claimed with :func:`results_folder` before
    the body runs (so a refused folder costs no work) and handed to it resolved."""
    import functools
    import inspect

    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            with results_folder(bound.arguments["out"], command, need=need) as out:
                bound.arguments["out"] = out
                return fn(*bound.args, **bound.kwargs)

        return run

    return wrap


@contextlib.contextmanager
def updating_project(project: str | os.PathLike, flag: str = "PROJECT") -> Iterator[Path]:
    """Write into an existing project (``report``): it must be one fpga-nn wrote; its lock is held (no
    build replaces it meanwhile); writability and space are checked first. New files join its list."""
    project = Path(project).resolve()
    if not project.is_dir():
        raise UserInputError(f"project {project} not found: build it first, or give the folder fpga-nn build wrote")
    if not is_project(project):
        raise UserInputError(f"{project} is not an fpga-nn project (no {MARKER}): give the folder fpga-nn build wrote")
    before = set(_manifest(project))
    _lock(project, flag)
    try:
        check_writable(project, flag)
        check_space(project, flag=flag)
        yield project
        record_files(project, set(_manifest(project)) - before)
    finally:
        release(project)


def output_file(out: str | os.PathLike, force: bool, inputs: Iterable = (), flag: str = "--out") -> Path:
    """Check a single output file (``emulate --out``) before any work: not an input, not a folder, not an
    existing file unless ``force``, in a writable folder with space. The caller writes it atomically."""
    out = Path(out)
    for path in inputs:
        if path is not None and out.resolve() == Path(path).resolve():
            raise UserInputError(f"{flag} {out} is the input file: write to another file")
    if out.is_dir():
        raise UserInputError(f"{flag} {out} is a folder: give a file name, e.g. {out / 'scores.npy'}")
    if out.exists() and not force:
        raise UserInputError(f"{flag} {out} already exists: choose another file, or pass --force to replace it")
    check_writable(out.parent, flag)
    check_space(out.parent, flag=flag)
    return out
