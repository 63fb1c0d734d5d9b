"""One point of a design-space scan, as a Dask task: train, score the firmware, estimate its hardware.

Tasks take plain data and the frozen scan config (settings, :class:`~.config.ScanConfig`) and return plain
data (bytes of the files to keep), so they run the same in this process, on a LocalCluster, or on a
remote cluster without a shared filesystem.
"""

from __future__ import annotations

import functools
import importlib
import time
from pathlib import Path

import numpy as np

from ..frontends import hgq2 as hgq2_frontend
from ..scratch import scratch
from . import tree_point

INPUT_TYPE_TEXT = "ap_ufixed<8,0>"  # the trigger's 8-bit input codes / 256


@functools.lru_cache(maxsize=2)
def _data(path: str | None):
    """Inputs, labels and the split of the event sample, once per worker process."""
    from ..build.trigger import prepare
    from ..data import dataset

    data = dataset.load(path) if path else dataset.load_default()
    return prepare(data), data.config.fingerprint()


def data_fingerprint(path: str | None) -> str:
    return _data(path)[1]


def cut_baseline(cfg) -> dict:
    """The simplest selection a physicist tries first, at the scan's working point: one window cut on one
    of the network's inputs, chosen on the training split, its efficiencies on the test split."""
    from ..data.trigger_inputs import NAMES
    from ..reports import metrics
    from .config import background_efficiency

    (x, y, tr, _, te), _ = _data(cfg.data)
    cut = metrics.best_window_cut(x[tr], y[tr], background_efficiency(cfg), NAMES)
    return {
        "selection": "low <= input <= high on one network input (code / 256), chosen on the training split",
        **cut,
        "test": metrics.window_efficiency(x[te], y[te], cut, NAMES),
    }


def _single_threaded_tf() -> None:
    """One TF thread per task: Dask runs one task per core, and the results must not depend on threads."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TF already running in this process (a serial scan): it keeps its setting
        pass


def model_function(model_spec: str):
    """The ``package.module:function`` a scan config names; a one-line error when it cannot be found."""
    from ..errors import UserInputError

    module, _, function = model_spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as exc:
        raise UserInputError(
            f"scan model '{model_spec}' not found ({exc}): name an importable 'package.module:function'"
        ) from None
    if not callable(fn):
        raise UserInputError(f"scan model '{model_spec}' is not a function")
    return fn


# per family: the file a point keeps its trained network (or ensemble: XGBoost's JSON) in
MODEL_FILES = {"qkeras": "model.h5", "hgq2": hgq2_frontend.MODEL_FILE, "trees": "model.json"}
NOT_MODEL_ARGS = ("family", "reuse_factor", "latency_cutoff")  # settings the model function is not given


def build_model(model_spec: str, settings: dict):
    """The trigger MLP (QKeras, or HGQ2 for an HGQ2 point), or a user's ``module:function`` called with the
    settings as keywords; an HGQ2 point's function must return a Keras 3 model."""
    from ..errors import UserInputError, first_line
    from ..frontends import keras_of
    from ..models.trigger import trigger_mlp
    from ..models.trigger_hgq2 import trigger_hgq2
    from .config import family

    hgq = family(settings) == "hgq2"
    kwargs = {k: v for k, v in settings.items() if k not in NOT_MODEL_ARGS}
    if model_spec == "trigger":
        build = trigger_hgq2 if hgq else trigger_mlp
    else:
        build = model_function(model_spec)
    try:
        model = build(**kwargs)
    except UserInputError:
        raise
    except Exception as exc:  # the user's code: say which settings broke it, in one line
        raise UserInputError(
            f"scan model '{model_spec}' failed for {kwargs}: {type(exc).__name__}: {first_line(exc)}"
        ) from None
    want = "keras" if hgq else "tf_keras"
    try:
        got = keras_of(model)
    except TypeError:
        got = None
    if got != want:
        what = "an HGQ2 (Keras 3) model: use hgq.layers" if hgq else "a QKeras model (tf_keras)"
        key = "hgq2.model" if hgq else "model"
        raise UserInputError(f"scan {key} '{model_spec}' returned {type(model).__name__}, not {what}")
    return model


