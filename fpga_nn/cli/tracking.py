"""fpga-nn tracking: the T5 track-candidate DNN (seed 001) to firmware and C++, with its working point."""

from __future__ import annotations

import click

from .options import study_options


@click.command()
@study_options("results/tracking", "A minutes-long run: 300 events, 3 epochs, 4,000 C-simulated candidates.")
@click.option(
    "--rtl",
    is_flag=True,
    help="Also build the logits (no sigmoid) with the open-source RTL figures: alkaid Verilog, Verilator "
    "latency and bit-exactness, Yosys LUT/FF/DSP (minutes).",
)
def tracking(quick, out, part, fresh, workers, rtl):
    """Generate T5 candidates, train the 23-32-32-1 network on its declared preprocessing, build the
    firmware (input stage + network + sigmoid) and the C++ header from raw values, both checked."""
    from ..hardware.parts import parse_part
    from ..studies.tracking.run import QUICK, TrackingTaskConfig, run_tracking

    part = parse_part(part).name
    res = run_tracking(QUICK if quick else TrackingTaskConfig(), out, part, fresh, workers, rtl)
    bkg = 100 * res["config"]["background_efficiency"]
    for name, row in res["models"].items():
        wp = row["working_point"]
        click.echo(
            f"{name:<16} AUC {row['auc']:.4f}  signal efficiency {wp['signal_efficiency']:.4f} "
            f"at {100 * wp['background_efficiency']:.2f} % background (target {bkg:.0f} %)"
        )
    fw = res["firmware"]
    click.echo(
        f"firmware: {fw['logit_mismatches']} logit mismatches / {fw['events']} candidates, input stage "
        f"{fw['input_stage']['mismatches']} mismatches, C++ from raw values "
        f"{fw['cpp']['mismatches_vs_csim']} mismatches"
    )
    click.echo(f"table: {out / 'results.md'}")
