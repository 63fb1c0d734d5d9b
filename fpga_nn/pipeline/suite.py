"""The reference classifier suite on H -> Z gamma (seed 004): train, select by significance, tabulate.

One dataset (cached, generated in parallel), split by seed into train / validation / test. Every
row of the table is one method (Random, BDT, XGBoost, FNN, DFNN, ETN) with one loss (BCE, extreme,
each optionally + lambda DisCo). Neural networks keep the epoch of highest validation significance.
Metrics on the test set inside the mass window: binned significance, AUC; on all test background:
dCor^2(score, m(llg)). Uncertainties: Poisson bootstrap of the test set (the same replicas for all
rows, so differences between rows have paired uncertainties). The power-shower background
(``SpaceShower:pTmaxMatch = 2``) is a second test sample: the same trained models, scored on it.
The quantized FNN/DFNN rows are built into firmware and scored by its C-simulation.

Each finished row is written to ``OUT/rows/<key>.json`` (+ ``.npz`` scores) with a hash of the
settings it depends on: a rerun skips it (resumable) unless the settings changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import platform
import threading
import time
from importlib import resources
from pathlib import Path

import numpy as np

from ..data import dataset
from ..data.generator import GenerationConfig
from ..data.selection import FEATURES
from ..errors import UserInputError
from ..fixed import FixedType
from ..jsonio import write_json
from ..reports import significance as sig
from ..verify.fixedpoint import on_grid

log = logging.getLogger(__name__)

METHODS = ("Random", "BDT", "XGBoost", "FNN", "DFNN", "ETN")
NN_METHODS = ("FNN", "DFNN", "ETN")
MASS = "m_llg"


# ----------------------------------------------------------------------------------------------- config
def load_config(path: str | os.PathLike | None = None, quick: bool = False) -> dict:
    """The suite YAML (the packaged default when ``path`` is None), with ``quick:`` overrides applied."""
    import yaml

    if path is None:
        text = (resources.files("fpga_nn.pipeline") / "suite.yaml").read_text()
    else:
        p = Path(path)
        if not p.is_file():
            raise UserInputError(f"suite config {p} not found: pass an existing YAML file (see docs/suite.md)")
        text = p.read_text()
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserInputError(f"suite config is not valid YAML: {exc}") from exc
    quick_over = cfg.pop("quick", {}) or {}
    if quick:
        for section, values in quick_over.items():
            if isinstance(values, dict) and isinstance(cfg.get(section), dict):
                cfg.setdefault(section, {}).update(values)
            else:
                cfg[section] = values
    _validate(cfg)
    return cfg


def _validate(cfg: dict) -> None:
    for section in ("dataset", "window", "significance", "training", "rows"):
        if section not in cfg:
            raise UserInputError(f"suite config: section '{section}' is missing (see fpga_nn/pipeline/suite.yaml)")
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


def row_key(row: dict) -> str:
    if row["method"] not in NN_METHODS:
        return row["method"]
    key = f"{row['method']}-{row.get('loss', 'bce')}"
    return key + ("+disco" if row.get("disco") else "") + ("-firmware" if row.get("firmware") else "")


def row_label(row: dict) -> str:
    if row["method"] not in NN_METHODS:
        return row["method"]
    loss = {"bce": "BCE", "extreme": "Ext"}[row.get("loss", "bce")] + ("+DisCo" if row.get("disco") else "")
    return f"{row['method']} {loss}" + (" (8-bit firmware)" if row.get("firmware") else "")


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------------- data
def generation_configs(cfg: dict) -> tuple[GenerationConfig, GenerationConfig | None]:
    d = cfg["dataset"]
    nominal = GenerationConfig(n_signal=d["n_signal"], n_background=d["n_background"], seed=d["seed"],
                               chunk_size=d.get("chunk_size", 5000))
    syst = None
    if cfg.get("systematic", {}).get("power_shower", False):
        n_bkg = cfg["systematic"].get("n_background", d["n_background"])
        syst = GenerationConfig(n_signal=0, n_background=n_bkg, seed=d["seed"] + 1, power_shower=True,
                                chunk_size=d.get("chunk_size", 5000))
    return nominal, syst


def load_events(gen: GenerationConfig, workers: int | None = None) -> dataset.EventData:
    path = dataset.cache_dir("events") / f"hzg-{gen.fingerprint()}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    return dataset.cached(gen, path, workers)


@dataclasses.dataclass
class Prepared:
    """Standardised inputs, labels, masses and physics weights of the three splits (+ systematic)."""

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    mass: dict[str, np.ndarray]
    weight: dict[str, np.ndarray]  # expected events at the normalised luminosity
    mean: np.ndarray
    std: np.ndarray
    info: dict


def prepare(cfg: dict, nominal: dataset.EventData, syst: dataset.EventData | None) -> Prepared:
    features = cfg.get("features") or [f for f in FEATURES if f != MASS]
    idx = dict(zip(("train", "val", "test"), dataset.split(len(nominal), cfg["dataset"].get("split_seed", 7)),
                   strict=True))
    raw = nominal.matrix(features)
    mean, std = raw[idx["train"]].mean(axis=0), raw[idx["train"]].std(axis=0) + 1e-12
    s_cfg = cfg["significance"]
    sigma = s_cfg["sigma_fb"]
    n_gen = nominal.n_generated
    frac = {k: len(v) / len(nominal) for k, v in idx.items()}
    prep = Prepared({}, {}, {}, {}, mean, std, {})
    for split_name, ii in idx.items():
        prep.x[split_name] = ((raw[ii] - mean) / std).astype(np.float32)
        prep.y[split_name] = nominal.label[ii].astype(np.int8)
        prep.mass[split_name] = nominal.features[MASS][ii]
        per_event = np.where(prep.y[split_name] == 1, sigma["signal"] / n_gen["signal"],
                             sigma["background"] / n_gen["background"])
        prep.weight[split_name] = per_event * s_cfg["lumi_fb"] / frac[split_name]
    if syst is not None:
        # the systematic sample: nominal test signal + power-shower background (all of it: never trained on)
        xs = (syst.matrix(features) - mean) / std
        prep.x["test_ps"] = np.concatenate([prep.x["test"][prep.y["test"] == 1], xs.astype(np.float32)])
        prep.y["test_ps"] = np.concatenate([prep.y["test"][prep.y["test"] == 1], np.zeros(len(xs), np.int8)])
        prep.mass["test_ps"] = np.concatenate([prep.mass["test"][prep.y["test"] == 1], syst.features[MASS]])
        w_bkg = np.full(len(xs), sigma["background"] / syst.n_generated["background"] * s_cfg["lumi_fb"])
        prep.weight["test_ps"] = np.concatenate([prep.weight["test"][prep.y["test"] == 1], w_bkg])
    # Normalise the luminosity so that s / sqrt(b) in the window of the test set equals seed 004's
    # Random row (0.50): significances are then in the seed table's units.
    lo, hi = cfg["window"]
    win = (prep.mass["test"] > lo) & (prep.mass["test"] < hi)
    s = prep.weight["test"][win & (prep.y["test"] == 1)].sum()
    b = prep.weight["test"][win & (prep.y["test"] == 0)].sum()
    target = s_cfg.get("normalise_random_to")
    scale = (target * np.sqrt(b) / s) ** 2 if target else 1.0
    for k in prep.weight:
        prep.weight[k] = prep.weight[k] * scale
    prep.info = {
        "features": features, "n_events": {k: int(len(v)) for k, v in prep.y.items()},
        "n_signal": {k: int(v.sum()) for k, v in prep.y.items()},
        "window_gev": [lo, hi], "lumi_fb": s_cfg["lumi_fb"], "lumi_scale": float(scale),
        "effective_lumi_fb": float(s_cfg["lumi_fb"] * scale),
        "expected_in_window_test": {"signal": float(s * scale), "background": float(b * scale)},
        "s_over_sqrt_b_at_lumi": float(s / np.sqrt(b)),
        "n_generated": nominal.n_generated,
        "n_generated_power_shower": syst.n_generated if syst is not None else None,
    }
    return prep


# ----------------------------------------------------------------------------------------------- metrics
class Bootstrap:
    """Poisson(1) replica weights, shared by all rows (paired differences)."""

    def __init__(self, n_events: int, n_replicas: int, seed: int):
        self.w = np.random.default_rng(seed).poisson(1.0, (n_replicas, n_events)).astype(np.float64)


def window_mask(cfg: dict, mass: np.ndarray) -> np.ndarray:
    lo, hi = cfg["window"]
    return (mass > lo) & (mass < hi)


def evaluate(cfg: dict, prep: Prepared, split_name: str, score: np.ndarray, boot: Bootstrap | None,
             corr_events: int = 4000) -> dict:
    """Significance and AUC in the window (with replicas), dCor^2 on all background of the split."""
    y, w, m = prep.y[split_name], prep.weight[split_name], prep.mass[split_name]
    win = window_mask(cfg, m)
    n_bins = cfg["significance"]["n_bins"]
    min_b = float(w[y == 0].min())
    out = {
        "significance": sig.binned_significance(score[win], y[win], w[win], n_bins, min_b),
        "auc": sig.weighted_auc(score[win], y[win], w[win]),
    }
    bkg = np.flatnonzero(y == 0)
    pick = np.random.default_rng(11).choice(bkg, min(corr_events, len(bkg)), replace=False)
    out["bkg_corr"] = sig.distance_correlation_sq(score[pick], m[pick])
    if boot is not None:
        if boot.w.shape[1] == win.sum():  # replicas are drawn for the test window (firmware rows reuse them)
            reps_z = [sig.binned_significance(score[win], y[win], w[win] * r, n_bins, min_b) for r in boot.w]
            reps_a = [sig.weighted_auc(score[win], y[win], w[win] * r) for r in boot.w]
            out["replicas"] = {"significance": reps_z, "auc": reps_a}
            out["significance_err"] = float(np.std(reps_z))
            out["auc_err"] = float(np.std(reps_a))
        reps = np.random.default_rng(12).poisson(1.0, (min(len(boot.w), 50), len(pick))) + 1e-12
        rc = [sig.distance_correlation_sq(score[pick], m[pick], r) for r in reps]
        out["bkg_corr_err"] = float(np.std(rc))
    return out


# ----------------------------------------------------------------------------------------------- devices
def device_info() -> dict:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    info = {"tensorflow": tf.__version__, "platform": platform.platform(), "cpu_count": os.cpu_count(),
            "gpu": [g.name for g in gpus]}
    if gpus:
        try:
            info["gpu_name"] = tf.config.experimental.get_device_details(gpus[0]).get("device_name")
        except Exception:  # noqa: BLE001 - details are informative only
            pass
    return info


class PeakMemory:
    """Peak resident memory of this process above its level at start (sampled), and the GPU's peak."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.base = self._rss()
        self.peak = self.base
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.gpu = None
        try:
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
                self.gpu = 0
        except Exception:  # noqa: BLE001
            self.gpu = None
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.result = {"host_peak_mb": round((self.peak - self.base) / 2**20, 1)}
        if self.gpu is not None:
            import tensorflow as tf

            self.result["gpu_peak_mb"] = round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20, 1)
        return False


