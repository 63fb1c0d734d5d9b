"""``fpga-nn llp``: the LLP tagger's table and plots (float reference, QKeras, both firmware builds)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ... import outdir
from ...atomic import write_text
from ...build import firmware
from ...hardware.parts import DEFAULT_PART
from ...jsonio import write_json
from ...reports import multiclass as mc
from ...training import model_cache
from ..suite.devices import device_info
from . import rate as trigger
from .rate import efficiency_by_depth
from .run import CLASSES, LlpTaskConfig, build_variant, class_probabilities, prepare, trained


def margins(logits: np.ndarray) -> np.ndarray:
    """One-vs-rest discriminants a trigger computes from logits exactly: z_c - max over k != c of z_k
    (positive for the argmax class only)."""
    z = np.asarray(logits, np.float64)
    out = np.empty_like(z)
    for c in range(z.shape[1]):
        out[:, c] = z[:, c] - np.delete(z, c, axis=1).max(axis=1)
    return out


@outdir.writes_results("llp")
def run_llp(
    cfg: LlpTaskConfig,
    out: Path,
    part: str = DEFAULT_PART,
    fresh: bool = False,
    workers: int | None = None,
) -> dict:
    out = Path(out)
    models = model_cache.models_dir(out, fresh)
    t0 = time.perf_counter()
    data = prepare(cfg, workers)
    rate = trigger.rate_sample(cfg, data, workers)
    t_data = time.perf_counter() - t0
    te = data["split"]["test"]
    x, y = data["x"][te], data["y"][te]
    fmodel, finfo = trained("float", cfg, data, models)
    qmodel, qinfo = trained("qkeras", cfg, data, models)
    p_float = fmodel.predict(x, batch_size=4096, verbose=0).astype(np.float64)
    p_q = qmodel.predict(x, batch_size=4096, verbose=0).astype(np.float64)
    base = firmware.BuildOptions(part=part, force=True, rtl=False, min_argmax_agreement=0.0)  # tabulated, not gated
    softmax = build_variant(
        qmodel, data, base.replace(name="llp_softmax", output_dir=out / "firmware" / "softmax")
    ).checked
    logits = build_variant(  # the test jets, then every jet of the rate sample
        qmodel,
        data,
        base.replace(name="llp_logits", output_dir=out / "firmware" / "logits", no_softmax=True),
        also=rate["x"],
    ).checked
    sm_check, lg_check = softmax.summary, logits.summary
    p_sm = class_probabilities(softmax, no_softmax=False)
    all_fw = logits.csim.reshape(len(logits.csim), -1).astype(np.float64)
    all_q = logits.expected.reshape(len(logits.csim), -1).astype(np.float64)  # QKeras up to the softmax
    fw_logits, fw_rate = all_fw[: len(y)], all_fw[len(y) :]
    s = dict(n_boot=cfg.bootstrap, seed=cfg.seed, classes=CLASSES, rate=cfg.rate)
    summaries = {
        "float FNN": mc.summarize(y, p_float, **s),
        "QKeras": mc.summarize(y, p_q, **s),
        "firmware, softmax table": mc.summarize(y, p_sm, **s),
        "firmware, logits (margins)": mc.summarize(y, margins(fw_logits), **s),
    }
    by_depth = efficiency_by_depth(  # what a trigger cuts: the logits' signal margin, exact in fixed point
        data["s_depth"][te],
        y,
        margins(fw_logits)[:, 0],
        summaries["firmware, logits (margins)"]["classes"]["signal"]["threshold"],
    )
    params = {"float FNN": finfo["parameters"], "QKeras": qinfo["parameters"]}
    params["firmware, softmax table"] = params["firmware, logits (margins)"] = qinfo["parameters"]
    checks = {
        "softmax": {
            "logit_mismatches": sm_check["mismatches"],
            "events": sm_check["events"],
            "checked": sm_check.get("checked"),
            "table": sm_check["softmax"],
            "decisions_differing_from_qkeras": int(np.sum(p_sm.argmax(1) != p_q.argmax(1))),
            # the table's resolution: the share of the other classes' jets on the signal output's top code
            "signal_top_code_share_of_others": float(np.mean(p_sm[y != 0, 0] == p_sm[:, 0].max())),
        },
        "logits": {
            "mismatches": lg_check["mismatches"],
            "events": lg_check["events"],
            "output_type": lg_check["output_type"],
            "test_jets": int(len(y)),
            "rate_sample_jets": int(len(rate["x"])),
            "equal_to_qkeras_logits": bool(np.array_equal(all_fw, all_q)),
            "decisions_differing_from_qkeras": int(np.sum(fw_logits.argmax(1) != p_q.argmax(1))),
        },
    }
    scores = _trigger_scores(fmodel, data, rate, fw_logits, fw_rate)
    seeds = _seed_scores(cfg, data, rate, models, scores)
    trigger.plot(scores, len(rate["x"]), out / "trigger.png")
    results = {
        "task": "3-class level-1 jet tagger: LLP signal / multijet / beam-induced background (seed 000)",
        "config": _plain(cfg),
        "dataset": data["info"],
        "data_seconds": round(t_data, 1),
        "device": device_info(keras3=False),
        "training": {"float FNN": _meta(finfo), "QKeras": _meta(qinfo)},
        "parameters": params,
        "models": summaries,
        "signal_efficiency_by_depth": by_depth,
        "firmware": checks,
        "trigger": trigger.trigger_table(scores, seeds, data["s_depth"][te][y == 0], rate, cfg),
    }
    write_json(out / "results.json", results, indent=1)
    write_text(out / "results.md", markdown(results))
    mc.score_histograms(y, p_sm, CLASSES, out / "scores.png", "QKeras tagger firmware (softmax table), test jets")
    mc.loss_curves({"float FNN": finfo["history"], "QKeras": qinfo["history"]}, out / "loss.png")
    mc.confusion_plot(
        {k: summaries[k] for k in ("float FNN", "QKeras", "firmware, logits (margins)")}, CLASSES, out / "confusion.png"
    )
    mc.roc_one_vs_rest(
        y,
        {"float FNN": p_float, "QKeras": p_q, "firmware softmax": p_sm, "firmware logit margins": margins(fw_logits)},
        CLASSES,
        out / "roc.png",
    )
    return results


FIRMWARE, FLOAT = "firmware (QKeras logits), signal margin", "float FNN logits, signal margin"


def _signal_jets(data: dict) -> np.ndarray:
    te = data["split"]["test"]
    return te[data["y"][te] == 0]


def _signal_margins(model, data: dict, rate: dict) -> tuple[np.ndarray, np.ndarray]:
    """A network's signal margin on the test signal jets and on the rate sample (its softmax left off)."""
    from ...build.user_model import without_head

    logits = without_head(model)
    return tuple(
        margins(logits.predict(a, batch_size=65536, verbose=0).astype(np.float64))[:, 0]
        for a in (data["x"][_signal_jets(data)], rate["x"])
    )


