"""The suite's firmware rows: the quantized FNN/DFNN through hls4ml, the trees through conifer.

Each builds with :func:`~fpga_nn.build.core.run_build` into ``OUT/firmware/<row>`` and C-simulates every
test event; a mismatch is recorded as a result of the row (the table says so) instead of stopping the run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...fixed import FixedType
from .config import TREE_METHODS, SuiteConfig
from .data import row_key


def _options(row: dict, out: Path, part: str, rtl: bool):
    from ...build import firmware

    name = row_key(row).replace("-", "_").replace("+", "_")
    if row["method"] in TREE_METHODS:  # "BDT" is a name of conifer's own C++ (check_name refuses it)
        name += "_trees"
    return firmware.BuildOptions(
        part=part,
        name=name,
        output_dir=out / "firmware" / row_key(row),
        force=True,
        rtl=rtl,
    )


def _check(summary: dict, n: int, input_type: str, row: dict) -> dict:
    return {
        "events": summary.get("events", n),
        "mismatches": summary["mismatches"],
        "max_abs_diff_lsb": summary.get("max_abs_diff_lsb"),
        "output_type": summary.get("output_type"),
        "input_type": input_type,
        "csim_seconds": summary.get("csim_seconds"),
        "emulator": summary.get("emulator"),
        "project": f"firmware/{row_key(row)}",  # relative to the suite's folder: no machine paths in results
    }


def qkeras_firmware(row: dict, model, x_test: np.ndarray, input_type: FixedType, out: Path, part: str):
    """QKeras -> hls4ml -> C-simulation on every test event; the firmware's scores and the check."""
    from ...build.core import run_build

    opts = _options(row, out, part, rtl=False)
    checked = run_build("suite", model, x_test, input_type, opts, strict=False).checked
    return _check(checked.summary, len(x_test), input_type.to_ap(), row), checked.csim.reshape(-1).astype(np.float64)


def tree_firmware(cfg: SuiteConfig, row: dict, model, x_test: np.ndarray, out: Path, part: str):
    """The trained BDT / XGBoost -> conifer -> C-simulation (of ``firmware.trees_csim_events`` test events, all
    when null) equal to fpga-nn's tree emulator, with the RTL figures (conifer's VHDL, or alkaid's Verilog of the
    same trees for a large ensemble) when ``firmware.trees_rtl``;
    the firmware's scores on every test event (the project's emulator) and the check."""
    from ...build.core import run_build
    from ...build.tree_model import FAMILY, TreeModel
    from ...frontends import trees
    from ...verify.trees import TreeEmulator

    opts = _options(row, out, part, rtl=bool(cfg.firmware.trees_rtl))
    tree_model = TreeModel(trees.from_model(model), model, csim_events=cfg.firmware.trees_csim_events)
    x_test = np.asarray(x_test, np.float64)
    built = run_build("suite", tree_model, x_test, None, opts, family=FAMILY, strict=False)
    summary = built.checked.summary
    check = _check(summary, len(x_test), summary["input_type"], row)
    check.update(
        reference=summary.get("reference"),
        tree_types=summary.get("tree_types"),
        float_agreement=summary.get("float_agreement"),
        failure=built.failure,
    )
    report = built.report or {}
    if report.get("latency"):
        lat = report["latency"]
        check["latency"] = {k: lat[k] for k in ("cycles_max", "ns_max", "ii", "source")}
    yosys = [r for r in report.get("resources", []) if r["source"].startswith("Yosys")]
    if yosys:
        check["resources"] = {k: yosys[0][k] for k in ("lut", "inv", "ff", "dsp", "source")}
    # every test event through the project's emulator, equal to the C-simulation on every event it ran
    check["emulated_events"] = summary.get("emulated_events")
    return check, TreeEmulator(opts.target()).predict(x_test).reshape(-1)
