"""The conversion and checks of a model family with a frontend package (``frontends.FRONTENDS``:
HGQ2 / Keras 3 ``.keras`` files, HGQ proxy models): the QKeras build's twin.

The same project folder and contract as a QKeras build: the frontend's model types every value itself
(hls4ml takes the types from its quantizers), the C-simulation equals the offline model
(``model.predict`` on the inputs as the firmware casts them) on every event or the build exits 4;
alkaid's interpreter of the traced logic is the second reference where alkaid can trace the model
(fpga-nn's emulator does not read these graphs yet); the RTL figures (Verilator latency and II,
Yosys counts) come from that same traced logic; report.json/.md/.html as for every build.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..convert.to_rtl import trace
from ..errors import UserInputError
from ..fixed import FixedType
from ..frontends import FRONTENDS, convert_typed, frontend, hls4ml_sees
from ..jsonio import write_json
from ..project_files import ProjectFiles
from ..verify import compare as cmp
from ..verify.csim import run_csim
from . import firmware

log = logging.getLogger(__name__)

NO_EMULATOR = "fpga-nn's NumPy emulator does not read this model family's graphs yet"


def refuse_options(input_precision, pre_path, weights, kind: str) -> None:
    """The ``build`` flags a model typed by its own quantizers does not take, each refused in one line."""
    _refuse(kind, (("--input-precision", input_precision), ("--preprocessing", pre_path),
                   ("--weights", weights if kind == "keras3" else None)))  # fmt: skip


def refuse_family_options(options: firmware.BuildOptions, kind: str) -> None:
    _refuse(kind, (("--no-softmax", options.no_softmax), ("--cpp", options.cpp),
                   ("--softmax-table-size", options.softmax_table_size is not None),
                   ("--softmax-table-type", options.softmax_table_type is not None)))  # fmt: skip


def _refuse(kind: str, flags) -> None:
    for flag, given in flags:
        if given:
            why = {
                "--input-precision": "the model's input quantizer fixes its input type",
                "--no-softmax": "its softmax, if any, is a table hls4ml reproduces bit for bit",
                "--softmax-table-size": "its quantizers fix its softmax's tables",
                "--softmax-table-type": "its quantizers fix its softmax's tables",
            }.get(flag, "it covers QKeras models so far")
            what = "a Keras 3 / HGQ2 model" if kind == "keras3" else "an HGQ proxy model"
            raise UserInputError(f"{flag} does not apply to {what} ({why}): drop it")


def family_build(kind: str) -> firmware.FamilyBuild:
    """The build of family ``kind`` (a key of ``frontends.FRONTENDS``) for :func:`~.core.run_build`."""
    return firmware.FamilyBuild(
        convert=lambda m, x, t, staging, options, pre, layers: convert_and_verify(kind, m, x, staging, options, layers),
        precheck=lambda options: refuse_family_options(options, kind),
        rtl_target=rtl_target,
        failure=interpreter_failure,
    )


def interpreter_failure(summary: dict) -> str | None:
    """The failure message when alkaid's interpreter (the second reference) disagrees, else None."""
    interp = summary["alkaid_interpreter"]
    if interp["available"] and (interp["mismatches_vs_csim"] or interp["mismatches_vs_model"]):
        return (
            f"alkaid's interpreter differs from the C-simulation on {interp['mismatches_vs_csim']} and from the "
            f"model on {interp['mismatches_vs_model']} events: see csim_check.json"
        )
    return None


def rtl_target(model, checked: firmware.CsimResult) -> tuple:
    """The model and arrays the RTL figures describe, and what that scope leaves out (None: the whole model):
    a softmax head alkaid 0.8.2 cannot trace gets the figures of the logits (the model up to the softmax)."""
    from ..frontends.hgq2 import logits_model

    logits_only = logits_model(model)
    if logits_only is None or checked.summary["alkaid_interpreter"]["available"]:
        return model, checked, None
    logits = logits_only.predict(checked.inputs, batch_size=8192, verbose=0)
    scope = (
        f"RTL figures are those of the logits (the input of '{model.layers[-1].name}'): alkaid 0.8.2 cannot trace "
        "the QSoftmax; its tables are outside the latency and resource figures"
    )
    return logits_only, firmware.CsimResult(checked.inputs, logits, None, checked.summary), scope


