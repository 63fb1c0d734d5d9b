"""fpga-nn scan: the Pareto front of physics vs LUTs vs latency over a design space, on Dask."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("config_path", required=False, type=click.Path(path_type=Path))
@click.option("--quick", is_flag=True, help="The config's quick: section (a CI-sized scan).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("results/scan"),
    show_default=True,
    help="Scan folder: results.json, pareto.json, plots, index.html, points/ (finished points are reused).",
)
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler, e.g. tcp://host:8786.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="LocalCluster worker processes (default: all cores)."
)
@click.option("--serial", is_flag=True, help="Run the points one after another in this process (no Dask).")
def scan(config_path, quick, out, scheduler, workers, serial):
    """Train, score and estimate every point of CONFIG (default: the packaged scan.yaml)."""
    from ..errors import UserInputError
    from ..hardware.parts import parse_part
    from ..scan.config import load_config
    from ..scan.report import baseline_line, describe
    from ..scan.run import run_scan

    if workers is not None and workers < 1:
        raise UserInputError(f"--workers {workers}: give at least 1")
    if serial and scheduler:
        raise UserInputError("--serial runs here without Dask: drop --scheduler")
    cfg = load_config(config_path, quick)
    parse_part(cfg.hardware.part)
    from ..scan.point import model_function

    for key, spec in (("grid", cfg.model), ("hgq2", cfg.hgq2 and cfg.hgq2.model)):
        if getattr(cfg, key) is not None and spec != "trigger":
            model_function(spec)  # before any work: an unknown function is one line
    record = run_scan(cfg, out, scheduler=scheduler, workers=workers, serial=serial)
    click.echo(f"{len(record['points'])} points, {len(record['front'])} on the Pareto front:")
    by_id = {r["id"]: r for r in record["points"]}
    for pid in sorted(record["front"], key=lambda i: -by_id[i]["efficiency"]["value"]):
        r = by_id[pid]
        lut = r["lut"]["value"]
        lut_text = f"{lut} LUT [Yosys]" if lut is not None else f"cost {r['cost']['value']:.0f} [alkaid]"
        click.echo(
            f"  {pid}  efficiency {r['efficiency']['value']:.4f}  AUC {r['auc']['value']:.4f}  {lut_text}  "
            f"{r['latency_cycles']['value']} cycles  {describe(r['settings'])} cutoff {r['settings']['latency_cutoff']}"
        )
    if baseline_line(record):
        click.echo(baseline_line(record))
    click.echo(f"page: {out / 'index.html'}")