def evaluate(settings: dict, cfg) -> dict:
    """Train the point's network (or tree ensemble: ``tree_point``) and score it; returns {'result': {...},
    'files': {name: bytes}}."""
    from ..training.train import TrainConfig, set_seeds, train_classifier
    from .config import family

    t0 = time.perf_counter()
    (x, y, tr, va, te), _ = _data(cfg.data)
    if family(settings) == "trees":
        from ..fixed import FixedType

        source = FixedType.parse(INPUT_TYPE_TEXT)
        scored = tree_point.evaluate(settings, int(cfg.seed), x[tr], y[tr], x[te], source)
        return _finish(settings, cfg, y[te], t0, *scored)
    _single_threaded_tf()
    t = cfg.training
    train_config = TrainConfig(
        epochs=int(t.epochs),
        batch_size=int(t.batch_size),
        learning_rate=float(t.learning_rate),
        patience=int(t.patience),
        seed=int(cfg.seed),
    )
    hgq = family(settings) == "hgq2"
    set_seeds(train_config.seed, keras3=hgq)
    model = build_model(cfg.hgq2.model if hgq else cfg.model, settings)
    t_train = time.perf_counter()
    trained = train_classifier(model, x[tr], y[tr], x[va], y[va], train_config)
    timing = {"training": time.perf_counter() - t_train}
    score = _score_hgq2 if hgq else _score_qkeras
    firmware, checks, est, files, extra = score(model, settings, x[tr], x[te], timing)
    extra["best_epoch"] = trained.best_epoch
    return _finish(settings, cfg, y[te], t0, firmware, checks, est, files, extra, timing)


def _finish(settings, cfg, y_test, t0, firmware, checks, est, files, extra, timing) -> dict:
    """The point's result record from the firmware's scores of the test set, its checks and estimate."""
    from ..reports import metrics
    from .config import background_efficiency

    wp = metrics.signal_efficiency_at(y_test, firmware, background_efficiency(cfg))
    result = {
        "settings": settings,
        **extra,
        "test_events": len(y_test),
        "auc": metrics.auc(y_test, firmware),
        "efficiency": wp["signal_efficiency"],
        "background_efficiency": wp["background_efficiency"],
        "threshold": wp["threshold"],
        "checks": checks,
        "alkaid": est,
        "seconds": round(time.perf_counter() - t0, 1),
        "timing": {k: round(v, 3) for k, v in timing.items()},  # seconds per phase (benchmarks/scan.py)
    }
    return {"result": result, "files": files}


def _score_qkeras(model, settings: dict, x_train, x_test, timing: dict):
    """The firmware's scores from fpga-nn's bit-exact emulator of hls4ml's model, checked against QKeras and
    against alkaid's interpreter of the traced logic; alkaid's estimate. ``timing`` gets the seconds of the
    emulation (hls4ml conversion, record, emulator) and of alkaid (trace, interpreter, estimate)."""
    from ..convert.project import convert_model
    from ..convert.to_rtl import trace_model
    from ..fixed import FixedType
    from ..hardware.rtl import estimate
    from ..verify import record
    from ..verify.emulator import Emulator

    input_type = FixedType.parse(INPUT_TYPE_TEXT)
    files: dict[str, bytes] = {}
    t0 = time.perf_counter()
    with scratch("scan") as tmp:
        tmp = Path(tmp)
        _, hls_model = convert_model(model, tmp / "hls", input_type, reuse_factor=int(settings["reuse_factor"]))
        record.export(hls_model, tmp / "emulation")
        firmware = Emulator(tmp / "emulation").predict(x_test).ravel()
        model.save(tmp / MODEL_FILES["qkeras"])
        for path in [tmp / MODEL_FILES["qkeras"], *sorted((tmp / "emulation").rglob("*"))]:
            if path.is_file():
                files[str(path.relative_to(tmp))] = path.read_bytes()
    timing["emulation"] = time.perf_counter() - t0
    offline = model.predict(x_test, batch_size=8192, verbose=0).ravel()
    t0 = time.perf_counter()
    comb = trace_model(model, input_type)
    alkaid_out = comb.predict(np.asarray(x_test, np.float64)).ravel()
    checks = {
        "emulator_vs_qkeras_mismatches": int(np.sum(firmware != offline)),
        "alkaid_vs_emulator_mismatches": int(np.sum(alkaid_out != firmware)),
    }
    est = estimate(comb, float(settings["latency_cutoff"]))
    timing["alkaid"] = time.perf_counter() - t0
    return firmware, checks, est, files, {"parameters": int(model.count_params())}


