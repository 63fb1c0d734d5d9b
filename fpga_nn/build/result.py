"""What a build produced, in memory: the CLI prints ``BuildResult.summary()`` instead of re-reading files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASKS = ("trigger", "cnn", "model", "scan", "llp", "events", "tracking", "suite", "trigger-rate")


@dataclass(frozen=True)
class BuildResult:
    """One verified project: ``check`` is its csim_check.json record, ``metrics`` its metrics.json,
    ``report`` its report.json (None when the build stopped before the report), ``checked`` the arrays
    it checked (a :class:`~.firmware.CsimResult`), ``failure`` what failed in a non-strict build."""

    task: str
    project: Path
    check: dict
    metrics: dict = field(default_factory=dict)
    report: dict | None = None
    checked: Any = field(default=None, repr=False, compare=False)
    failure: str | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"unknown build task {self.task!r}: one of {', '.join(TASKS)}")

    def summary(self) -> list[str]:
        from ..reports.report import summary_lines

        lines = [f"project: {self.project}", *_check_lines(self.check)]
        lines += summary_lines(self.report or {})
        lines += _metric_lines(self.task, self.metrics)
        return lines


def _check_lines(check: dict) -> list[str]:
    head = check.get("softmax")
    if head:
        agree = (
            f", argmax agreement {head['argmax_agreement_percent']:.2f} %" if "argmax_agreement_percent" in head else ""
        )
        lines = [
            f"csim check: {check['mismatches']} mismatches / {check['events']} events up to the "
            f"{head['function']} (bit-exact against QKeras at {check['checked']})",
            f"{head['function']} '{head['layer']}' (hls4ml table): equal to the emulator on "
            f"{check['events'] - head['emulator_mismatches']} of {check['events']} events; vs float "
            f"{head['function']}: max |diff| {head['max_abs_diff_vs_float']:.4g}{agree}",
        ]
        if "argmax_vs_logits_percent" in head:
            lines.append(
                f"{head['function']} argmax names the logits' top class on {head['argmax_vs_logits_percent']:.2f} % "
                f"of events ({head['tied_events']} tied at the top; gate {head['min_argmax_agreement_percent']:g} %)"
            )
    elif check.get("float_agreement"):
        a = check["float_agreement"]
        flips = "; ".join(f"{r['flipped']} ({r['percent']:.2f} %) at {r['decision']}" for r in a["working_points"])
        lines = [
            f"csim check: {check['mismatches']} mismatches / {check['events']} events (bit-exact against "
            f"{check['reference']}, output {check['output_type']})",
            f"float model vs firmware: max |diff| {a['max_abs_diff']:.4g}, mean {a['mean_abs_diff']:.3g}; decisions "
            f"flipped: {flips} (--max-flip {a['max_flip_percent']:g} %"
            + ("; plots/precision_profile.png)" if "tree_types" not in check else ")"),
        ]
    elif check.get("qkeras_float32"):
        q = check["qkeras_float32"]
        lines = [
            f"csim check: {check['mismatches']} mismatches / {check['events']} events (bit-exact against "
            f"{check['reference']}; output {check['output_type']})",
            f"QKeras (float32) differs from the firmware on {q['mismatches']} events (max {q['max_abs_diff_lsb']} "
            "LSB): its rounded sums, not the firmware (vectors/qkeras_float32.npy)",
        ]
    else:
        lines = [
            f"csim check: {check['mismatches']} mismatches / {check['events']} events "
            f"(bit-exact against the offline quantized model, output {check['output_type']})"
        ]
    cast = check.get("input_cast") or {}
    if cast.get("changed_values"):
        lines.append(
            f"input cast: {cast['type']} changed {cast['changed_values']} input values in "
            f"{cast['changed_events']} events (max |change| {cast['max_abs_change']:.4g}); the reference "
            "saw the cast values, as the firmware does (vectors/inputs.npy)"
        )
    return lines


def _metric_lines(task: str, m: dict) -> list[str]:
    if task == "cnn":
        e = m["emulator_whole_test_set"]
        return [
            f"AUC QKeras {m['quantized']['auc']:.4f}, firmware (csim, {m['csim']['images']} images) "
            f"{m['csim']['auc']:.4f}; emulator == QKeras on {e['images'] - e['mismatches_vs_qkeras']} "
            f"of {e['images']} test images"
        ]
    if task == "scan":
        wp = m["csim"]["scan_working_point"]
        return [
            f"scan point {m['scan']['point']}: firmware AUC {m['csim']['auc']:.4f}, signal efficiency "
            f"{wp['signal_efficiency']:.4f} at background efficiency <= {wp['target_background_efficiency']:.4g} "
            f"(the scan's {m.get('scan_scores_from', 'emulator')} gave {m['scan_efficiency']:.4f})"
        ]
    if task == "llp":
        per = m["classes"]
        return [
            f"accuracy (argmax) {m['accuracy']:.4f} ± {m['accuracy_err']:.4f} on {m['jets']} test jets; "
            + ", ".join(f"{c} efficiency {v['efficiency_at_rate']:.3f}" for c, v in per.items())
            + f" where {m['rate']:.0%} of the other classes' jets pass"
        ]
    if task == "trigger":
        wp = {w["target_background_efficiency"]: w["signal_efficiency"] for w in m["csim"]["working_points"]}
        return [
            f"AUC float {m['float']['auc']:.4f}, quantized {m['quantized']['auc']:.4f}, "
            f"firmware {m['csim']['auc']:.4f}; signal efficiency {wp[0.01]:.3f} at 1% and "
            f"{wp[0.10]:.3f} at 10% background"
        ]
    return []
