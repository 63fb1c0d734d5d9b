"""The one door to a verified project: :func:`run_build`.

Every caller (the default trigger job, a user's model of any family, a scan point, each study's network)
hands over a model, its inputs and its options and gets back the same :class:`~.result.BuildResult`: the
options validated, the target checked before any work, the project written in a staging folder and renamed
into place, the C-simulation on every event, the emulator (or alkaid interpreter) check, the softmax head
contract, the RTL/Yosys/C++/vendor figures and the report computed from what the build holds in memory,
then the mismatch policy. A caller adds only what is its own: labels, a float model's scores, its metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .. import outdir
from ..fixed import FixedType
from ..frontends import FRONTENDS, float_keras
from ..jsonio import write_json
from ..project_files import (
    FLOAT_SCORES,
    LABELS,
    BuildRecord,
    CsimCheck,
    ProjectFiles,
    ProjectState,
    record_from,
)
from . import figures, firmware, float_model, frontend_model, tree_model
from .result import BuildResult

log = logging.getLogger(__name__)

Metrics = Callable[[Path, firmware.CsimResult], dict]

# Every model family run_build takes, one line each (``family`` argument -> how it builds)
BUILDS: dict[str | None, firmware.FamilyBuild] = {
    None: firmware.QKERAS,
    **{kind: frontend_model.family_build(kind) for kind in FRONTENDS},  # HGQ2 / Keras 3, HGQ proxies
    float_keras.FAMILY: float_model.BUILD,
    tree_model.FAMILY: tree_model.BUILD,  # XGBoost / scikit-learn tree ensembles: conifer firmware
}


def run_build(
    task: str,
    model,
    inputs: np.ndarray,
    input_type: FixedType | None,
    options: firmware.BuildOptions,
    *,
    pre=None,
    family: str | None = None,
    layers: list[dict] | None = None,
    sources: tuple[Path, ...] = (),
    labels: np.ndarray | None = None,
    float_scores: np.ndarray | None = None,
    metrics: Metrics | None = None,
    working_point: dict | None = None,
    strict: bool = True,
) -> BuildResult:
    """Build ``model`` on ``inputs`` into ``options.target()``; returns the project's result.

    ``family`` is a key of :data:`BUILDS`: None for a QKeras/Keras 2 model cast to ``input_type`` (with ``pre``,
    ``inputs`` are raw values and the project gets the declared input stage); a key of ``frontends.FRONTENDS``
    for a model typed by its own quantizers (``input_type`` None: hls4ml takes it from them; ``layers`` is its
    frontend's per-layer check); ``"float"`` for a float model at ``options.precision`` (its reference is the
    emulator; :mod:`.float_model`). ``sources`` are the command's input files (never overwritten).
    ``labels`` (and ``float_scores``, a float twin's) give the report its physics; ``metrics`` computes
    the caller's own metrics.json from the staging folder and the checked arrays (default: the event count).
    ``working_point``: a study's rate-weighted working point (``working_point.json``), which the report shows
    in place of the unweighted working points.
    With ``strict`` (the default) any mismatch raises VerificationError once the folder is in place; a study
    that records mismatches as a result passes ``strict=False`` and reads ``result.failure``.
    """
    firmware.validate(options)
    target = options.target()
    outdir.check_target(target, options.force, sources)
    build = BUILDS[family]
    build.precheck(options)
    with outdir.staged(target, options.force, sources) as staging:
        files = ProjectFiles(staging)
        checked = build.convert(model, inputs, input_type, staging, options, pre, layers or [])
        if labels is not None:
            np.save(files.vectors / LABELS, np.asarray(labels).astype(np.int8))
        if float_scores is None:
            float_scores = checked.floats  # a family that scores its float model itself (trees)
        if float_scores is not None:
            np.save(files.vectors / FLOAT_SCORES, np.asarray(float_scores))
        found = metrics(staging, checked) if metrics else _default_metrics(checked, labels)
        write_json(files.metrics, found, indent=2)
        if working_point is not None:
            write_json(files.working_point, working_point, indent=1)
        failure, report = _after_csim(model, build, staging, options, checked, labels, float_scores, working_point)
    failure = failure or build.failure(checked.summary)
    if strict:
        firmware.raise_on_mismatch(checked.summary, target, failure)
    else:
        failure = failure or firmware.mismatch_message(checked.summary, target)
    return BuildResult(task, target, checked.summary, found, report, checked=checked, failure=failure)


def _default_metrics(checked: firmware.CsimResult, labels) -> dict:
    return {"events": int(len(checked.inputs)), "labels": None if labels is None else f"vectors/{LABELS}"}


def _after_csim(model, build, staging: Path, options, checked: firmware.CsimResult, labels, float_scores, point):
    """The figures after a passing C-simulation, and the report from the state in memory: (failure, report);
    (None, None) when the C-simulation already failed (nothing more is worth computing)."""
    from ..reports import report

    if checked.mismatches:
        return None, None
    record = dict(checked.record)
    input_type = FixedType.parse(checked.summary["input_type"])
    rtl_model, rtl_checked, scope = build.rtl_target(model, checked)
    if scope:
        record["rtl_scope"] = scope
        write_json(ProjectFiles(staging).build_record, record, indent=2)
    rtl = (build.rtl_figures or figures.rtl_figures)(rtl_model, input_type, staging, options, rtl_checked)
    failure = rtl.failure
    if options.cpp and failure is None:
        failure = figures.cpp_figures(staging, checked)
    figures.vendor_figures(staging, options)
    scores = {}
    if labels is not None:
        scores = {"firmware (csim)": checked.csim, "quantized": checked.expected}
        if float_scores is not None:
            scores["float"] = float_scores
    state = ProjectState(
        record_from(record, BuildRecord),
        record_from(checked.summary, CsimCheck),
        rtl.check,
        rtl.yosys,
        rtl.status,
        labels,
        scores,
        point,
    )
    return failure, report.write(staging, options.input_rate_khz, state)
