"""``fpga-nn tracking``: the T5 track-candidate DNN (seed 001) from raw features to firmware and C++.

One command: T5 candidates (:mod:`fpga_nn.data.tracking`), the 23-32-32-1 network trained
quantization-aware on the inputs its declared preprocessing makes (:data:`tracking.PREPROCESSING`,
the same tables the firmware's input stage and the C++ header hold), a float twin for reference, the
firmware built from raw values (input stage + network + sigmoid, C-simulated on every test
candidate), the C++17 header checked from the raw values, and the ROC with the seed's working point
(signal efficiency at 44 % background efficiency) in ``results.json`` / ``results.md`` / ``roc.png``.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

import numpy as np

from ... import outdir
from ...atomic import write_text
from ...build import firmware
from ...build.core import run_build
from ...data import dataset, h5cache, tracking
from ...jsonio import write_json
from ...reports.paired import paired_auc, words
from ...training import model_cache
from . import table

log = logging.getLogger(__name__)
PT_BINS = (0.8, 1.0, 2.0, 5.0, 10.0, 1e4)


@dataclasses.dataclass(frozen=True)
class TrackingTaskConfig:
    data: tracking.TrackingConfig = tracking.TrackingConfig(n_events=2_000, chunk_size=250)
    hidden: tuple[int, ...] = (32, 32)
    weight_bits: int = 10  # quantized_bits(10, 2): weights in [-4, 4) by 2^-7
    activation_bits: int = 10  # quantized_relu(10, 4): hidden values in [0, 16) by 2^-6
    epochs: int = 150
    patience: int = 15
    batch_size: int = 512
    learning_rate: float = 3e-3
    seed: int = 7  # the split's; the first training seed is the firmware's
    seeds: tuple[int, ...] = (7, 8, 9, 10, 11)  # training seeds of every network
    bootstrap: int = 100  # test-set resamples of the paired network-minus-chi^2 difference
    background_efficiency: float = 0.44  # the seed's working point
    max_firmware_events: int | None = None  # test candidates C-simulated (None: all)


QUICK = TrackingTaskConfig(
    data=tracking.TrackingConfig(n_events=300, chunk_size=150),
    epochs=3,
    patience=100,
    max_firmware_events=4_000,
    seeds=(7, 8),
    bootstrap=5,
)


def prepare(cfg: TrackingTaskConfig, workers: int | None = None) -> dict:
    """Raw features, network inputs through the declared preprocessing, labels, a seeded 60/15/25 split of
    the events (every candidate of an event, true or fake, on one side: near-duplicates do not straddle)."""
    from .seeds import chi2_inputs

    path = tracking.cached(cfg.data, dataset.cache_dir("tracking") / f"t5-{cfg.data.fingerprint()}.h5", workers)
    d = tracking.load(path)
    y = d["label"].astype(np.float32)
    events = np.unique(d["event"])
    perm = np.random.default_rng(cfg.seed).permutation(events)
    a, b = int(0.6 * len(events)), int(0.75 * len(events))
    side = {"train": perm[:a], "val": perm[a:b], "test": perm[b:]}
    split = {k: np.flatnonzero(np.isin(d["event"], v)) for k, v in side.items()}
    x = tracking.PREPROCESSING(d["raw"])
    info = {
        "path": h5cache.portable(path),
        "fingerprint": d["fingerprint"],
        "n_generated": d["n_generated"],
        "candidates": {k: {"true": int(y[v].sum()), "fake": int(len(v) - y[v].sum())} for k, v in split.items()},
        "fake_kinds": {k: int(np.sum(d["fake_kind"] == i)) for i, k in enumerate(tracking.FAKE_KINDS)},
        "split": "by event: " + ", ".join(f"{k} {len(v)}" for k, v in side.items()) + " events",
        "features": list(tracking.FEATURES),
    }
    return {"raw": d["raw"], "x": x, "x_chi2": chi2_inputs(x, d["raw"]), "y": y, "pt": d["particle_pt"],
            "kind": d["fake_kind"], "event": d["event"], "split": split, "info": info}  # fmt: skip


def working_point(y: np.ndarray, score: np.ndarray, background_efficiency: float) -> dict:
    """The loosest cut ``score > cut`` passing at most ``background_efficiency`` of the background.

    ``cut`` is one of the scores (exactly representable in the scores' own type), so the rule
    reads the same on float32 and float64 copies of them; ties at the cut fail together."""
    s_bkg = np.sort(np.asarray(score, np.float64)[y == 0])[::-1]
    k = int(np.floor(background_efficiency * len(s_bkg)))  # backgrounds allowed to pass
    cut = s_bkg[k] if k < len(s_bkg) else -np.inf
    passed = np.asarray(score, np.float64) > cut
    return {
        "cut": float(cut),
        "rule": "pass: score > cut",
        "signal_efficiency": float(passed[y == 1].mean()),
        "background_efficiency": float(passed[y == 0].mean()),
    }


def _train(model, data: dict, cfg: TrackingTaskConfig, label: str, seed: int, inputs: str) -> dict:
    from ...training.train import TrainConfig, train_classifier

    s, x, y = data["split"], data[inputs], data["y"]
    tc = TrainConfig(cfg.epochs, cfg.batch_size, cfg.learning_rate, cfg.patience, seed)
    res = train_classifier(model, x[s["train"]], y[s["train"]], x[s["val"]], y[s["val"]], tc)
    log.info("%s: best epoch %d of %d, %.1f s", label, res.best_epoch, res.epochs_run, res.seconds)
    return {"history": res.history, "best_epoch": res.best_epoch, "train_seconds": round(res.seconds, 1)}


def inputs_of(name: str) -> str:
    """The key in ``prepare``'s data of the inputs network ``name`` reads."""
    return "x_chi2" if name == "float+chi2" else "x"


def trained(name: str, cfg: TrackingTaskConfig, data: dict, models_dir: Path | None, seed: int | None = None):
    """'float', 'qkeras' or 'float+chi2' (the float network given the chi^2 residuals too) logit network
    (23-32-32-1; 30 inputs for 'float+chi2') trained with ``seed`` (the first of ``cfg.seeds``), or reused."""
    seed = cfg.seeds[0] if seed is None else seed
    inputs = inputs_of(name)
    from ...training.model_cache import cached_model

    def make():
        import tensorflow as tf

        from ...models.trigger import trigger_mlp
        from ...training.train import set_seeds

        set_seeds(seed)
        n_in = data[inputs].shape[1]
        if name != "qkeras":
            x_in = tf.keras.Input((n_in,), name="inputs")
            h = x_in
            for k, width in enumerate(cfg.hidden):
                h = tf.keras.layers.Dense(width, activation="relu", name=f"hidden{k + 1}")(h)
            model = tf.keras.Model(x_in, tf.keras.layers.Dense(1, name="output")(h), name="t5_float")
        else:
            model = trigger_mlp(
                n_in,
                cfg.hidden,
                weight_bits=cfg.weight_bits,
                weight_integer=2,
                activation_bits=cfg.activation_bits,
                activation_integer=4,
                output_bits=12,
                output_integer=5,
                name="t5",
            )
        return model, _train(model, data, cfg, name, seed, inputs)

    settings = {
        "cfg": dataclasses.asdict(dataclasses.replace(cfg, seeds=(), bootstrap=0)),
        "seed": seed,
        "model": name,
        "data": data["info"]["fingerprint"],
        "preprocessing": tracking.PREPROCESSING.to_dict(),  # the inputs it is trained on
    }
    return cached_model(models_dir, f"{name}-seed{seed}", settings, make)


def with_sigmoid(logit_model):
    """The seed's network ends in a sigmoid: the trained logits with a sigmoid layer after them."""
    import tensorflow as tf

    out = tf.keras.layers.Activation("sigmoid", name="sigmoid")(logit_model.output)
    return tf.keras.Model(logit_model.input, out, name=logit_model.name)


def build_firmware(qmodel, data: dict, cfg: TrackingTaskConfig, options: firmware.BuildOptions, sigmoid: bool = True):
    """The network (with its sigmoid, or its logits) behind the declared input stage, from raw test
    values; returns (checked, report)."""
    te = data["split"]["test"][: cfg.max_firmware_events]
    model = with_sigmoid(qmodel) if sigmoid else qmodel
    pre = tracking.PREPROCESSING
    built = run_build("tracking", model, data["raw"][te], pre.input_type, options, pre=pre, labels=data["y"][te])
    return built.checked, built.report


def bus_values(raw: np.ndarray, drop_bits: int = 0) -> np.ndarray:
    """The raw features as the declared buses carry them (bin centres), with ``drop_bits`` fewer bits."""
    out = np.array(raw, dtype=np.float64)
    for i, f in enumerate(tracking.PREPROCESSING.features):
        bus = dataclasses.replace(f, bits=f.bits - drop_bits, lsb=f.lsb * 2.0**drop_bits)
        out[:, i] = bus.decode(bus.encode(out[:, i])) + bus.lsb / 2
    return out


def chi2_scores(raw: np.ndarray) -> dict[str, np.ndarray]:
    """The seed's cut-based reference, a track-fit chi^2 (:func:`tracking.chi2`, lower passes), on the raw
    values, on the values the firmware's buses carry, and on buses two bits narrower (why they are 12-bit)."""
    return {
        "raw values": -tracking.chi2(raw),
        f"{tracking.BUS_BITS}-bit bus values": -tracking.chi2(bus_values(raw)),
        f"{tracking.BUS_BITS - 2}-bit bus values": -tracking.chi2(bus_values(raw, 2)),
    }


def chi2_baseline(raw: np.ndarray, y: np.ndarray, kind: np.ndarray, background_efficiency: float) -> dict:
    """:func:`chi2_scores` at the working point, the tight points and per fake kind (:func:`seeds.row`)."""
    from .seeds import row

    return {n: row(y, kind, s, background_efficiency, working_point) for n, s in chi2_scores(raw).items()}


def seed_study(cfg: TrackingTaskConfig, data: dict, models: Path | None, te: np.ndarray) -> dict:
    """Every network over ``cfg.seeds`` on the test candidates: per-seed rows, seed summaries, and each
    network's AUC minus the chi^2's (raw and 12-bit bus values), seed and test errors combined."""
    from . import seeds

    y, kind = data["y"][te], data["kind"][te]
    nets: dict[str, list[np.ndarray]] = {"float": [], "QKeras": [], "float+chi2": []}
    for seed in cfg.seeds:
        for label, name in (("float", "float"), ("QKeras", "qkeras"), ("float+chi2", "float+chi2")):
            model = trained(name, cfg, data, models, seed)[0]
            x = data[inputs_of(name)][te]
            nets[label].append(model.predict(x, batch_size=8192, verbose=0).ravel().astype(np.float64))
    per_seed = {
        k: [seeds.row(y, kind, s, cfg.background_efficiency, working_point) for s in v] for k, v in nets.items()
    }
    refs = chi2_scores(data["raw"][te])
    paired = {}
    for label, scores in nets.items():
        paired[label] = {}
        for ref in list(refs)[:2]:
            d = paired_auc(y, scores, refs[ref], cfg.bootstrap, cfg.seed)
            paired[label][ref] = d | {"words": words(d)}
    return {
        "seeds": list(cfg.seeds),
        "per_seed": per_seed,
        "summary": {k: seeds.summary(v) for k, v in per_seed.items()},
        "auc_minus_chi2": paired,
    }


SLIP = ("curv_inner", "curv_bridge", "curv_outer")  # the inference side computes its radii in mm


def slip_study(project: Path, raw: np.ndarray, y: np.ndarray, cut: float) -> dict:
    """The seed's failure, replayed: the inference side's curvatures come from radii in mm (1/R ten times
    smaller). `fpga-nn compare`'s check names the features; the firmware (emulated, bit-exact) then
    passes what fraction of each class at the cut chosen on the training side."""
    from ...reports.consistency import Tolerance, compare_features
    from ...verify.emulator import Emulator

    slipped = raw.copy()
    cols = [tracking.FEATURES.index(n) for n in SLIP]
    slipped[:, cols] *= 0.1
    rows = compare_features(
        dict(zip(tracking.FEATURES, raw.T, strict=True)),
        dict(zip(tracking.FEATURES, slipped.T, strict=True)),
        Tolerance(),
    )
    emu, pre = Emulator(project), tracking.PREPROCESSING
    passed = {}
    for side, values in (("training side", raw), ("inference side", slipped)):
        s = emu.predict(pre(values)).ravel()
        passed[side] = {
            "signal_efficiency": float(np.mean(s[y == 1] > cut)),
            "background_efficiency": float(np.mean(s[y == 0] > cut)),
        }
    return {
        "slip": "curvatures from radii in mm on the inference side (x 0.1)",
        "flagged": [
            {"feature": r["feature"], "fraction": r["fraction"], "hint": r["hint"]} for r in rows if not r["ok"]
        ],
        "at_training_cut": passed,
    }


def efficiency_by_pt(y, score, pt, cut: float) -> list[dict]:
    rows = []
    for lo, hi in zip(PT_BINS, PT_BINS[1:], strict=False):
        m = (y == 1) & (pt >= lo) & (pt < hi)
        rows.append(
            {
                "pt_min": lo,
                "pt_max": hi,
                "true": int(m.sum()),
                "efficiency": float(np.mean(score[m] > cut)) if m.any() else None,
            }
        )
    return rows


@outdir.writes_results("tracking")
def run_tracking(
    cfg: TrackingTaskConfig, out: Path, part: str, fresh: bool = False, workers: int | None = None, rtl: bool = False
) -> dict:
    from ...reports import metrics, plots

    out = Path(out)
    models = model_cache.models_dir(out, fresh)
    t0 = time.perf_counter()
    data = prepare(cfg, workers)
    fmodel, finfo = trained("float", cfg, data, models)
    qmodel, qinfo = trained("qkeras", cfg, data, models)
    options = firmware.BuildOptions(part=part, name="t5", output_dir=out / "firmware", force=True, rtl=False, cpp=True)
    checked, report = build_firmware(qmodel, data, cfg, options)
    logits_report = None
    if rtl:  # alkaid traces no sigmoid: the RTL figures describe the logits build (a cut on them is the same cut)
        opts = options.replace(name="t5_logits", output_dir=out / "firmware_logits", rtl=True, cpp=False)
        logits_report = build_firmware(qmodel, data, cfg, opts, sigmoid=False)[1]

    te = data["split"]["test"][: cfg.max_firmware_events]
    y, pt = data["y"][te], data["pt"][te]
    scores = {
        "float": 1
        / (1 + np.exp(-fmodel.predict(data["x"][te], batch_size=8192, verbose=0).ravel().astype(np.float64))),
        "QKeras": checked.expected.ravel().astype(np.float64),
        "firmware (csim)": checked.csim.ravel().astype(np.float64),
    }
    rows = {}
    for name, s in scores.items():
        wp = working_point(y, s, cfg.background_efficiency)
        rows[name] = {
            **metrics.summarize(y, s),
            "working_point": wp,
            "by_pt": efficiency_by_pt(y, s, pt, wp["cut"]),
        }
    chi2 = chi2_baseline(data["raw"][te], y, data["kind"][te], cfg.background_efficiency)
    seed_rows = seed_study(cfg, data, models, te)
    slip = slip_study(out / "firmware", data["raw"][te], y, rows["firmware (csim)"]["working_point"]["cut"])
    marks = {
        n: (r["working_point"]["background_efficiency"], r["working_point"]["signal_efficiency"])
        for n, r in rows.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    reference = {f"chi^2 ({tracking.BUS_BITS}-bit bus values)": -tracking.chi2(bus_values(data["raw"][te]))}
    plots.roc_curves(y, scores | reference, out / "roc.png", markers=marks, log_x=False)
    s = checked.summary
    cpp = _json(out / "firmware" / "cpp" / "check.json")
    result = {
        "command": "fpga-nn tracking" + (" --quick" if cfg == QUICK else "") + (" --rtl" if rtl else ""),
        "config": dataclasses.asdict(cfg),
        "part": part,
        "dataset": data["info"],
        "preprocessing": tracking.PREPROCESSING.to_dict(),
        "training": {"float": _brief(finfo), "qkeras": _brief(qinfo)},
        "models": rows,
        "chi2_baseline": chi2,
        "seed_study": seed_rows,
        "slip": slip,
        "firmware": {
            "project": "firmware",  # beside results.json (no machine's folders in results)
            "events": s["events"],
            "logit_mismatches": s["mismatches"],
            "sigmoid_table_vs_emulator": s["softmax"]["emulator_mismatches"],
            "sigmoid_max_abs_diff_vs_float": s["softmax"]["max_abs_diff_vs_float"],
            "input_stage": s["input_stage"],
            "cpp": cpp,
            "report_notes": (report or {}).get("notes", []),
            "logits_build": None
            if logits_report is None
            else {
                "project": "firmware_logits",
                "latency": logits_report.get("latency"),
                "resources": logits_report.get("resources", []),
                "notes": logits_report.get("notes", []),
            },
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json(out / "results.json", result, indent=2)
    write_text(out / "results.md", table.markdown(result))
    return result


def _json(path: Path):
    import json

    return json.loads(path.read_text()) if path.is_file() else None


def _brief(info: dict) -> dict:
    return {k: info[k] for k in ("best_epoch", "train_seconds", "parameters") if k in info}
