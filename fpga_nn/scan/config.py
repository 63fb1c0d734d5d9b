"""The design-space scan's configuration and its points: each point a frozen set of settings with an id.

Two families share one scan, one event sample and one test set: the QKeras grid (``grid``: bit widths
chosen by hand) and HGQ2 (``hgq2``: bit widths trained per weight and activation, the EBOPs
regulariser strength ``beta`` as the knob). An HGQ2 point's settings carry ``family: hgq2``; a QKeras
point's carry no family key, so the ids of QKeras points are those of scans made before HGQ2 joined.

A point's id hashes everything its result depends on (settings, training, working point, data,
model function, the versions of fpga-nn and of the tools), so a rerun does only new points and a
killed scan resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .. import schema, yamlconfig
from ..errors import UserInputError
from ..jsonio import content_hash
from ..training.section import TrainingSection
from ..yamlconfig import checked, plain, thaw, typed

SCHEMA_VERSION = 1
_RF, _CUTOFF = schema.Int(1, 1024), schema.Num(0, lo_open=True)


@dataclass(frozen=True)
class WorkingPoint:
    input_rate_khz: float = checked(schema.Num(0, lo_open=True))
    trigger_rate_khz: float = checked(schema.Num(0, lo_open=True))


@dataclass(frozen=True)
class Grid:
    """The QKeras axes: each a list of values, every combination a point (``each`` checks one value)."""

    hidden: tuple = checked()
    weight_bits: tuple = checked(each=schema.Int(2, 32))
    weight_integer: tuple = checked(each=schema.Int(0, 32))
    activation_bits: tuple = checked(each=schema.Int(2, 32))
    activation_integer: tuple = checked(each=schema.Int(0, 32))
    reuse_factor: tuple = checked(each=_RF)
    latency_cutoff: tuple = checked(each=_CUTOFF)


@dataclass(frozen=True)
class Hgq2:
    """The HGQ2 family: its model function and axes (``beta``: the EBOPs regulariser strength; 0 trains the
    bit widths for accuracy alone)."""

    model: str = checked(schema.STR)
    hidden: tuple = checked()
    beta: tuple = checked(each=schema.Num(0))
    reuse_factor: tuple = checked(each=_RF)
    latency_cutoff: tuple = checked(each=_CUTOFF)


@dataclass(frozen=True)
class Trees:
    """Boosted decision trees (XGBoost) on the same inputs: tree count, depth and precisions as the axes.
    ``input_bits``: the trees' input grid (the trigger's 8-bit codes rounded onto it); ``score_fraction``:
    the leaf values' and sums' fraction bits."""

    n_estimators: tuple = checked(each=schema.Int(1, 2000))
    max_depth: tuple = checked(each=schema.Int(1, 10))
    learning_rate: tuple = checked(each=schema.Num(0, 1, lo_open=True))
    input_bits: tuple = checked(each=schema.Int(1, 8))
    score_fraction: tuple = checked(each=schema.Int(0, 24))
    latency_cutoff: tuple = checked(each=_CUTOFF)


@dataclass(frozen=True)
class Hardware:
    part: str = checked(schema.STR)
    clock_period: float = checked(schema.Num(0, lo_open=True))
    rtl_near_front: float = checked(schema.Num(0, 1))
    rtl_max_points: int = checked(schema.Int(0))


@dataclass(frozen=True)
class ScanConfig:
    """A scan YAML, typed: ``grid`` / ``hgq2`` None give the other family's points only."""

    schema: int
    model: str = checked(schema.STR)
    data: str | None = checked(schema.Check("str", nullable=True))
    sample: Literal["grid", "random"] = checked()
    n_random: int = checked(schema.Int(1))
    seed: int = checked(schema.Int(0))
    working_point: WorkingPoint = checked()
    training: TrainingSection = checked()
    grid: Grid | None = checked()
    hgq2: Hgq2 | None = checked()
    trees: Trees | None = checked()
    hardware: Hardware = checked()


# The keys a scan YAML may hold and the check of every value: derived from the declarations above
SCHEMA: dict[str, frozenset | None] = yamlconfig.schema_of(ScanConfig)
VALUES = yamlconfig.values_of(ScanConfig)
AXES = tuple(f.name for f in dataclasses.fields(Grid))
HGQ2_AXES = tuple(f.name for f in dataclasses.fields(Hgq2))[1:]
AXIS_VALUES = {f.name: f.metadata["each"] for f in dataclasses.fields(Grid) if f.metadata["each"]}
TREE_AXES = tuple(f.name for f in dataclasses.fields(Trees))
TREE_VALUES = {f.name: f.metadata["each"] for f in dataclasses.fields(Trees)}
HGQ2_VALUES = {
    "model": VALUES["hgq2.model"],
    **{f.name: f.metadata["each"] for f in dataclasses.fields(Hgq2) if f.metadata["each"]},
}


