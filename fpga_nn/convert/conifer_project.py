"""conifer projects of a fixed-point tree ensemble: the Vitis HLS project, its C-simulation, the VHDL.

conifer (1.11) writes the firmware; fpga-nn hands it the ensemble with every threshold and leaf value
already an exact grid value of its type (:mod:`fpga_nn.verify.trees`), the split convention
``x <= threshold`` and the normalisation 1, so conifer's conversions from double are exact and the
firmware computes what the emulator computes. The wheel's C++ backends point at headers it does not
ship: the project gets hls4ml's ``ap_types`` (which include ``hls_stream.h``) in ``firmware/ap_types``,
and the C-simulation is fpga-nn's own g++ harness (no pybind11, no JSON headers): it reads the
events as doubles on the input grid and writes each score as a double.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

import numpy as np

from .. import tools
from ..errors import ToolError, UserInputError
from .tree_types import QuantizedEnsemble

log = logging.getLogger(__name__)

# names conifer's generated C++ already uses at file scope: a project named so would not compile
RESERVED = frozenset(
    {"bdt", "BDT", "load", "compute", "store", "split_fn", "n_trees", "max_depth", "n_features", "n_classes",
     "unroll", "splitting_convention", "main", "input_t", "score_t", "weight_t", "threshold_t"}
)  # fmt: skip
WEIGHT_TYPE = "ap_fixed<2,2>"  # conifer's one-hot split weights (0 and 1) of axis-aligned trees
CSIM_TIMEOUT_S = 1800
PARALLEL_EVENTS = 20000  # events per process at least, when the C-simulation runs in several

HARNESS = """// fpga-nn's C-simulation harness for the conifer project NAME: doubles in, doubles out.
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "parameters.h"
// one translation unit: the ap_types headers and the trees' templates are parsed once (2.4x faster than three)
#include "NAME.cpp"
#include "BDT.cpp"

int main(int argc, char **argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: %s IN.bin OUT.bin N\\n", argv[0]); return 2; }
    const size_t n = std::strtoull(argv[3], nullptr, 10);
    std::vector<double> in(n * n_features), out(n);
    FILE *fi = std::fopen(argv[1], "rb");
    if (!fi || std::fread(in.data(), sizeof(double), in.size(), fi) != in.size()) return 1;
    std::fclose(fi);
    for (size_t e = 0; e < n; ++e) {
        input_arr_t x;
        for (int i = 0; i < n_features; ++i) x[i] = in[e * n_features + i];
        score_arr_t score;
        NAME(x, score);
        out[e] = score[0].to_double();
    }
    FILE *fo = std::fopen(argv[2], "wb");
    if (!fo || std::fwrite(out.data(), sizeof(double), n, fo) != n) return 1;
    std::fclose(fo);
    return 0;
}
"""


def _exact(codes: np.ndarray, frac: int) -> list[float]:
    """Grid values as Python floats (exact: the codes have at most 62 bits... and a power-of-two scale)."""
    return [float(c) * 2.0**-frac for c in np.asarray(codes, dtype=np.int64)]


def ensemble_dict(q: QuantizedEnsemble) -> dict:
    """conifer's ensembleDict of ``q``: exact grid values, ``<=`` splits, leaves as scikit-learn marks them."""
    ens, t = q.ensemble, q.types
    trees = []
    for tree, thr, val in zip(ens.trees, q.thresholds, q.values, strict=True):
        leaf = tree.left < 0
        onehot = np.zeros((len(tree.feature), ens.n_features), dtype=int)
        onehot[~leaf, tree.feature[~leaf]] = 1
        trees.append(
            [
                {
                    "feature": np.where(leaf, -2, tree.feature).tolist(),
                    "threshold": [
                        0.0 if lf else v for lf, v in zip(leaf, _exact(thr, t.input.fractional), strict=True)
                    ],
                    "value": _exact(val, t.score.fractional),
                    "children_left": tree.left.tolist(),
                    "children_right": tree.right.tolist(),
                    "weight": onehot.tolist(),
                }
            ]
        )
    return {
        "max_depth": ens.max_depth,
        "n_trees": len(ens.trees),
        "n_classes": 2,
        "n_features": ens.n_features,
        "trees": trees,
        "init_predict": [q.base * 2.0**-t.score.fractional],
        "norm": 1,
        "library": "fpga-nn",
        "splitting_convention": "<=",
    }


@contextlib.contextmanager
def _quiet_conifer():
    """conifer logs every step at INFO and warns about xgboost versions: keep its logger at WARNING."""
    logger = logging.getLogger("conifer")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_name(name: str) -> None:
    if name in RESERVED or name.startswith("tree_"):
        raise UserInputError(f"project name '{name}' is a name conifer's C++ uses itself: choose another with --name")


