"""The only door to external programs (g++ via build_lib.sh, vitis_hls, vivado, yosys, verilator).

Programs are found with :func:`shutil.which` and run with ``subprocess.run(check=True)``;
a failure raises :class:`~fpga_nn.errors.ToolError` carrying the tail of the log.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ..errors import ToolError

log = logging.getLogger(__name__)

LOG_TAIL_LINES = 30


def find(name: str, hint: str = "") -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"'{name}' not found on PATH{': ' + hint if hint else ''}")
    return path


def run(cmd: Sequence[str], cwd: str | Path, log_file: str | Path | None = None, timeout: float | None = None,
        env: dict | None = None) -> str:
    """Run ``cmd`` in ``cwd``; return its combined output, raise ToolError with the log tail on failure."""
    log.debug("running %s in %s", " ".join(map(str, cmd)), cwd)
    try:
        proc = subprocess.run(
            [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
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
