"""The suite's YAML: every key (``SCHEMA``), the type and range of every value (``VALUES``), rows.

The packaged ``suite.yaml`` holds every default; a user's file is merged over it (``yamlconfig``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ... import schema, yamlconfig
from ...data.selection import FEATURES
from ...errors import UserInputError
from ...training.section import TrainingSection
from ...yamlconfig import checked, typed

METHODS = ("Random", "Cut", "BDT", "XGBoost", "FNN", "DFNN", "ETN")
NN_METHODS = ("FNN", "DFNN", "ETN")
TREE_METHODS = ("BDT", "XGBoost")

SCHEMA_VERSION = 1
_POS = schema.Num(0, lo_open=True)


@dataclass(frozen=True)
class Dataset:
    n_signal: int = checked(schema.Int(0))
    n_background: int = checked(schema.Int(1))
    seed: int = checked(schema.Int(0))
    chunk_size: int = checked(schema.Int(1))
    split_seed: int = checked(schema.Int(0))
    power_shower: bool = checked(schema.BOOL)
    mhat: tuple = checked(schema.Check("numbers", 0, length=2))
    bias_pow: float = checked(schema.Num(0, 10))
    cluster_dr: float = checked(schema.Num(0, 0.4), default=0.0)  # photon clusters (data/selection.py)
    reweight: bool = checked(schema.BOOL, default=False)  # background to the measured pT(llg)/m (reference)


@dataclass(frozen=True)
class Systematic:
    power_shower: bool = checked(schema.BOOL)
    n_background: int = checked(schema.Int(0))


@dataclass(frozen=True)
class Reference:
    """Pythia in the ATLAS measurement's region (data/fiducial.py), per shower model."""

    n_events: int = checked(schema.Int(1))
    seed: int = checked(schema.Int(0))
    chunk_size: int = checked(schema.Int(1))


@dataclass(frozen=True)
class Zjets:
    """Z + jets with a fake photon: a test sample the trained rows are scored on."""

    n_events: int = checked(schema.Int(1))
    seed: int = checked(schema.Int(0))
    mhat: tuple = checked(schema.Check("numbers", 0, length=2))


@dataclass(frozen=True)
class Significance:
    n_bins: int = checked(schema.Int(1, 1000))
    lumi_fb: float = checked(_POS)
    sigma_fb: Mapping = checked(signal=_POS, background=_POS)
    normalise_random_to: float | None = checked(schema.Num(0, lo_open=True, nullable=True))
    floor_factors: tuple = checked(schema.Check("numbers", 0, lo_open=True, nonempty=True))


@dataclass(frozen=True)
class Training(TrainingSection):
    disco_lambda: float = checked(schema.Num(0))
    seed: int = checked(schema.Int(0))
    seeds: tuple = checked(schema.Check("ints", 0, nonempty=True))
    select: Literal["val_auc", "val_significance"] = checked()
    clipnorm: float | None = checked(schema.Num(0, lo_open=True, nullable=True))
    mixed_precision: bool = checked(schema.BOOL)  # on a GPU; tests pass "always" to take that path on the CPU
    max_background: int | None = checked(schema.Int(1, nullable=True))


@dataclass(frozen=True)
class Budget:
    """A section capping the epochs and patience of some rows (DisCo, a method)."""

    epochs: int = checked(schema.Int(1))
    patience: int = checked(schema.Int(1))


@dataclass(frozen=True)
class Epochs:
    epochs: int = checked(schema.Int(1))


@dataclass(frozen=True)
class Etn:
    d_model: int = checked(schema.Int(1))
    n_blocks: int = checked(schema.Int(1))
    n_heads: int = checked(schema.Int(1))
    epochs: int = checked(schema.Int(1))
    patience: int = checked(schema.Int(1))


@dataclass(frozen=True)
class Bdt:
    n_estimators: int = checked(schema.Int(1))
    max_depth: int = checked(schema.Int(1, 64))
    learning_rate: float = checked(_POS)


@dataclass(frozen=True)
class Xgboost(Bdt):
    early_stopping: int = checked(schema.Int(1))


@dataclass(frozen=True)
class Firmware(Budget):
    input_type: str = checked(schema.STR)
    trees_rtl: bool = checked(schema.BOOL)  # the tree rows' RTL figures (Verilator, Yosys: docs/trees.md)
    trees_csim_events: int | None = checked(schema.Int(1, nullable=True))  # C-simulated; all are emulated


