"""fpga-nn compare: the same events' inputs from two sources, feature by feature (and through a model)."""

from __future__ import annotations

from pathlib import Path

import click


def _floats(text: str | None) -> list[float] | None:
    return None if text is None else [float(v) for v in text.split(",")]


@click.command()
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--names", default=None, help="Comma-separated feature names for .npy files (one per column).")
@click.option("--rtol", type=float, default=1e-6, show_default=True, help="Relative tolerance per value.")
@click.option("--atol", type=float, default=0.0, show_default=True, help="Absolute tolerance per value.")
@click.option(
    "--max-fraction",
    type=float,
    default=0.0,
    show_default=True,
    help="Largest fraction of events allowed to differ in any feature before the exit status is 5.",
)
@click.option(
    "--model", "model_path", type=click.Path(path_type=Path), default=None, help="A Keras/QKeras model (.h5)."
)
@click.option(
    "--labels", "labels_path", type=click.Path(path_type=Path), default=None, help="Truth labels (.npy, 0/1)."
)
@click.option(
    "--working-point",
    type=float,
    default=0.44,
    show_default=True,
    help="Background efficiency on A that fixes the cut (the seed's 44 %).",
)
@click.option("--category", default=None, help="Feature of A whose bins (--bins) split the efficiencies, e.g. pt.")
@click.option("--bins", default=None, help="Comma-separated bin edges of --category.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("compare"), show_default=True)
def compare(a, b, names, rtol, atol, max_fraction, model_path, labels_path, working_point, category, bins, out):
    """Compare two input files A and B of the same events.

    Exit status: 0 when every feature is within the tolerance, 5 when a feature differs beyond it,
    2 for bad input (a missing or malformed file, a bad option; one line, nothing written)."""

    from ..outdir import results_folder

    with results_folder(out, "compare", inputs=(a, b, model_path, labels_path)):
        _compare(a, b, names, rtol, atol, max_fraction, model_path, labels_path, working_point, category, bins, out)


def _compare(a, b, names, rtol, atol, max_fraction, model_path, labels_path, working_point, category, bins, out):
    from ..errors import UserInputError
    from ..jsonio import write_json
    from ..reports import consistency as cs

    cs.check_options(rtol, atol, max_fraction, working_point)
    name_list = names.split(",") if names else None
    ta, tb = cs.load_table(a, name_list), cs.load_table(b, name_list)
    rows = cs.compare_features(ta, tb, cs.Tolerance(rtol, atol, max_fraction))
    report = {"a": str(a), "b": str(b), "tolerance": {"rtol": rtol, "atol": atol, "max_fraction": max_fraction}}
    report["features"] = rows
    if category and (category not in ta or not bins):
        raise UserInputError(f"--category needs a feature of A (one of {', '.join(ta)}) and --bins e0,e1,...")
    if model_path is not None:
        from ..build.user_model import load_user_model
        from ..data.validate import load_npy

        labels = load_npy(labels_path) if labels_path else None
        scores = cs.compare_scores(load_user_model(model_path), ta, tb, labels, category, _floats(bins), working_point)
        report["model"] = {"path": str(model_path), **scores}
    write_json(out / "compare.json", report, indent=1)
    cs.histograms(ta, tb, rows, out / "features.png")
    for r in rows:
        flag = "ok " if r["ok"] else "DIFF"
        hint = f"  ({r['hint']})" if r["hint"] else ""
        click.echo(
            f"{flag} {r['feature']:<20} {r['differing']:>8} / {r['events']} events differ  max |B-A| "
            f"{r['max_abs_diff']:.4g}  median B/A {r['median_ratio_b_over_a']:.4g}{hint}"
        )
    m = report.get("model")
    if m and "categories" in m:
        click.echo(
            f"model: AUC on A {m['auc_a']:.4f}, on B {m['auc_b']:.4f}; cut at {working_point:.0%} background on A:"
        )
        for c in m["categories"]:
            click.echo(
                f"  {category or 'all'} in [{c['range'][0]:g}, {c['range'][1]:g}): signal efficiency "
                f"A {c['signal_efficiency_a']} -> B {c['signal_efficiency_b']}"
            )
    bad = [r for r in rows if not r["ok"]]
    click.echo(f"report: {out / 'compare.json'}, histograms: {out / 'features.png'}")
    if bad:
        from ..errors import InputsDiffer

        worst = max(bad, key=lambda r: r["fraction"])
        hint = f"; {worst['hint']}" if worst["hint"] else ""
        raise InputsDiffer(
            f"inputs differ: {len(bad)} of {len(rows)} features beyond the tolerance, worst '{worst['feature']}' "
            f"({100 * worst['fraction']:.1f} % of events{hint}): see {out / 'compare.json'}"
        )
