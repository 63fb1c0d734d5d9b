"""``fpga-nn tracking``: the T5 track-candidate DNN (seed 001) to firmware and C++, with its working point."""

from __future__ import annotations

from .. import Study


def _run(quick, out, part, fresh, workers, rtl=False) -> dict:
    from .run import QUICK, TrackingTaskConfig, run_tracking

    return run_tracking(QUICK if quick else TrackingTaskConfig(), out, part, fresh, workers, rtl)


def _summary(res: dict, out) -> list[str]:
    bkg = 100 * res["config"]["background_efficiency"]
    lines = []
    for name, row in res["models"].items():
        wp = row["working_point"]
        lines.append(
            f"{name:<16} AUC {row['auc']:.4f}  signal efficiency {wp['signal_efficiency']:.4f} "
            f"at {100 * wp['background_efficiency']:.2f} % background (target {bkg:.0f} %)"
        )
    fw = res["firmware"]
    lines.append(
        f"firmware: {fw['logit_mismatches']} logit mismatches / {fw['events']} candidates, input stage "
        f"{fw['input_stage']['mismatches']} mismatches, C++ from raw values "
        f"{fw['cpp']['mismatches_vs_csim']} mismatches"
    )
    return [*lines, f"table: {out / 'results.md'}"]


STUDY = Study(
    name="tracking",
    help="Generate T5 candidates, train the 23-32-32-1 network on its declared preprocessing, build the "
    "firmware (input stage + network + sigmoid) and the C++ header from raw values, both checked.",
    default_out="results/tracking",
    quick_help="A minutes-long run: 300 events, 3 epochs, 4,000 C-simulated candidates.",
    run=_run,
    summary=_summary,
    flags=(
        (
            "rtl",
            "Also build the logits (no sigmoid) with the open-source RTL figures: alkaid Verilog, Verilator "
            "latency and bit-exactness, Yosys LUT/FF/DSP (minutes).",
        ),
    ),
)