def _seed_scores(cfg: LlpTaskConfig, data: dict, rate: dict, models, scores: dict) -> dict:
    """The networks' (signal, background) margins for every training seed, the first seed's (the firmware's
    and the float network's of the table) first; the other seeds' QKeras networks are scored by QKeras."""
    out = {FIRMWARE: [scores[FIRMWARE]], FLOAT: [scores[FLOAT]]}
    for seed in cfg.trigger_seeds[1:]:
        for name, key in (("qkeras", FIRMWARE), ("float", FLOAT)):
            out[key].append(_signal_margins(trained(name, cfg, data, models, seed)[0], data, rate))
    return out


def _trigger_scores(fmodel, data: dict, rate: dict, fw_logits, fw_rate) -> dict:
    """name -> (test signal jets' scores, rate-sample jets' scores) of every discriminant at the trigger."""
    te = data["split"]["test"]
    sig = _signal_jets(data)
    is_sig = data["y"][te] == 0
    raw_sig = {k: v[sig] for k, v in data["raw"].items()}
    va = data["split"]["val"]
    name, sign = trigger.best_single_input({k: v[va] for k, v in data["raw"].items()}, data["y"][va])
    return {
        FIRMWARE: (margins(fw_logits)[is_sig, 0], margins(fw_rate)[:, 0]),
        FLOAT: _signal_margins(fmodel, data, rate),
        "CalRatio: no prompt track, log10(E_had/E_EM) cut": (
            trigger.calratio(raw_sig),
            trigger.calratio(rate["features"]),
        ),
        f"best single input on validation ({name} {'>' if sign > 0 else '<'} cut)": (
            sign * raw_sig[name],
            sign * rate["features"][name],
        ),
    }


def _plain(cfg) -> dict:
    import dataclasses
    import json

    return json.loads(json.dumps(dataclasses.asdict(cfg), default=list))


def _meta(info: dict) -> dict:
    return {k: v for k, v in info.items() if k != "history"}