def _score_hgq2(model, settings: dict, x_train, x_test, timing: dict):
    """HGQ2: the integer bits fixed on the training set (``calibrate``, counted as training), then the
    firmware's scores from alkaid's interpreter of the traced logic (what becomes the Verilog; hls4ml's
    C-simulation equals ``model.predict``, checked by ``build --from-scan``), checked against
    ``model.predict``: no fpga-nn emulation, all of it alkaid's."""
    from ..convert.to_rtl import trace
    from ..frontends import hgq2
    from ..hardware.rtl import estimate

    hgq2.check_layers(model)
    t0 = time.perf_counter()
    ebops = hgq2.calibrate(model, np.asarray(x_train, np.float32))
    timing["training"] += time.perf_counter() - t0
    offline = model.predict(x_test, batch_size=8192, verbose=0).ravel()
    t0 = time.perf_counter()
    comb = trace(model)
    firmware = comb.predict(np.asarray(x_test, np.float64)).ravel()
    checks = {"interpreter_vs_model_mismatches": int(np.sum(firmware != offline))}
    est = estimate(comb, float(settings["latency_cutoff"]))
    timing["alkaid"] = time.perf_counter() - t0
    with scratch("scan") as tmp:
        path = Path(tmp) / MODEL_FILES["hgq2"]
        hgq2.save(model, path)
        files = {path.name: path.read_bytes()}
    return firmware, checks, est, files, {"parameters": hgq2.parameters(model), "ebops": ebops}


def rtl_tools() -> dict:
    """The versions the hardware round's figures depend on (a cached rtl.json is redone when they change)."""
    from ..hardware.versions import versions

    tools = versions()
    return {k: tools[k] for k in ("verilator", "yosys", "alkaid")}


def synthesize(point_id: str, model_bytes: bytes, settings: dict, cfg) -> dict:
    """Verilator latency/II (bit-exact on the whole test set) and Yosys LUT/FF/DSP of one point."""
    import os

    _single_threaded_tf()
    os.environ.setdefault("FPGA_NN_JOBS", "1")  # one task per core: Verilator compiles with one job
    from ..errors import ToolError, UnsupportedModelError

    (x, _, tr, _, te), _ = _data(cfg.data)
    hw = cfg.hardware
    tool_versions = rtl_tools()
    try:
        return {**_synthesize(point_id, model_bytes, settings, x[tr], x[te], hw), "tools": tool_versions}
    except (ToolError, UnsupportedModelError) as exc:  # no Verilator/Yosys here, or a model alkaid cannot trace
        return {"error": str(exc).splitlines()[0], "tools": tool_versions}


def _synthesize(point_id: str, model_bytes: bytes, settings: dict, x_train, x_test, hw) -> dict:
    from ..build.user_model import load_user_model
    from ..convert.to_rtl import trace
    from ..fixed import FixedType
    from ..frontends import hgq2
    from ..hardware import rtl, yosys
    from .config import family

    with scratch("scan-rtl") as tmp:
        tmp = Path(tmp)
        if family(settings) == "trees":  # the RTL must equal the tree emulator (== the conifer C-simulation)
            comb, expected = tree_point.logic(model_bytes, settings, x_train, x_test, FixedType.parse(INPUT_TYPE_TEXT))
        else:
            model_file = tmp / MODEL_FILES[family(settings)]
            model_file.write_bytes(model_bytes)
            model = hgq2.load(model_file) if family(settings) == "hgq2" else load_user_model(model_file)
            expected = model.predict(x_test, batch_size=8192, verbose=0)
            comb = trace(model, FixedType.parse(INPUT_TYPE_TEXT))
        name = f"scan_{point_id}"
        checked = rtl.verify(
            comb,
            x_test,
            expected,
            None,
            tmp / "rtl",
            name,
            hw.part,
            float(hw.clock_period),
            float(settings["latency_cutoff"]),
        )
        t0 = time.perf_counter()
        counts = yosys.synthesize(tmp / "rtl", name, hw.part)
        t_yosys = time.perf_counter() - t0
    s = checked.seconds
    return {
        "timing": {
            "alkaid_verilog": s["generate"],
            "verilator": round(s["verilate"] + s["simulate"], 2),
            "yosys": round(t_yosys, 2),
        },  # fmt: skip
        "latency_cycles": checked.latency_cycles,
        "latency_ns": checked.latency_ns,
        "ii": checked.initiation_interval,
        "rtl_mismatches": checked.mismatches_offline,
        "rtl_events": checked.events,
        "lut": counts.lut,
        "inv": counts.inv,
        "ff": counts.ff,
        "dsp": counts.dsp,
    }
