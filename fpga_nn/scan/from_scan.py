"""``fpga-nn build --from-scan DIR --point ID``: the chosen point's trained network to verified firmware."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import outdir
from ..build import firmware
from ..build.core import run_build
from ..build.result import BuildResult
from ..errors import UserInputError
from ..fixed import FixedType
from ..jsonio import read_object
from ..yamlconfig import typed
from .config import background_efficiency


def load_point(scan_dir: Path, point_id: str) -> tuple[dict, dict]:
    """(the scan's config record, the point's result); one-line errors naming what is missing."""
    import re

    scan_dir = Path(scan_dir)
    if not re.fullmatch(r"[0-9a-f]{12}", str(point_id)):
        raise UserInputError(
            f"--point {point_id!r} is not a point id (12 hex digits): choose one from {scan_dir / 'pareto.json'}"
        )
    config_file = scan_dir / "config.json"
    if not config_file.is_file():
        raise UserInputError(f"{scan_dir} is not a scan folder (no config.json): run 'fpga-nn scan --out {scan_dir}'")
    result_file = scan_dir / "points" / point_id / "result.json"
    if not result_file.is_file():
        known = sorted(p.name for p in (scan_dir / "points").glob("[!.]*") if (p / "result.json").is_file())
        raise UserInputError(
            f"no finished point '{point_id}' in {scan_dir}/points: choose one of {', '.join(known) or 'none yet'} "
            f"(see {scan_dir / 'pareto.json'})"
        )
    scan, point = read_record(config_file), read_record(result_file)
    from .config import check_settings

    where = f"{result_file} (edited by hand?)"
    if not isinstance(point.get("settings"), dict):
        raise UserInputError(f"{where}: no 'settings' mapping: rerun the scan to rewrite the point")
    check_settings(point["settings"], where)
    if not isinstance(scan.get("config"), dict) or not isinstance(scan.get("context"), dict):
        raise UserInputError(
            f"{config_file}: no 'config' and 'context' mappings: rerun 'fpga-nn scan --out {scan_dir}'"
        )
    from .config import ScanConfig

    try:
        scan["config"] = typed(ScanConfig, scan["config"], f"{config_file} (edited by hand?)")
    except UserInputError as exc:
        raise UserInputError(f"{exc}: rerun 'fpga-nn scan --out {scan_dir}'") from None
    return scan, point


def read_record(path: Path) -> dict:
    """A JSON record the scan wrote; a damaged one is one line naming the file."""
    return read_object(path, "rerun what wrote it")


def build_from_scan(options: firmware.BuildOptions, scan_dir: Path, point_id: str) -> BuildResult:
    from ..build.user_model import load_user_model
    from .config import family
    from .point import INPUT_TYPE_TEXT, MODEL_FILES, _data

    scan, point = load_point(scan_dir, point_id)
    cfg, settings = scan["config"], point["settings"]
    options = options.replace(
        reuse_factor=int(settings.get("reuse_factor", 1)), latency_cutoff=float(settings["latency_cutoff"])
    )
    firmware.validate(options)
    target = options.target()
    hgq = family(settings) == "hgq2"
    model_file = Path(scan_dir) / "points" / point_id / MODEL_FILES[family(settings)]
    if not model_file.is_file():
        raise UserInputError(f"{model_file} is missing: rerun 'fpga-nn scan --out {scan_dir}' to redo the point")
    outdir.check_target(target, options.force, (model_file,))
    (x, y, _, _, te), fingerprint = _data(cfg.data)
    if fingerprint != scan["context"]["data"]:
        raise UserInputError(f"the scan's events (fingerprint {scan['context']['data']}) are not the ones found now")
    if hgq:
        return _build_hgq2_point(options, model_file, scan_dir, point_id, point, cfg, x[te], y[te])
    if family(settings) == "trees":
        return _build_tree_point(options, model_file, scan_dir, point_id, point, cfg, x[te], y[te])
    model = load_user_model(model_file)
    input_type = FixedType.parse(INPUT_TYPE_TEXT)
    from ..data import dataset, trigger_inputs

    # the point's network takes the trigger inputs: its firmware gets the same input stage as the trigger's
    events = dataset.load(cfg.data) if cfg.data else dataset.load_default()
    raw, pre = trigger_inputs.raw(events.features)[te], trigger_inputs.PREPROCESSING
    if not np.array_equal(pre(raw), x[te]):
        raise UserInputError("the scan's inputs are not the trigger's declared preprocessing of its events")

    def point_metrics(staging, checked) -> dict:
        return _metrics(scan_dir, point_id, point, cfg, y[te], checked.expected, checked.csim, "emulator")

    return run_build(
        "scan", model, raw, input_type, options, pre=pre, sources=(model_file,), labels=y[te], metrics=point_metrics
    )


def _metrics(scan_dir, point_id: str, point: dict, cfg, labels, expected, csim, scores_from: str) -> dict:
    from ..reports import metrics

    return {
        "scan": {"folder": str(scan_dir), "point": point_id, "settings": point["settings"]},
        "quantized": metrics.summarize(labels, expected.ravel()),
        "csim": {
            **metrics.summarize(labels, csim.ravel()),
            "scan_working_point": metrics.signal_efficiency_at(labels, csim.ravel(), background_efficiency(cfg)),
        },
        "scan_efficiency": point["efficiency"],
        "scan_background_efficiency": point["background_efficiency"],
        "scan_scores_from": scores_from,
    }


def _build_tree_point(options, model_file: Path, scan_dir, point_id, point, cfg, x_test, labels):
    """A tree point: conifer firmware of the saved XGBoost model with the point's input grid and score type,
    C-simulated on every test event against the tree emulator that scored the point (docs/trees.md). The
    float model's agreement is reported, not gated: the point's input grid and score type are the design
    the scan measured (a 6-bit grid flips decisions of the float trees by construction)."""
    from ..build.tree_model import FAMILY, TreeModel
    from ..frontends import trees

    ens, obj = trees.load(model_file)
    types = point.get("types") or {}
    if "score" not in types:
        raise UserInputError(f"{scan_dir}/points/{point_id}/result.json has no 'types': rerun the scan")
    model = TreeModel(ens, obj, FixedType.parse(types["score"]))
    options = options.replace(max_flip_percent=100.0)
    input_type = FixedType(False, int(point["settings"]["input_bits"]), 0)

    def point_metrics(staging, checked) -> dict:
        return _metrics(scan_dir, point_id, point, cfg, labels, checked.expected, checked.csim, "tree emulator")

    return run_build(
        "scan", model, x_test, input_type, options, family=FAMILY, sources=(model_file,), labels=labels,
        metrics=point_metrics,
    )  # fmt: skip


def _build_hgq2_point(options, model_file: Path, scan_dir, point_id, point, cfg, x_test, labels):
    """An HGQ2 point: the frontend build (csim == model.predict on every test event, alkaid's interpreter
    the second reference, RTL from alkaid's Keras 3 tracer) of the network alone, on the network inputs
    (the trigger's input stage is not in front of it: top function NAME, not NAME_codes)."""
    from ..frontends import frontend

    model = frontend("keras3").load(model_file)
    layers = frontend("keras3").check_layers(model)

    def point_metrics(staging, checked) -> dict:
        return _metrics(scan_dir, point_id, point, cfg, labels, checked.expected, checked.csim, "interpreter")

    return run_build(
        "scan",
        model,
        x_test,
        None,
        options,
        family="keras3",
        layers=layers,
        sources=(model_file,),
        labels=labels,
        metrics=point_metrics,
    )
