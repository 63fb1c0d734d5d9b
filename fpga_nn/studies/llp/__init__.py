"""``fpga-nn llp``: the 3-class long-lived-particle tagger's table, plots and firmware (seed 000)."""

from __future__ import annotations

from .. import Study


def _run(quick, out, part, fresh, workers) -> dict:
    from .run import QUICK, LlpTaskConfig
    from .table import run_llp

    return run_llp(QUICK if quick else LlpTaskConfig(), out, part, fresh, workers)


def _summary(res: dict, out) -> list[str]:
    lines = []
    for name, s in res["models"].items():
        eff = " / ".join(f"{v['efficiency_at_rate']:.3f}" for v in s["classes"].values())
        lines.append(f"{name:<28} accuracy {s['accuracy']:.4f} ± {s['accuracy_err']:.4f}  efficiencies {eff}")
    fw = res["firmware"]
    lines.append(
        f"firmware: logits {fw['softmax']['logit_mismatches']} mismatches / {fw['softmax']['events']} jets (softmax "
        f"build), {fw['logits']['mismatches']} / {fw['logits']['events']} end to end (--no-softmax build)"
    )
    return [*lines, f"table: {out / 'results.md'}"]


STUDY = Study(
    name="llp",
    help="Generate LLP / multijet / BIB jets, train the float and QKeras taggers, build and verify firmware.",
    default_out="results/llp",
    quick_help="A minutes-long run: few events, 3 epochs (what CI runs).",
    run=_run,
    summary=_summary,
)
