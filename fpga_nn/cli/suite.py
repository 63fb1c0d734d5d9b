"""fpga-nn suite: the reference classifier table of seed 004 (Random, BDT, XGBoost, FNN, DFNN, ETN)."""

from __future__ import annotations

from pathlib import Path

import click

from ..hardware.parts import DEFAULT_PART
from ..training.backend import BACKENDS


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Suite YAML (default: the packaged fpga_nn/studies/suite/suite.yaml).",
)
@click.option("--quick", is_flag=True, help="The config's quick: section (a minutes-long run of every path).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/suite"),
    show_default=True,
    help="Output folder: results.json/.md, plots, rows/ (finished rows are reused).",
)
@click.option("--fresh", is_flag=True, help="Retrain every row even if a finished one matches the settings.")
@click.option("--part", default=DEFAULT_PART, show_default=True, help="FPGA part of the firmware rows.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Event-generation processes (default: all cores)."
)
@click.option(
    "--samples-only",
    is_flag=True,
    help="Generate (or load) the samples and write OUT/samples.json and pt_llg.png only: cross sections, "
    "MC statistics in the window, the background models' pT(llg).",
)
@click.option(
    "--backend",
    "keras_backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Keras 3 backend of the float rows (default: KERAS_BACKEND, else tensorflow); the QKeras rows "
    "run on TensorFlow.",
)
def suite(config_path, quick, out, fresh, part, workers, samples_only, keras_backend):
    """Train and evaluate the reference suite; write OUT/results.json, results.md and plots."""
    from ..hardware.parts import parse_part
    from ..training import backend

    backend.use(keras_backend)  # before anything loads Keras 3
    from ..studies.suite.run import load_config, run_suite

    parse_part(part)
    cfg = load_config(config_path, quick)
    results = run_suite(cfg, out, part=part, fresh=fresh, workers=workers, samples_only=samples_only)
    if samples_only:
        info = results["dataset"]
        per_mc = info["background_weight_per_mc_event_in_window"]
        click.echo(
            f"window: {info['expected_in_window_test']['signal']:.1f} signal, "
            f"{info['expected_in_window_test']['background']:.0f} background expected (test split, "
            f"{info['lumi_fb']} fb^-1) from {info['background_mc_in_window_test']:,} background MC events: "
            f"{per_mc['mean']:.3g} expected events per MC event on average, {per_mc['max']:.3g} at most; "
            f"{per_mc['mean_pt_over_m_above_0.3']:.3g} on average in the signal-like corner pT(llg)/m > 0.3 "
            f"({per_mc['mc_events_pt_over_m_above_0.3']:,} MC events)"
        )
        for label, frac in results["pt_llg_above_40_gev"].items():
            click.echo(f"pT(llg) > 40 GeV: {100 * frac:.1f} % of {label}")
        click.echo(f"record: {out / 'samples.json'}")
        return
    for r in results["rows"]:
        t = r["test"]
        made = r.get("made_on") or {}
        where = f"[{made.get('keras_backend') or 'trees'}, {made.get('device', 'CPU')}]"
        click.echo(
            f"{r['label']:<32} {where} significance {t['significance']:.3f} ± {t.get('significance_err', 0):.3f}  "
            f"AUC {100 * t['auc']:.1f}%  bkg corr {1e3 * t['bkg_corr']:.2f}e-3"
        )
        if r.get("tree_firmware"):
            c = r["firmware_check"]
            hw = ""
            if c.get("latency"):
                hw += f"; {c['latency']['cycles_max']} cycles"
            if c.get("resources"):
                hw += f", {c['resources']['lut']:,} LUT"
            click.echo(
                f"{'  firmware (conifer C-sim)':<32} significance {r['firmware_test']['significance']:.3f}  "
                f"csim vs tree emulator: {c['mismatches']} mismatches / {c['events']} events{hw}"
            )
        if r["firmware"]:
            c = r["firmware_check"]
            click.echo(
                f"{'  firmware (C-simulation)':<32} significance {r['firmware_test']['significance']:.3f}  "
                f"csim vs QKeras: {c['mismatches']} mismatches / {c['events']} events"
            )
    click.echo(f"table: {out / 'results.md'}")