def family(settings: dict) -> str:
    """'qkeras', 'hgq2' or 'trees': which family a point's settings belong to."""
    return settings.get("family", "qkeras")


def _is_widths(h) -> bool:
    """A 'hidden' value: a non-empty list of positive layer widths."""
    return isinstance(h, (list, tuple)) and bool(h) and all(isinstance(w, int) and w > 0 for w in h)


def _check_hidden(h, where: str, key: str = "hidden") -> None:
    if not _is_widths(h):
        raise UserInputError(f"{where}: '{key}' = {h!r} must be a list of widths, e.g. [6] or [8, 4]")


def check_settings(settings: dict, where: str) -> None:
    """One point's settings (a grid combination, or a saved point's): types, ranges, integer bits <= bits."""
    if family(settings) == "hgq2":
        for axis in HGQ2_AXES[1:]:
            if axis not in settings:
                raise UserInputError(f"{where}: setting '{axis}' is missing")
            schema.check_value(settings[axis], HGQ2_VALUES[axis], where, axis)
        _check_hidden(settings.get("hidden"), where)
        return
    if family(settings) == "trees":
        for axis in TREE_AXES:
            if axis not in settings:
                raise UserInputError(f"{where}: setting '{axis}' is missing")
            schema.check_value(settings[axis], TREE_VALUES[axis], where, axis)
        return
    if family(settings) != "qkeras":
        raise UserInputError(f"{where}: family {settings['family']!r} is none of qkeras, hgq2, trees")
    for axis, check in AXIS_VALUES.items():
        if axis not in settings:
            raise UserInputError(f"{where}: setting '{axis}' is missing")
        schema.check_value(settings[axis], check, where, axis)
    _check_hidden(settings.get("hidden"), where)
    for kind in ("weight", "activation"):
        if settings[f"{kind}_integer"] > settings[f"{kind}_bits"]:
            raise UserInputError(
                f"{where}: {kind}_integer {settings[f'{kind}_integer']} exceeds {kind}_bits "
                f"{settings[f'{kind}_bits']}: the integer bits are part of the width"
            )


def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> ScanConfig:
    """The scan YAML merged over the packaged ``scan.yaml``; unknown keys refused; frozen."""
    cfg = yamlconfig.load("scan/scan.yaml", path, SCHEMA, SCHEMA_VERSION, "scan", quick)
    where = f"scan config {path}" if path else "scan config (packaged)"
    schema.validate(cfg, VALUES, where)
    if all(cfg.get(k) is None for k in ("grid", "hgq2", "trees")):
        raise UserInputError(f"{where}: 'grid', 'hgq2' and 'trees' are all null: give at least one family's points")
    if cfg.get("grid") is not None:
        _check_grid(cfg, where)
    if cfg.get("hgq2") is not None:
        _check_hgq2(cfg["hgq2"], where)
    if cfg.get("trees") is not None:
        _check_trees(cfg["trees"], where)
    wp = cfg["working_point"]
    if not wp["trigger_rate_khz"] < wp["input_rate_khz"]:
        raise UserInputError(f"{where}: the trigger rate must lie between 0 and the input rate")
    return typed(ScanConfig, cfg, where)


def _check_grid(cfg: dict, where: str) -> None:
    if not isinstance(cfg.get("grid"), dict):
        raise UserInputError(
            f"{where}: 'grid' must be a mapping of axes to lists of values (or null: no QKeras points)"
        )
    for axis in AXES:
        values = cfg["grid"].get(axis)
        if not isinstance(values, list) or not values:
            raise UserInputError(f"{where}: grid '{axis}' must be a non-empty list of values")
        for v in values:
            if axis in AXIS_VALUES:
                schema.check_value(v, AXIS_VALUES[axis], where, f"grid.{axis}")
    for h in cfg["grid"]["hidden"]:
        if not _is_widths(h):
            raise UserInputError(f"{where}: each 'hidden' entry is a list of widths, e.g. [6] or [8, 4]")
    for kind in ("weight", "activation"):
        if min(cfg["grid"][f"{kind}_bits"]) < max(cfg["grid"][f"{kind}_integer"]):
            raise UserInputError(
                f"{where}: a grid {kind}_integer exceeds a {kind}_bits: the integer bits are in the width"
            )
    _check_model(cfg["model"], where, "model")