def _interpreter(model, input_type, x, expected, csim) -> dict:
    """alkaid's interpreter of the traced logic on every event: the second reference."""
    from ..errors import UnsupportedModelError

    try:
        comb = trace(model, input_type)
    except UnsupportedModelError as exc:
        return {"available": False, "reason": str(exc)}
    got = comb.predict(x.reshape(len(x), -1).astype(np.float64)).reshape(csim.shape)
    return {
        "available": True,
        "events": int(len(x)),
        "mismatches_vs_csim": int(np.sum(np.any((got != csim).reshape(len(x), -1), axis=1))),
        "mismatches_vs_model": int(np.sum(np.any((got != expected).reshape(len(x), -1), axis=1))),
    }


def write_graph(hls_model, model, staging: Path, x: np.ndarray, tb_expected: np.ndarray, save, model_file: str) -> int:
    """Write an hls4ml ModelGraph converted in memory into ``staging`` with its testbench vectors (the first
    ``TB_EVENTS`` events) and the model saved by ``save`` as ``model_file`` in place of hls4ml's own copy;
    ``vectors/inputs.npy`` gets every event. Returns the number of testbench events."""
    vec = ProjectFiles(staging).vectors
    np.save(vec / "inputs.npy", x)
    n_tb = min(len(x), firmware.TB_EVENTS)
    np.save(vec / "tb_inputs.npy", x[:n_tb])
    np.save(vec / "tb_expected.npy", tb_expected[:n_tb])
    hls_model.config.config["InputData"] = str(vec / "tb_inputs.npy")  # the testbench's vectors, then written
    hls_model.config.config["OutputPredictions"] = str(vec / "tb_expected.npy")
    with hls4ml_sees(model):
        hls_model.write()
    (staging / "keras_model.keras").unlink(missing_ok=True)  # hls4ml's copy: the project keeps its own file
    save(model, staging / model_file)
    cfg = staging / "hls4ml_config.yml"
    cfg.write_text(cfg.read_text().replace(str(staging / "keras_model.keras"), str(staging / model_file)))
    return n_tb


def convert_and_verify(
    kind: str, model, x_raw: np.ndarray, staging: Path, options, layers: list[dict]
) -> firmware.CsimResult:
    """Convert a model of family ``kind`` (its quantizers type every value), C-simulate every event, and check
    it against ``model.predict`` and alkaid's interpreter; the project's records are written into ``staging``."""
    from ..convert.project import output_type

    front = frontend(kind)

    vec = ProjectFiles(staging).vectors
    vec.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    hls_model = convert_typed(model, staging, options)  # input type: hls4ml's, from the quantizers
    input_type = FixedType.parse(str(hls_model.get_input_variables()[0].type.precision))
    x, cast = firmware.cast_inputs(x_raw, input_type)
    expected = model.predict(x, batch_size=8192, verbose=0)
    np.save(vec / "expected.npy", expected)
    n_tb = write_graph(hls_model, model, staging, x, expected, front.save, front.MODEL_FILE)
    t_convert = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_out = int(np.prod(expected.shape[1:]))
    csim = run_csim(staging, x, n_out, optimization=options.csim_optimization)
    csim = np.asarray(csim).reshape(expected.shape).astype(np.float32)
    t_csim = time.perf_counter() - t0
    np.save(vec / "csim.npy", csim)
    out_type = output_type(hls_model)
    summary = cmp.compare(expected, csim, out_type)
    second = _interpreter(model, input_type, x, expected, csim)
    summary.update(
        output_type=out_type.to_ap(),
        csim_seconds=round(t_csim, 3),
        input_type=input_type.to_ap(),
        input_cast=cast,
        family=FRONTENDS[kind],
        emulator={"available": False, "reason": NO_EMULATOR},
        alkaid_interpreter=second,
    )
    cmp.write_check(summary, ProjectFiles(staging).csim_check)
    record = firmware.build_record(options, input_type, out_type, hls_model, t_convert, t_csim, n_tb, options.name)
    record.update(family=FRONTENDS[kind], layers=layers)
    write_json(ProjectFiles(staging).build_record, record, indent=2)
    return firmware.CsimResult(x, expected, csim, summary, record=record)
