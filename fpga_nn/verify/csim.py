"""C-simulation of a generated project: compile its bridge library, run it in a child process.

hls4ml's in-process ``compile()``/``predict()`` has hard edges (a missing weight file calls
``exit(1)`` inside the Python process; concurrent compiles in one directory collide; every
compile leaves another stamped ``.so``). Here the library is built with the project's own
``build_lib.sh`` under a per-project lock, and the events are run through it by
``python -m fpga_nn.verify.csim_worker`` so a crash in C++ is an error, not a dead process.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import sys
from pathlib import Path

import numpy as np

from .. import tools
from ..errors import ToolError
from ..scratch import scratch

log = logging.getLogger(__name__)


@contextlib.contextmanager
def project_lock(project_dir: Path):
    with open(project_dir / ".csim.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _project_name(project_dir: Path) -> str:
    for line in (project_dir / "build_lib.sh").read_text().splitlines():
        if line.startswith("PROJECT="):
            return line.split("=", 1)[1].strip()
    raise ToolError(f"{project_dir}/build_lib.sh names no PROJECT: regenerate the project")


# hls4ml 1.3's build_lib.sh compiles the firmware and the bridge as two translation units, each parsing
# the ap_types and nnet_utils headers (most of the compile time). One unity unit parses them once.
_TWO_UNITS = (
    '${CC} ${CFLAGS} ${INCFLAGS} -D WEIGHTS_DIR="${WEIGHTS_DIR}" -c firmware/${PROJECT}.cpp -o ${PROJECT}.o\n'
    '${CC} ${CFLAGS} ${INCFLAGS} -D WEIGHTS_DIR="${WEIGHTS_DIR}" -c ${PROJECT}_bridge.cpp -o ${PROJECT}_bridge.o\n'
    "${CC} ${CFLAGS} ${INCFLAGS} -shared ${PROJECT}.o ${PROJECT}_bridge.o -o firmware/${PROJECT}-${LIB_STAMP}.so\n"
)
_ONE_UNIT = (
    'printf \'#include "firmware/%s.cpp"\\n#include "%s_bridge.cpp"\\n\' ${PROJECT} ${PROJECT} > .fpga_nn_unity.cpp\n'
    '${CC} ${CFLAGS} ${INCFLAGS} -D WEIGHTS_DIR="${WEIGHTS_DIR}" -shared .fpga_nn_unity.cpp '
    "-o firmware/${PROJECT}-${LIB_STAMP}.so\n"
    "rm -f .fpga_nn_unity.cpp\n"
)


def build_script(text: str, optimization: str = "-O3") -> str:
    """hls4ml's build_lib.sh with ``optimization`` and one translation unit (the same library, built faster).

    A script of another shape (another hls4ml version) is left as it is but for the optimization flag.
    """
    if optimization not in ("-O0", "-O1", "-O2", "-O3", "-Os"):
        raise ValueError(f"unsupported optimization flag {optimization}")
    return text.replace('CFLAGS="-O3 -fPIC"', f'CFLAGS="{optimization} -fPIC"').replace(_TWO_UNITS, _ONE_UNIT)


def build_library(project_dir: Path, optimization: str = "-O3") -> Path:
    """Compile the C-simulation shared library with g++; returns its path.

    ``optimization`` replaces hls4ml's ``-O3`` when given: large CNNs compile for many minutes at
    ``-O3`` and in a fraction of that at ``-O1``, with the same (bit-exact) results.
    """
    project_dir = Path(project_dir)
    tools.find("g++", "install a C++ compiler (Debian: apt-get install g++)")
    for old in (project_dir / "firmware").glob("*.so"):
        old.unlink()
    script = project_dir / ".build_lib_fpga_nn.sh"
    script.write_text(build_script((project_dir / "build_lib.sh").read_text(), optimization))
    try:
        tools.run(["bash", script.name], cwd=project_dir, log_file=project_dir / "csim_build.log")
    finally:
        script.unlink()
    libs = sorted((project_dir / "firmware").glob("*.so"))
    if len(libs) != 1:
        raise ToolError(f"expected one C-simulation library in {project_dir}/firmware, found {len(libs)}")
    return libs[0]


def run_csim(
    project_dir: str | Path,
    inputs: np.ndarray,
    n_outputs: int,
    keep_library: bool = False,
    optimization: str = "-O3",
    n_traced: int = 0,
    entry: str = "",
    stage_outputs: int = 0,
) -> np.ndarray | tuple:
    """Outputs of the firmware's C-simulation for every row of ``inputs`` (float64, shape (N, n_outputs)).

    With ``n_traced``, the project must have exactly one traced layer of that many values (the input
    of a softmax head): returns (outputs, traced values). ``entry`` picks another bridge function
    than the network's (``NAME_<entry>_double``: "codes" for a project with an input stage); with
    ``stage_outputs`` the same library also runs ``NAME_stage_double`` (the input stage alone) and
    its outputs are returned last.
    """
    project_dir = Path(project_dir).resolve()
    x = np.ascontiguousarray(inputs, dtype=np.float64).reshape(len(inputs), -1)
    name = _project_name(project_dir)
    with project_lock(project_dir), scratch("csim") as tmp:
        lib = build_library(project_dir, optimization)
        xin = Path(tmp) / "x.npy"
        np.save(xin, x)
        y, traced = _run_entry(lib, name + (f"_{entry}" if entry else ""), n_outputs, xin, Path(tmp), n_traced)
        staged = _run_entry(lib, f"{name}_stage", stage_outputs, xin, Path(tmp), 0)[0] if stage_outputs else None
        if not keep_library:
            lib.unlink()
    out = (y, traced) if n_traced else (y,)
    out += (staged,) if stage_outputs else ()
    return out if len(out) > 1 else out[0]


def _run_entry(lib: Path, entry: str, n_outputs: int, xin: Path, tmp: Path, n_traced: int):
    yout, tout = tmp / f"{entry}_y.npy", tmp / f"{entry}_t.npy"
    cmd = [sys.executable, "-m", "fpga_nn.verify.csim_worker", str(lib), entry, str(n_outputs), str(xin), str(yout)]
    if n_traced:
        cmd += [str(n_traced), str(tout)]
    proc = tools.run_group(cmd)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise ToolError(f"C-simulation ({entry}) of {lib.parent.parent} exited with code {proc.returncode}:\n{tail}")
    return np.load(yout), (np.load(tout) if n_traced else None)
