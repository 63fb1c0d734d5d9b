"""The suite's YAML: every key (``SCHEMA``), the type and range of every value (``VALUES``), rows.

The packaged ``suite.yaml`` holds every default; a user's file is merged over it (``yamlconfig``).
"""

from __future__ import annotations

import os

from ... import schema, yamlconfig
from ...data.selection import FEATURES
from ...errors import UserInputError
from ...yamlconfig import FrozenConfig, freeze

METHODS = ("Random", "BDT", "XGBoost", "FNN", "DFNN", "ETN")
NN_METHODS = ("FNN", "DFNN", "ETN")

SCHEMA_VERSION = 1
# Every key a suite YAML may hold (sections -> their keys; None: a value, not a section). The packaged
# suite.yaml gives every default: a user's file is merged over it, so the code holds no second default.
SCHEMA: dict[str, frozenset | None] = {
    "schema": None,
    "features": None,
    "features_no_disco": None,
    "window": None,
    "bootstrap": None,
    "rows": None,
    "quick": None,
    "dataset": frozenset(
        {"n_signal", "n_background", "seed", "chunk_size", "split_seed", "power_shower", "mhat", "bias_pow"}
    ),
    "systematic": frozenset({"power_shower", "n_background"}),
    "significance": frozenset({"n_bins", "lumi_fb", "sigma_fb", "normalise_random_to", "floor_factors"}),
    "training": frozenset(
        {
            "epochs",
            "patience",
            "batch_size",
            "learning_rate",
            "disco_lambda",
            "seed",
            "seeds",
            "select",
            "clipnorm",
            "mixed_precision",
            "max_background",
        }
    ),
    "etn": frozenset({"d_model", "n_blocks", "n_heads", "epochs", "patience"}),
    "fnn": frozenset({"epochs"}),
    "dfnn": frozenset({"epochs"}),
    "bdt": frozenset({"n_estimators", "max_depth", "learning_rate"}),
    "xgboost": frozenset({"n_estimators", "max_depth", "learning_rate", "early_stopping"}),
    "firmware": frozenset({"input_type", "epochs", "patience"}),
    "disco": frozenset({"epochs", "patience"}),
}
_EPOCHS = {"epochs": schema.Int(1), "patience": schema.Int(1)}
# Type and range of every value (the packaged suite.yaml gives them all)
VALUES = {
    "bootstrap": schema.Int(1),
    "window": schema.Check("numbers", length=2),
    "dataset.n_signal": schema.Int(0),
    "dataset.n_background": schema.Int(1),
    "dataset.seed": schema.Int(0),
    "dataset.chunk_size": schema.Int(1),
    "dataset.split_seed": schema.Int(0),
    "dataset.power_shower": schema.BOOL,
    "dataset.mhat": schema.Check("numbers", 0, length=2),
    "dataset.bias_pow": schema.Num(0, 10),
    "systematic.power_shower": schema.BOOL,
    "systematic.n_background": schema.Int(0),
    "significance.n_bins": schema.Int(1, 1000),
    "significance.lumi_fb": schema.Num(0, lo_open=True),
    "significance.sigma_fb.signal": schema.Num(0, lo_open=True),
    "significance.sigma_fb.background": schema.Num(0, lo_open=True),
    "significance.normalise_random_to": schema.Num(0, lo_open=True, nullable=True),
    "significance.floor_factors": schema.Check("numbers", 0, lo_open=True, nonempty=True),
    **{f"training.{k}": c for k, c in _EPOCHS.items()},
    "training.batch_size": schema.Int(1),
    "training.learning_rate": schema.Num(0, 1, lo_open=True),
    "training.disco_lambda": schema.Num(0),
    "training.seed": schema.Int(0),
    "training.seeds": schema.Check("ints", 0, nonempty=True),
    "training.select": schema.Check("choice", choices=("val_auc", "val_significance")),
    "training.clipnorm": schema.Num(0, lo_open=True, nullable=True),
    "training.mixed_precision": schema.BOOL,
    "training.max_background": schema.Int(1, nullable=True),
    **{f"etn.{k}": c for k, c in _EPOCHS.items()},
    "etn.d_model": schema.Int(1),
    "etn.n_blocks": schema.Int(1),
    "etn.n_heads": schema.Int(1),
    "fnn.epochs": schema.Int(1),
    "dfnn.epochs": schema.Int(1),
    "bdt.n_estimators": schema.Int(1),
    "bdt.max_depth": schema.Int(1, 64),
    "bdt.learning_rate": schema.Num(0, lo_open=True),
    "xgboost.n_estimators": schema.Int(1),
    "xgboost.max_depth": schema.Int(1, 64),
    "xgboost.learning_rate": schema.Num(0, lo_open=True),
    "xgboost.early_stopping": schema.Int(1),
    **{f"disco.{k}": c for k, c in _EPOCHS.items()},
    **{f"firmware.{k}": c for k, c in _EPOCHS.items()},
    "firmware.input_type": schema.STR,
}
ROW_KEYS = frozenset({"method", "loss", "disco", "firmware"})


def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> FrozenConfig:
    """The suite YAML (the packaged default when ``path`` is None) merged over the packaged defaults,
    with ``quick:`` overrides applied; unknown keys are refused. The result is frozen."""
    cfg = yamlconfig.load("studies/suite/suite.yaml", path, SCHEMA, SCHEMA_VERSION, "suite", quick)
    where = str(path) if path else "(packaged)"
    for row in cfg.get("rows", []) or []:
        for key in row if isinstance(row, dict) else ():
            if key not in ROW_KEYS:
                yamlconfig.refuse(key, ROW_KEYS, "row key", where, "suite")
    _validate(cfg, f"suite config {where}")
    return freeze(cfg)


def _validate(cfg: dict, where: str = "suite config") -> None:
    for section in ("dataset", "window", "significance", "training", "rows"):
        if section not in cfg:
            raise UserInputError(f"suite config: section '{section}' is missing (see fpga_nn/studies/suite/suite.yaml)")
    schema.validate(cfg, VALUES, where)
    for key in ("features", "features_no_disco"):
        if key in cfg and (not isinstance(cfg[key], list) or not cfg[key]):
            raise UserInputError(f"{where}: '{key}' = {cfg[key]!r} must be a non-empty list of feature names")
    if not isinstance(cfg["rows"], list) or not all(isinstance(r, dict) for r in cfg["rows"]):
        raise UserInputError(f"{where}: 'rows' must be a list of mappings, e.g. - {{method: FNN, loss: bce}}")
    from ...fixed import FixedType

    if isinstance(cfg.get("firmware"), dict) and "input_type" in cfg["firmware"]:
        try:
            FixedType.parse(cfg["firmware"]["input_type"])
        except UserInputError as exc:
            raise UserInputError(f"{where}: 'firmware.input_type': {exc}") from None
    unknown = [f for f in cfg.get("features", []) if f not in FEATURES]
    if unknown:
        raise UserInputError(f"suite config: unknown features {unknown}; available: {', '.join(FEATURES)}")
    for row in cfg["rows"]:
        if row.get("method") not in METHODS:
            raise UserInputError(f"suite config: method '{row.get('method')}' unknown: choose from {METHODS}")
        if row["method"] in NN_METHODS and row.get("loss", "bce") not in ("bce", "extreme"):
            raise UserInputError(f"suite config: loss '{row.get('loss')}' unknown: choose bce or extreme")
    lo, hi = cfg["window"]
    if not 100 <= lo < hi <= 180:
        raise UserInputError(f"suite config: mass window {lo}-{hi} GeV must lie inside the generated 100-180 GeV")