# ----------------------------------------------------------------------------------------------- training
def _trees(cfg: dict, row: dict, prep: Prepared) -> tuple[object, dict]:
    method = row["method"]
    if method == "BDT":
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier

        c = cfg.get("bdt", {})
        # TMVA's default BDT: AdaBoost of shallow trees
        model = AdaBoostClassifier(DecisionTreeClassifier(max_depth=c.get("max_depth", 3), min_samples_leaf=0.025),
                                   n_estimators=c.get("n_estimators", 400), learning_rate=c.get("learning_rate", 0.5),
                                   random_state=cfg["training"]["seed"])
        model.fit(prep.x["train"], prep.y["train"])
        return model, {"n_trees": len(model.estimators_)}
    import xgboost as xgb

    c = cfg.get("xgboost", {})
    gpu = bool(device_info()["gpu"])
    model = xgb.XGBClassifier(n_estimators=c.get("n_estimators", 1000), max_depth=c.get("max_depth", 5),
                              learning_rate=c.get("learning_rate", 0.05), subsample=0.8, tree_method="hist",
                              device="cuda" if gpu else "cpu", early_stopping_rounds=c.get("early_stopping", 30),
                              random_state=cfg["training"]["seed"], n_jobs=os.cpu_count())
    model.fit(prep.x["train"], prep.y["train"], eval_set=[(prep.x["val"], prep.y["val"])], verbose=False)
    return model, {"best_iteration": int(model.best_iteration) + 1}


