"""The only door to external programs (g++ via build_lib.sh, vitis_hls, vivado, yosys, verilator).

Programs are found with :func:`shutil.which` and run in their own process group
(:func:`run_group`): when fpga-nn is interrupted or terminated, the whole group (a script and the
g++, Verilator or Yosys it started) is ended before the exception goes on. A failure raises
:class:`~fpga_nn.errors.ToolError` carrying the tail of the log.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import ToolError

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 30


def jobs() -> int:
    """Parallel jobs for external programs (Verilator's compile, C-simulation processes): FPGA_NN_JOBS when
    set (tests running side by side set 1), else all cores."""
    value = os.environ.get("FPGA_NN_JOBS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def which(name: str, path: str | None = None) -> str | None:
    """The program's full path on PATH (or on ``path``), or None: every lookup of a tool goes through here."""
    return shutil.which(name, path=path)


def find(name: str, hint: str = "") -> str:
    path = which(name)
    if path is None:
        raise ToolError(f"'{name}' not found on PATH{': ' + hint if hint else ''}")
    return path


def run(
    cmd: Sequence[str],
    cwd: str | Path,
    log_file: str | Path | None = None,
    timeout: float | None = None,
    env: dict | None = None,
) -> str:
    """Run ``cmd`` in ``cwd``; return its combined output, raise ToolError with the log tail on failure."""
    log.debug("running %s in %s", " ".join(map(str, cmd)), cwd)
    try:
        proc = run_group([str(c) for c in cmd], cwd=cwd, timeout=timeout, env=env)
    except FileNotFoundError as exc:
        raise ToolError(f"cannot run {cmd[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{cmd[0]} did not finish within {timeout} s") from exc
    output = (proc.stdout or "") + (proc.stderr or "")
    if log_file is not None:
        Path(log_file).write_text(output)
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-LOG_TAIL_LINES:])
        raise ToolError(f"{Path(str(cmd[0])).name} failed with exit code {proc.returncode} in {cwd}:\n{tail}")
    return output


def run_group(
    cmd: Sequence[str], cwd: str | Path | None = None, timeout: float | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``subprocess.run(cmd, capture_output=True, text=True)`` in a new process group; on any
    exception (a timeout, Ctrl-C, SIGTERM turned into SystemExit) the group is terminated, then killed."""
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        _end_group(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _end_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.communicate(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
