"""The design-space scan's configuration and its points: each point a frozen set of settings with an id.

A point's id hashes everything its result depends on (settings, training, working point, data,
model function, the versions of fpga-nn and of the tools), so a rerun does only new points and a
killed scan resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os

import numpy as np

from .. import schema
from ..errors import UserInputError
from . import yamlconfig
from .yamlconfig import FrozenConfig, freeze, thaw

SCHEMA_VERSION = 1
AXES = (
    "hidden",
    "weight_bits",
    "weight_integer",
    "activation_bits",
    "activation_integer",
    "reuse_factor",
    "latency_cutoff",
)
SCHEMA: dict[str, frozenset | None] = {
    "schema": None,
    "model": None,
    "data": None,
    "sample": None,
    "n_random": None,
    "seed": None,
    "working_point": frozenset({"input_rate_khz", "trigger_rate_khz"}),
    "training": frozenset({"epochs", "patience", "batch_size", "learning_rate"}),
    "grid": frozenset(AXES),
    "hardware": frozenset({"part", "clock_period", "rtl_near_front", "rtl_max_points"}),
    "quick": None,
}


# Type and range of every value (axes: of every entry of the axis' list)
VALUES = {
    "model": schema.STR,
    "data": schema.Check("str", nullable=True),
    "sample": schema.Check("choice", choices=("grid", "random")),
    "n_random": schema.Int(1),
    "seed": schema.Int(0),
    "working_point.input_rate_khz": schema.Num(0, lo_open=True),
    "working_point.trigger_rate_khz": schema.Num(0, lo_open=True),
    "training.epochs": schema.Int(1),
    "training.patience": schema.Int(1),
    "training.batch_size": schema.Int(1),
    "training.learning_rate": schema.Num(0, 1, lo_open=True),
    "hardware.part": schema.STR,
    "hardware.clock_period": schema.Num(0, lo_open=True),
    "hardware.rtl_near_front": schema.Num(0, 1),
    "hardware.rtl_max_points": schema.Int(0),
}
AXIS_VALUES = {
    "weight_bits": schema.Int(2, 32),
    "weight_integer": schema.Int(0, 32),
    "activation_bits": schema.Int(2, 32),
    "activation_integer": schema.Int(0, 32),
    "reuse_factor": schema.Int(1, 1024),
    "latency_cutoff": schema.Num(0, lo_open=True),
}


def check_settings(settings: dict, where: str) -> None:
    """One point's settings (a grid combination, or a saved point's): types, ranges, integer bits <= bits."""
    for axis, check in AXIS_VALUES.items():
        if axis not in settings:
            raise UserInputError(f"{where}: setting '{axis}' is missing")
        schema.check_value(settings[axis], check, where, axis)
    h = settings.get("hidden")
    if not isinstance(h, (list, tuple)) or not h or not all(isinstance(w, int) and w > 0 for w in h):
        raise UserInputError(f"{where}: 'hidden' = {h!r} must be a list of widths, e.g. [6] or [8, 4]")
    for kind in ("weight", "activation"):
        if settings[f"{kind}_integer"] > settings[f"{kind}_bits"]:
            raise UserInputError(
                f"{where}: {kind}_integer {settings[f'{kind}_integer']} exceeds {kind}_bits "
                f"{settings[f'{kind}_bits']}: the integer bits are part of the width"
            )


def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> FrozenConfig:
    """The scan YAML merged over the packaged ``scan.yaml``; unknown keys refused; frozen."""
    cfg = yamlconfig.load("scan.yaml", path, SCHEMA, SCHEMA_VERSION, "scan", quick)
    where = f"scan config {path}" if path else "scan config (packaged)"
    schema.validate(cfg, VALUES, where)
    if not isinstance(cfg.get("grid"), dict):
        raise UserInputError(f"{where}: 'grid' must be a mapping of axes to lists of values")
    for axis in AXES:
        values = cfg["grid"].get(axis)
        if not isinstance(values, list) or not values:
            raise UserInputError(f"{where}: grid '{axis}' must be a non-empty list of values")
        for v in values:
            if axis in AXIS_VALUES:
                schema.check_value(v, AXIS_VALUES[axis], where, f"grid.{axis}")
    for h in cfg["grid"]["hidden"]:
        if not isinstance(h, list) or not h or not all(isinstance(w, int) and w > 0 for w in h):
            raise UserInputError(f"{where}: each 'hidden' entry is a list of widths, e.g. [6] or [8, 4]")
    for kind in ("weight", "activation"):
        if min(cfg["grid"][f"{kind}_bits"]) < max(cfg["grid"][f"{kind}_integer"]):
            raise UserInputError(
                f"{where}: a grid {kind}_integer exceeds a {kind}_bits: the integer bits are in the width"
            )
    wp = cfg["working_point"]
    if not wp["trigger_rate_khz"] < wp["input_rate_khz"]:
        raise UserInputError(f"{where}: the trigger rate must lie between 0 and the input rate")
    if cfg["model"] != "trigger" and ":" not in str(cfg["model"]):
        raise UserInputError(f"{where}: model '{cfg['model']}' is neither 'trigger' nor 'module:function'")
    return freeze(cfg)


def background_efficiency(cfg) -> float:
    wp = cfg["working_point"]
    return float(wp["trigger_rate_khz"]) / float(wp["input_rate_khz"])


def points(cfg) -> list[dict]:
    """Every grid combination (sample: grid) or ``n_random`` distinct ones drawn with the seed (random)."""
    grid = cfg["grid"]
    combos = [dict(zip(AXES, values, strict=True)) for values in itertools.product(*(grid[a] for a in AXES))]
    combos = [thaw(c) for c in combos]
    if cfg["sample"] == "random" and cfg["n_random"] < len(combos):
        pick = np.random.default_rng(cfg["seed"]).choice(len(combos), size=int(cfg["n_random"]), replace=False)
        combos = [combos[i] for i in sorted(pick)]
    return combos


def context(cfg, data_fingerprint: str) -> dict:
    """What besides the settings decides a point's result."""
    from .. import __version__
    from ..hardware.tools import versions

    tools = versions()
    return {
        "model": cfg["model"],
        "data": data_fingerprint,
        "seed": cfg["seed"],
        "training": thaw(cfg["training"]),
        "working_point": thaw(cfg["working_point"]),
        "hardware": {k: cfg["hardware"][k] for k in ("part", "clock_period")},
        "versions": {"fpga_nn": __version__, **{k: tools[k] for k in ("alkaid", "hls4ml", "qkeras", "tensorflow")}},
    }


def point_id(settings: dict, ctx: dict) -> str:
    blob = json.dumps({"settings": thaw(settings), "context": ctx}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