def _tree_score(model, x):
    if hasattr(model, "decision_function") and not hasattr(model, "get_booster"):
        return model.decision_function(x)
    return model.predict(x, output_margin=True)


def build_network(cfg: dict, row: dict, n_inputs: int):
    from ..models import reference as ref

    method = row["method"]
    if method == "ETN":
        e = cfg.get("etn", {})
        return ref.etn(n_inputs, e.get("d_model", 32), e.get("n_blocks", 2), e.get("n_heads", 4),
                       name=row_key(row).replace("+", "_"))
    widths = ref.FNN_WIDTHS if method == "FNN" else ref.DFNN_WIDTHS
    name = row_key(row).replace("+", "_")
    if row.get("firmware"):
        return ref.quantized_feed_forward(n_inputs, widths, name)
    return ref.feed_forward(n_inputs, widths, name)


def train_network(cfg: dict, row: dict, prep: Prepared, x: dict[str, np.ndarray], progress: bool = True):
    """Train with the row's loss; keep the epoch of highest validation significance. Returns model, meta."""
    import tensorflow as tf
    from tqdm import tqdm

    from ..quantize.losses import make_loss
    from ..quantize.train import set_seeds

    t = cfg["training"]
    set_seeds(t["seed"])
    gpu = bool(tf.config.list_physical_devices("GPU"))
    # mixed precision: true = on a GPU (where it helps), "always" = also on the CPU (to test that path)
    mp_setting = t.get("mixed_precision", True)
    mixed = (row["method"] == "ETN" and not row.get("firmware")
             and (mp_setting == "always" or (bool(mp_setting) and gpu)))
    if mixed:
        tf.keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_network(cfg, row, x["train"].shape[1])
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    lam = float(t.get("disco_lambda", 1.0)) if row.get("disco") else 0.0
    loss = make_loss(row.get("loss", "bce"), lam)
    model.compile(optimizer=tf.keras.optimizers.Adam(t["learning_rate"]), loss=loss, jit_compile=False)
    y_train = np.stack([prep.y["train"], prep.mass["train"]], axis=1).astype(np.float32)
    y_val = np.stack([prep.y["val"], prep.mass["val"]], axis=1).astype(np.float32)
    # DisCo needs enough background per batch for a stable distance correlation
    batch = int(t["batch_size"])
    win = window_mask(cfg, prep.mass["val"])
    min_b = float(prep.weight["val"][prep.y["val"] == 0].min())
    history = {"loss": [], "val_loss": [], "val_significance": []}
    best = (-np.inf, 0, None)
    patience = int(t.get("patience", 10**9))
    epochs = int(cfg.get(row["method"].lower(), {}).get("epochs", t["epochs"]))
    bar = tqdm(range(epochs), desc=row_label(row), unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        h = model.fit(x["train"], y_train, batch_size=batch, epochs=1, shuffle=True, verbose=0,
                      validation_data=(x["val"], y_val), validation_batch_size=8192)
        score = model.predict(x["val"], batch_size=8192, verbose=0).reshape(-1).astype(np.float64)
        z = sig.binned_significance(score[win], prep.y["val"][win], prep.weight["val"][win],
                                    cfg["significance"]["n_bins"], min_b)
        history["loss"].append(float(h.history["loss"][0]))
        history["val_loss"].append(float(h.history["val_loss"][0]))
        history["val_significance"].append(float(z))
        if z > best[0]:
            best = (z, epoch + 1, model.get_weights())
        bar.set_postfix(val_Z=f"{z:.3f}", best=best[1])
        if epoch + 1 - best[1] >= patience:
            break
    model.set_weights(best[2])
    return model, {"best_epoch": best[1], "epochs_run": len(history["loss"]), "history": history,
                   "mixed_precision": mixed, "disco_lambda": lam}


# ----------------------------------------------------------------------------------------------- rows
def run_row(cfg: dict, row: dict, prep: Prepared, boot: Bootstrap, out: Path, part: str,
            progress: bool = True) -> dict:
    method = row["method"]
    t0 = time.perf_counter()
    meta: dict = {}
    x = prep.x
    fw_type = None
    if row.get("firmware"):
        fw_type = FixedType.parse(cfg.get("firmware", {}).get("input_type", "ap_fixed<12,4>"))
        x = {k: on_grid(v, fw_type) for k, v in prep.x.items()}
    with PeakMemory() as mem:
        if method == "Random":
            rng = np.random.default_rng(cfg["training"]["seed"])
            scores = {k: rng.uniform(size=len(v)) for k, v in x.items() if k.startswith("test")}
            params = 0
        elif method in ("BDT", "XGBoost"):
            model, meta = _trees(cfg, row, prep)
            scores = {k: _tree_score(model, v) for k, v in x.items() if k.startswith("test")}
            params = meta.get("n_trees", meta.get("best_iteration", 0))
        else:
            model, meta = train_network(cfg, row, prep, x, progress)
            scores = {k: model.predict(v, batch_size=8192, verbose=0).reshape(-1).astype(np.float64)
                      for k, v in x.items() if k.startswith("test")}
            params = int(model.count_params())
    seconds = time.perf_counter() - t0
    result = {"key": row_key(row), "label": row_label(row), "method": method, "loss": row.get("loss"),
              "disco": bool(row.get("disco")), "firmware": bool(row.get("firmware")),
              "parameters": params, "parameters_kind": "trees" if method in ("BDT", "XGBoost") else "weights",
              "train_seconds": round(seconds, 2), "memory": mem.result,
              "best_epoch": meta.get("best_epoch"), "epochs_run": meta.get("epochs_run"),
              "history": meta.get("history"), "extra": {k: v for k, v in meta.items() if k not in
                                                          ("history", "best_epoch", "epochs_run")}}
    result["test"] = evaluate(cfg, prep, "test", scores["test"], boot)
    if "test_ps" in scores:
        result["test_power_shower"] = evaluate(cfg, prep, "test_ps", scores["test_ps"], None)
    if row.get("firmware"):
        result["firmware_check"], fw_scores = _firmware(cfg, row, model, x["test"], fw_type, out, part)
        result["firmware_test"] = evaluate(cfg, prep, "test", fw_scores, boot)
        scores["firmware"] = fw_scores
    np.savez_compressed(out / "rows" / f"{result['key']}.npz", **scores)
    return result


def _firmware(cfg: dict, row: dict, model, x_test: np.ndarray, input_type: FixedType, out: Path, part: str):
    """QKeras -> hls4ml -> C-simulation on every test event; the firmware's scores and the check."""
    from . import firmware
    from .outdir import staged

    opts = firmware.BuildOptions(part=part, name=row_key(row).replace("-", "_").replace("+", "_"),
                                 output_dir=out / "firmware" / row_key(row), force=True, rtl=False)
    with staged(opts.target(), force=True) as staging:
        summary = firmware.convert_and_verify(model, x_test, input_type, staging, opts)
        csim = np.load(staging / "vectors" / "csim.npy").reshape(-1).astype(np.float64)
    check = {"events": summary.get("events", len(x_test)), "mismatches": summary["mismatches"],
             "max_abs_diff_lsb": summary.get("max_abs_diff_lsb"), "output_type": summary.get("output_type"),
             "input_type": input_type.to_ap(), "csim_seconds": summary.get("csim_seconds"),
             "emulator": summary.get("emulator"), "project": str(opts.target())}
    return check, csim


# ----------------------------------------------------------------------------------------------- driver
def run_suite(cfg: dict, out: Path, part: str = "xcvu13p-flga2577-2-e", fresh: bool = False,
              workers: int | None = None, progress: bool = True) -> dict:
    from tqdm import tqdm

    out = Path(out)
    (out / "rows").mkdir(parents=True, exist_ok=True)
    gen_nominal, gen_syst = generation_configs(cfg)
    t0 = time.perf_counter()
    nominal = load_events(gen_nominal, workers)
    syst = load_events(gen_syst, workers) if gen_syst else None
    t_data = time.perf_counter() - t0
    prep = prepare(cfg, nominal, syst)
    n_win = int(window_mask(cfg, prep.mass["test"]).sum())
    boot = Bootstrap(n_win, int(cfg.get("bootstrap", 200)), seed=cfg["training"]["seed"] + 100)
    common = {k: cfg[k] for k in ("dataset", "window", "significance", "training", "features", "systematic",
                                  "bootstrap") if k in cfg}
    rows = []
    bar = tqdm(cfg["rows"], desc="suite", unit="model", disable=not progress)
    for row in bar:
        key = row_key(row)
        bar.set_postfix(model=key)
        digest = _hash({"common": common, "row": row, "section": cfg.get(row["method"].lower(), {}),
                        "firmware": cfg.get("firmware") if row.get("firmware") else None, "v": 1})
        path = out / "rows" / f"{key}.json"
        if not fresh and path.is_file() and (out / "rows" / f"{key}.npz").is_file():
            done = json.loads(path.read_text())
            if done.get("settings_hash") == digest:
                log.info("%s: finished earlier, reusing %s", key, path)
                rows.append(done)
                continue
        result = run_row(cfg, row, prep, boot, out, part, progress)
        result["settings_hash"] = digest
        tmp = path.with_suffix(".json.tmp")
        write_json(tmp, result, indent=1)
        os.replace(tmp, path)
        rows.append(result)
    results = {
        "suite": "H -> Z gamma reference classifiers (seed 004)",
        "config": cfg, "dataset": prep.info, "data_seconds": round(t_data, 1),
        "generation": {"nominal": dataclasses.asdict(gen_nominal),
                       "power_shower": dataclasses.asdict(gen_syst) if gen_syst else None},
        "device": device_info(), "rows": rows,
    }
    results["comparisons"] = comparisons(rows)
    from ..reports import suite_report

    suite_report.write(results, out, {"y": prep.y["test"], "mass": prep.mass["test"],
                                      "weight": prep.weight["test"]})
    return results


def _paired(a: dict, b: dict, metric: str) -> tuple[float, float] | None:
    ra, rb = a["test"].get("replicas", {}).get(metric), b["test"].get("replicas", {}).get(metric)
    if not ra or not rb:
        return None
    d = np.asarray(ra) - np.asarray(rb)
    return float(a["test"][metric] - b["test"][metric]), float(np.std(d))


def comparisons(rows: list[dict]) -> list[dict]:
    """Paired differences that the issue asks to state: ordering of methods, DisCo's effect."""
    by = {r["key"]: r for r in rows}
    out = []
    pairs = [("XGBoost", "BDT"), ("ETN-bce", "XGBoost"), ("ETN-bce", "DFNN-bce"), ("DFNN-bce", "FNN-bce"),
             ("ETN-bce", "BDT"), ("FNN-bce", "Random")]
    for a, b in pairs:
        if a in by and b in by:
            for metric in ("significance", "auc"):
                d = _paired(by[a], by[b], metric)
                if d:
                    out.append({"a": a, "b": b, "metric": metric, "difference": d[0], "error": d[1]})
    for r in rows:
        if r.get("disco") and not r.get("firmware"):
            base = r["key"].replace("+disco", "")
            if base in by:
                out.append({"a": r["key"], "b": base, "metric": "bkg_corr",
                            "difference": r["test"]["bkg_corr"] - by[base]["test"]["bkg_corr"],
                            "error": float(np.hypot(r["test"].get("bkg_corr_err", 0),
                                                    by[base]["test"].get("bkg_corr_err", 0)))})
                d = _paired(r, by[base], "significance")
                if d:
                    out.append({"a": r["key"], "b": base, "metric": "significance", "difference": d[0],
                                "error": d[1]})
    return out