def _check_model(model, where: str, key: str) -> None:
    if model != "trigger" and ":" not in str(model):
        raise UserInputError(f"{where}: {key} '{model}' is neither 'trigger' nor 'module:function'")


def _check_hgq2(section, where: str) -> None:
    if not isinstance(section, dict):
        raise UserInputError(f"{where}: 'hgq2' = {section!r} must be a mapping of keys (or null: no HGQ2 points)")
    for key in ("model", *HGQ2_AXES):
        if key not in section:
            raise UserInputError(f"{where}: 'hgq2.{key}' is missing")
    schema.check_value(section["model"], HGQ2_VALUES["model"], where, "hgq2.model")
    _check_model(section["model"], where, "hgq2.model")
    for axis in HGQ2_AXES:
        values = section[axis]
        if not isinstance(values, list) or not values:
            raise UserInputError(f"{where}: 'hgq2.{axis}' must be a non-empty list of values")
        for v in values:
            if axis == "hidden":
                _check_hidden(v, where, "hgq2.hidden")
            else:
                schema.check_value(v, HGQ2_VALUES[axis], where, f"hgq2.{axis}")


def _check_trees(section, where: str) -> None:
    if not isinstance(section, dict):
        raise UserInputError(f"{where}: 'trees' = {section!r} must be a mapping of axes (or null: no tree points)")
    for axis in TREE_AXES:
        values = section.get(axis)
        if not isinstance(values, list) or not values:
            raise UserInputError(f"{where}: 'trees.{axis}' must be a non-empty list of values")
        for v in values:
            schema.check_value(v, TREE_VALUES[axis], where, f"trees.{axis}")


def background_efficiency(cfg: ScanConfig) -> float:
    wp = cfg.working_point
    return float(wp.trigger_rate_khz) / float(wp.input_rate_khz)


def points(cfg: ScanConfig) -> list[dict]:
    """Every combination of the QKeras grid, then of the HGQ2 axes (sample: grid), or ``n_random`` distinct
    ones of them all drawn with the seed (random)."""
    combos = []
    if cfg.grid is not None:
        grid = cfg.grid
        combos += [dict(zip(AXES, v, strict=True)) for v in itertools.product(*(getattr(grid, a) for a in AXES))]
    if cfg.hgq2 is not None:
        hq = cfg.hgq2
        combos += [
            {"family": "hgq2", **dict(zip(HGQ2_AXES, v, strict=True))}
            for v in itertools.product(*(getattr(hq, a) for a in HGQ2_AXES))
        ]
    if cfg.trees is not None:
        combos += [
            {"family": "trees", **dict(zip(TREE_AXES, v, strict=True))}
            for v in itertools.product(*(getattr(cfg.trees, a) for a in TREE_AXES))
        ]
    combos = [thaw(c) for c in combos]
    if cfg.sample == "random" and cfg.n_random < len(combos):
        pick = np.random.default_rng(cfg.seed).choice(len(combos), size=int(cfg.n_random), replace=False)
        combos = [combos[i] for i in sorted(pick)]
    return combos


def context(cfg: ScanConfig, data_fingerprint: str) -> dict:
    """What besides the settings decides a point's result."""
    from importlib.metadata import version

    from .. import __version__
    from ..hardware.versions import versions

    tools = versions()
    return {
        "model": cfg.model,
        "data": data_fingerprint,
        "seed": cfg.seed,
        "training": plain(cfg.training),
        "working_point": plain(cfg.working_point),
        "hardware": {k: getattr(cfg.hardware, k) for k in ("part", "clock_period")},
        "versions": {"fpga_nn": __version__, **{k: tools[k] for k in ("alkaid", "hls4ml", "qkeras", "tensorflow")}},
        **(
            {"hgq2": {"model": cfg.hgq2.model, "versions": {k: version(k) for k in ("hgq2", "keras")}}}
            if cfg.hgq2 is not None
            else {}
        ),
        **({"trees": {"versions": {"xgboost": version("xgboost")}}} if cfg.trees is not None else {}),
    }


def point_id(settings: dict, ctx: dict) -> str:
    """12 hex digits of everything the point depends on: a QKeras point does not depend on the HGQ2 or the
    trees section (its id is the same with or without those points beside it), an HGQ2 point not on
    ``model`` or the trees, a tree point on neither network's section."""
    drop = {"qkeras": ("hgq2", "trees"), "hgq2": ("model", "trees"), "trees": ("model", "hgq2")}[family(settings)]
    ctx = {k: v for k, v in ctx.items() if k not in drop}
    return content_hash({"settings": thaw(settings), "context": ctx}, length=12)
