"""fpga-nn llp: the 3-class long-lived-particle tagger's table, plots and firmware (seed 000)."""

from __future__ import annotations

import click

from .options import study_options


@click.command()
@study_options("results/llp", "A minutes-long run: few events, 3 epochs (what CI runs).")
def llp(quick, out, part, fresh, workers):
    """Generate LLP / multijet / BIB jets, train the float and QKeras taggers, build and verify firmware."""
    from ..hardware.parts import parse_part
    from ..studies.llp.run import QUICK, LlpTaskConfig
    from ..studies.llp.table import run_llp

    part = parse_part(part).name
    res = run_llp(QUICK if quick else LlpTaskConfig(), out, part, fresh, workers)
    for name, s in res["models"].items():
        eff = " / ".join(f"{v['efficiency_at_rate']:.3f}" for v in s["classes"].values())
        click.echo(f"{name:<28} accuracy {s['accuracy']:.4f} ± {s['accuracy_err']:.4f}  efficiencies {eff}")
    fw = res["firmware"]
    click.echo(
        f"firmware: logits {fw['softmax']['logit_mismatches']} mismatches / {fw['softmax']['events']} jets (softmax "
        f"build), {fw['logits']['mismatches']} / {fw['logits']['events']} end to end (--no-softmax build)"
    )
    click.echo(f"table: {out / 'results.md'}")