@dataclass(frozen=True)
class SuiteConfig:
    """A suite YAML, typed. ``rows`` stay mappings (``ROW_KEYS``); ``systematic`` None: no variation sample."""

    schema: int
    features: tuple = checked()
    features_no_disco: tuple = checked()
    window: tuple = checked(schema.Check("numbers", length=2))
    bootstrap: int = checked(schema.Int(1))
    rows: tuple = checked()
    dataset: Dataset = checked()
    systematic: Systematic | None = checked()
    significance: Significance = checked()
    training: Training = checked()
    etn: Etn = checked()
    bdt: Bdt = checked()
    xgboost: Xgboost = checked()
    firmware: Firmware = checked()
    disco: Budget = checked()
    fnn: Epochs | None = checked(default=None)  # a method's section overrides the training budget
    dfnn: Epochs | None = checked(default=None)
    reference: Reference | None = checked(default=None)  # the measured spectrum's check (background.py)
    zjets: Zjets | None = checked(default=None)


# The keys a suite YAML may hold and the check of every value: derived from the declarations above
SCHEMA: dict[str, frozenset | None] = yamlconfig.schema_of(SuiteConfig)
VALUES = yamlconfig.values_of(SuiteConfig)
ROW_KEYS = frozenset({"method", "loss", "disco", "firmware", "all_inputs", "variable"})
CUT_VARIABLE = "pt_llg_over_m"  # a Cut row's one input when it names none


def cut_variable(row: Mapping) -> str:
    """The one input of a Cut row."""
    return row.get("variable", CUT_VARIABLE)


def epoch_budget(config: Mapping, row: Mapping) -> dict:
    """A neural row's ``epochs`` and ``patience``: ``training``'s, overridden by the method's section, capped
    by ``disco`` for a DisCo row (dCor^2 costs O(batch^2) per batch) and by ``firmware`` for a QKeras row
    (slower per epoch). ``config`` is the plain mapping (also the one results.json keeps)."""
    section = config.get(row["method"].lower()) or {}
    budget = {k: section.get(k, config["training"][k]) for k in ("epochs", "patience")}
    caps = [config.get(name) for name in ("disco", "firmware") if row.get(name)]
    for cap in caps:
        for k in ("epochs", "patience"):
            if cap and k in cap:
                budget[k] = min(budget[k], cap[k])
    return budget


def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> SuiteConfig:
    """The suite YAML (the packaged default when ``path`` is None) merged over the packaged defaults,
    with ``quick:`` overrides applied; unknown keys are refused. The result is frozen."""
    config_layers = yamlconfig.layers("studies/suite/suite.yaml", path, SCHEMA, "suite", quick)
    cfg = yamlconfig.merge(config_layers, "studies/suite/suite.yaml", SCHEMA_VERSION, "suite")
    where = str(path) if path else "(packaged)"
    _later_training_wins(cfg, [layer for _, layer in config_layers])
    for row in cfg.get("rows", []) or []:
        for key in row if isinstance(row, dict) else ():
            if key not in ROW_KEYS:
                yamlconfig.refuse(key, ROW_KEYS, "row key", where, "suite")
    _validate(cfg, f"suite config {where}")
    return typed(SuiteConfig, cfg, f"suite config {where}")


def _later_training_wins(cfg: dict, layers: list[dict]) -> None:
    """A method section's ``epochs`` / ``patience`` (``fnn: {epochs: 100}``) overrides ``training``'s only
    where no later layer (:func:`yamlconfig.layers`: the packaged file < the user's file < its ``quick:``) set
    ``training``'s: a user's ``training: {epochs: 12}`` is every row's budget, not the FNN's packaged 100 (that
    surprise cost a test 14 minutes). Sets the section's value to ``training``'s in ``cfg`` (the record then
    says what ran)."""

    def last(section: str, key: str) -> int:
        hits = [i for i, layer in enumerate(layers) if isinstance(layer.get(section), dict) and key in layer[section]]
        return hits[-1] if hits else -1

    for section in (m.lower() for m in NN_METHODS):
        for key in ("epochs", "patience"):
            own = cfg.get(section)
            if isinstance(own, dict) and key in own and last("training", key) > last(section, key):
                cfg[section] = {**cfg[section], key: cfg["training"][key]}


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
        if "variable" in row and (row["method"] != "Cut" or row["variable"] not in cfg.get("features", FEATURES)):
            raise UserInputError(
                f"suite config: row {row}: 'variable' belongs to a Cut row and must be one of the features "
                f"({', '.join(cfg.get('features', FEATURES))})"
            )
    lo, hi = cfg["window"]
    if not 100 <= lo < hi <= 180:
        raise UserInputError(f"suite config: mass window {lo}-{hi} GeV must lie inside the generated 100-180 GeV")
