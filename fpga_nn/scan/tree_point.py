"""A tree point of the scan: XGBoost trained on the scan's split, the firmware's scores from fpga-nn's
bit-exact tree emulator (== the conifer project's C-simulation, ``fpga-nn build --model``), checked
against alkaid's interpreter of the same integer trees, whose logic gives the cost, the pipeline and,
for points on the front, the Verilog that Verilator and Yosys measure as for the networks."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..scratch import scratch


def train(settings: dict, seed: int, x_train, y_train):
    import xgboost as xgb

    model = xgb.XGBClassifier(
        n_estimators=int(settings["n_estimators"]),
        max_depth=int(settings["max_depth"]),
        learning_rate=float(settings["learning_rate"]),
        tree_method="hist",
        n_jobs=1,  # one task per core, and the same trees on every run
        random_state=int(seed),
    )
    return model.fit(np.asarray(x_train, np.float32), y_train)


def quantized(settings: dict, model, x_train):
    """The point's integer trees: inputs on ``input_bits`` fraction bits, leaves on ``score_fraction``."""
    from ..convert import tree_types
    from ..fixed import FixedType
    from ..frontends import trees

    ens = trees.from_model(model)
    input_type = FixedType(False, int(settings["input_bits"]), 0)
    types = tree_types.choose_types(ens, x_train, input_type, score_fraction=int(settings["score_fraction"]))
    return tree_types.quantize(ens, types)


def evaluate(settings: dict, seed: int, x_train, y_train, x_test, source_type):
    """(firmware scores of ``x_test``, checks, alkaid estimate, files, extra record keys, timing);
    ``source_type``: the type of the scan's inputs (the trigger's 8-bit codes), rounded onto the point's grid."""
    from ..convert.tree_trace import trace_ensemble
    from ..convert.tree_types import to_grid
    from ..hardware.rtl import estimate
    from ..verify.trees import emulate

    t0 = time.perf_counter()
    model = train(settings, seed, x_train, y_train)
    timing = {"training": time.perf_counter() - t0}
    t0 = time.perf_counter()
    q = quantized(settings, model, x_train)
    firmware = emulate(q, to_grid(x_test, q.types.input))
    timing["emulation"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    comb = trace_ensemble(q, source_type)
    alkaid_out = comb.predict(np.asarray(x_test, np.float64)).ravel()
    est = estimate(comb, float(settings["latency_cutoff"]))
    timing["alkaid"] = time.perf_counter() - t0
    checks = {"alkaid_vs_emulator_mismatches": int(np.sum(alkaid_out != firmware))}
    with scratch("scan") as tmp:
        path = Path(tmp) / "model.json"
        model.save_model(path)
        files = {path.name: path.read_bytes()}
    nodes = sum(len(t.feature) for t in q.ensemble.trees)
    extra = {"parameters": nodes, "best_epoch": None, "types": q.types.as_dict()}
    return firmware, checks, est, files, extra, timing


def load(model_bytes: bytes):
    import xgboost as xgb

    with scratch("scan-rtl") as tmp:
        path = Path(tmp) / "model.json"
        path.write_bytes(model_bytes)
        model = xgb.XGBClassifier()
        model.load_model(path)
    return model


def logic(model_bytes: bytes, settings: dict, x_train, x_test, source_type):
    """(alkaid logic, the emulator's scores of ``x_test``) of a saved tree point, rebuilt from its model."""
    from ..convert.tree_trace import trace_ensemble
    from ..convert.tree_types import to_grid
    from ..verify.trees import emulate

    q = quantized(settings, load(model_bytes), x_train)
    expected = emulate(q, to_grid(x_test, q.types.input)).reshape(-1, 1)
    return trace_ensemble(q, source_type), expected
