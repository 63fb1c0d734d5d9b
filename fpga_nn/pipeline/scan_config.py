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


def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> FrozenConfig:
    """The scan YAML merged over the packaged ``scan.yaml``; unknown keys refused; frozen."""
    cfg = yamlconfig.load("scan.yaml", path, SCHEMA, SCHEMA_VERSION, "scan", quick)
    where = str(path) if path else "(packaged)"
    for axis in AXES:
        values = cfg["grid"].get(axis)
        if not isinstance(values, list) or not values:
            raise UserInputError(f"scan config {where}: grid '{axis}' must be a non-empty list of values")
    for h in cfg["grid"]["hidden"]:
        if not isinstance(h, list) or not h or not all(isinstance(w, int) and w > 0 for w in h):
            raise UserInputError(f"scan config {where}: each 'hidden' entry is a list of widths, e.g. [6] or [8, 4]")
    if cfg["sample"] not in ("grid", "random"):
        raise UserInputError(f"scan config {where}: sample '{cfg['sample']}' unknown: choose grid or random")
    wp = cfg["working_point"]
    if not 0 < wp["trigger_rate_khz"] < wp["input_rate_khz"]:
        raise UserInputError(f"scan config {where}: the trigger rate must lie between 0 and the input rate")
    if cfg["model"] != "trigger" and ":" not in str(cfg["model"]):
        raise UserInputError(f"scan config {where}: model '{cfg['model']}' is neither 'trigger' nor 'module:function'")
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