def write_hls(q: QuantizedEnsemble, out_dir: Path, name: str, part: str, clock_period: float) -> Path:
    """The conifer Vitis HLS project of ``q`` in ``out_dir`` (unrolled trees, one pipeline)."""
    from conifer.backends.xilinxhls.writer import XilinxHLSModel

    check_name(name)
    t = q.types
    config = {
        "backend": "xilinxhls",
        "output_dir": str(out_dir),
        "project_name": name,
        "input_precision": t.input.to_ap(),
        "threshold_precision": t.threshold.to_ap(),
        "weight_precision": WEIGHT_TYPE,
        "score_precision": t.score.to_ap(),
        "xilinx_part": part,
        "clock_period": clock_period,
        "unroll": True,
    }
    with _quiet_conifer():
        XilinxHLSModel(ensemble_dict(q), config).write()
    _ap_types(Path(out_dir) / "firmware")
    return Path(out_dir)


def _ap_types(firmware: Path) -> None:
    import hls4ml

    src = Path(hls4ml.__file__).parent / "templates" / "vivado" / "ap_types"
    if not src.is_dir():
        raise ToolError(f"hls4ml's ap_types headers are missing ({src}): reinstall hls4ml")
    shutil.copytree(src, firmware / "ap_types", dirs_exist_ok=True)


def compile_csim(project: Path, name: str) -> Path:
    """g++ of the project's firmware with fpga-nn's harness; returns the executable."""
    compiler = tools.which("g++")
    if compiler is None:
        raise ToolError("the C-simulation needs g++: apt-get install g++")
    fw = Path(project) / "firmware"
    sim = Path(project) / "csim"
    sim.mkdir(exist_ok=True)
    (sim / "harness.cpp").write_text(HARNESS.replace("NAME", name))
    exe = sim / "csim"
    cmd = [compiler, "-std=c++14", "-O1", "-w", "-I", str(fw), "-I", str(fw / "ap_types"), "-o", str(exe)]
    cmd += [str(sim / "harness.cpp")]
    tools.run(cmd, cwd=sim, log_file=sim / "compile.log", timeout=CSIM_TIMEOUT_S)
    return exe


def run_csim(exe: Path, x_on_grid: np.ndarray) -> np.ndarray:
    """The compiled firmware's score of every event (``x_on_grid``: the events on the input grid); large event
    sets run as one process per core on consecutive slices (a suite-size ensemble: 1.5 ms per event)."""
    from concurrent.futures import ThreadPoolExecutor

    x = np.ascontiguousarray(x_on_grid, dtype=np.float64)
    parts = np.array_split(np.arange(len(x)), max(1, min(tools.jobs(), len(x) // PARALLEL_EVENTS)))
    with ThreadPoolExecutor(len(parts)) as pool:
        scores = list(pool.map(lambda ip: _run_slice(exe, x[ip[1]], ip[0]), enumerate(parts)))
    out = np.concatenate(scores) if scores else np.zeros(0)
    if len(out) != len(x):
        raise ToolError(f"the C-simulation wrote {len(out)} scores for {len(x)} events")
    return out


def _run_slice(exe: Path, x: np.ndarray, k: int) -> np.ndarray:
    sim = Path(exe).parent
    inp, out = sim / f"in{k}.bin", sim / f"out{k}.bin"
    x.tofile(inp)
    try:
        tools.run([str(exe), str(inp), str(out), str(len(x))], cwd=sim, timeout=CSIM_TIMEOUT_S)
        scores = np.fromfile(out, dtype=np.float64)
    finally:
        inp.unlink(missing_ok=True)
        out.unlink(missing_ok=True)
    if len(scores) != len(x):
        raise ToolError(f"the C-simulation wrote {len(scores)} scores for {len(x)} events")
    return scores


class _ExactConverter:
    """conifer's VHDL writer converts values with a pybind11-compiled ap_fixed; fpga-nn's values are grid
    values already, so their integer codes are exact scalings (no compiler, no pybind11)."""

    def __init__(self, type_string: str):
        from ..fixed import FixedType

        t = FixedType.parse(type_string)
        self.width, self.integer_bits, self.fractional_bits = t.width, t.integer, t.fractional

    def to_int(self, x: float) -> int:
        scaled = float(x) * 2.0**self.fractional_bits
        if scaled != round(scaled):
            raise UserInputError(f"conifer VHDL: {x!r} is not on the {self.width}-bit grid (an fpga-nn bug)")
        return int(scaled)


def vhdl_type(q: QuantizedEnsemble):
    """The one type conifer's VHDL backend uses for inputs, thresholds and scores: wide enough for all."""
    from ..fixed import FixedType

    t = q.types
    frac = max(t.input.fractional, t.score.fractional)
    integer = max(t.threshold.integer, t.score.integer)
    return FixedType(True, integer + frac, integer)


def write_vhdl(q: QuantizedEnsemble, out_dir: Path, name: str, part: str) -> Path:
    """conifer's VHDL project of ``q`` (its pipelined trees and adder tree) in ``out_dir``."""
    import conifer.backends.vhdl.writer as vhdl

    common = vhdl_type(q).to_ap()
    config = {"backend": "vhdl", "output_dir": str(out_dir), "project_name": name, "precision": common}
    config["xilinx_part"] = part
    saved = vhdl.FixedPointConverter
    vhdl.FixedPointConverter = _ExactConverter
    try:
        with _quiet_conifer():
            vhdl.VHDLModel(ensemble_dict(q), config).write()
    finally:
        vhdl.FixedPointConverter = saved
    return Path(out_dir)