def markdown(r: dict) -> str:
    d = r["dataset"]
    rate = next(iter(r["models"].values()))["rate"]
    test = d["jets_per_split"]["test"]
    lines = [
        "# 3-class long-lived-particle tagger (seed 000)",
        "",
        f"Level-1 jets from Pythia 8 through the calorimeter/track-trigger toy (docs/llp.md): "
        f"{d['n_generated']['signal']:,} signal, {d['n_generated']['multijet']:,} multijet, "
        f"{d['n_generated']['bib']:,} BIB events generated; test jets: "
        + ", ".join(f"{v:,} {k}" for k, v in test.items())
        + f". {len(d['features'])} inputs ({', '.join(d['features'])}), standardised, on {d['input_type']}.",
        "",
        f"Efficiency of a class: its jets passing a cut on its score where {rate:.0%} of the other classes' "
        "test jets pass. Accuracy: argmax, ± Poisson bootstrap.",
        "",
        "| model | parameters | accuracy | AUC " + " / ".join(CLASSES) + " | efficiency " + " / ".join(CLASSES) + " |",
        "|---|---|---|---|---|",
    ]
    for name, s in r["models"].items():
        c = s["classes"]
        lines.append(
            f"| {name} | {r['parameters'][name]:,} | {s['accuracy']:.4f} ± {s['accuracy_err']:.4f} | "
            + " / ".join(f"{c[k]['auc_one_vs_rest']:.4f}" for k in CLASSES)
            + " | "
            + " / ".join(f"{c[k]['efficiency_at_rate']:.3f}" for k in CLASSES)
            + " |"
        )
    sm, lg = r["firmware"]["softmax"], r["firmware"]["logits"]
    t = sm["table"]
    rows = r["signal_efficiency_by_depth"]
    share = sm.get("signal_top_code_share_of_others")
    if share is not None and share > rate:
        lines += [
            "",
            f"The softmax table's signal output holds its top code for {share:.2%} of the other classes' test jets: "
            f"no cut on it passes only {rate:.0%} of them (its efficiency 0); a trigger cuts the logits' margins.",
        ]
    lines += [
        "",
        f"Jets split {d['split']}. Firmware signal efficiency at its cut on the logits' signal margin, by where "
        "the s decayed (the decay depth as a barrel radius, depth x 1,290 mm; binomial errors):",
        "",
        "| decay radius (mm) | " + " | ".join(f"{a:.0f}-{b:.0f}" for a, b in (row["radius_mm"] for row in rows)) + " |",
        "|---|" + "---|" * len(rows),
        "| signal jets | " + " | ".join(str(row["jets"]) for row in rows) + " |",
        "| efficiency | "
        + " | ".join(
            "-" if row["efficiency"] is None else f"{row['efficiency']:.3f} ± {row['error']:.3f}" for row in rows
        )
        + " |",
    ]
    lines += [
        "",
        *trigger.markdown(r["trigger"]),
        "",
        "## Firmware (hls4ml C-simulation on every test jet)",
        "",
        f"- With the softmax: {sm['logit_mismatches']} mismatches / {sm['events']} jets at {sm['checked']}; "
        f"the table softmax equals the emulator on {sm['events'] - (t['emulator_mismatches'] or 0)} of "
        f"{sm['events']}; against the float softmax max |diff| {t['max_abs_diff_vs_float']:.4g}, mean "
        f"{t['mean_abs_diff_vs_float']:.3g}; argmax differs from QKeras on {sm['decisions_differing_from_qkeras']} "
        "jets (where the table's rounding reorders near-equal probabilities).",
        f"- Without it (`--no-softmax`, logits {lg['output_type']}): {lg['mismatches']} mismatches / "
        f"{lg['events']:,} jets ({lg['test_jets']:,} test jets and {lg['rate_sample_jets']:,} of the rate sample), "
        "end to end; argmax differs from QKeras on "
        f"{lg['decisions_differing_from_qkeras']} jets. Per-class cuts use the margins z_c - max(z_k, k != c), "
        "exact in fixed point.",
        "",
        "Each stored feature alone (max(AUC, 1 - AUC) per pair of classes; ET is stored but not an input):",
        "",
        "| feature | " + " | ".join(next(iter(d["single_feature_auc"].values()))) + " |",
        "|---|" + "---|" * len(next(iter(d["single_feature_auc"].values()))),
        *(
            f"| {name} | " + " | ".join(f"{v:.3f}" for v in pairs.values()) + " |"
            for name, pairs in d["single_feature_auc"].items()
        ),
        "",
        "Confusion matrices (rows: true class, columns: argmax; counts):",
        "",
    ]
    for name, s in r["models"].items():
        lines.append(
            f"- {name}: "
            + "; ".join(f"{CLASSES[i]} -> " + ", ".join(str(v) for v in row) for i, row in enumerate(s["confusion"]))
        )
    tr = r["training"]
    lines += [
        "",
        f"Training: float best epoch {tr['float FNN']['best_epoch']} ({tr['float FNN']['train_seconds']} s), "
        f"QKeras best epoch {tr['QKeras']['best_epoch']} ({tr['QKeras']['train_seconds']} s) on "
        f"{', '.join(r['device']['gpu']) or 'CPU'}.",
        "",
        "Plots: `scores.png` (per-class scores by true class), `loss.png`, `confusion.png`, `roc.png`, "
        "`trigger.png` (signal efficiency against the multijet mistag, every discriminant).",
        "",
    ]
    return "\n".join(lines)
