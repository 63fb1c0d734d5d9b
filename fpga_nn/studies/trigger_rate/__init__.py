"""``fpga-nn trigger-rate``: the 5-6-1 trigger network on a level-1 stream at 2e34, against cuts at a rate budget.

One folder holds the study: the stream (:mod:`.stream`, Pythia minimum bias, QCD in pTHat bins and
H -> Z gamma with pile-up, stitched into crossings with rate weights), the level-1 objects
(:mod:`.objects`), the inputs and cut baselines (:mod:`.selection`), training and paired comparisons
(:mod:`.run`), the table (:mod:`.table`) and the plots (:mod:`.plots`).
"""

from __future__ import annotations

from .. import Study


def _run(quick, out, part, fresh, workers, embedded=False) -> dict:
    from ...errors import UserInputError
    from .run import EMBEDDED, QUICK, TriggerRateConfig
    from .table import run_trigger_rate

    if quick and embedded:
        raise UserInputError("--quick and --embedded are two different short runs: give one")
    cfg = EMBEDDED if embedded else QUICK if quick else TriggerRateConfig()
    return run_trigger_rate(cfg, out, part, fresh, workers)


def _summary(res: dict, out) -> list[str]:
    lines = [f"rate budget {res['budget_hz'] / 1e3:g} kHz at 2e34 (pile-up {res['stream']['pileup_mu']:.1f}):"]
    for name, row in res["rows"].items():
        lines.append(
            f"{name:<32} {row['rate_hz'] / 1e3:7.2f} ± {row['rate_err_hz'] / 1e3:5.2f} kHz  "
            f"efficiency {row['efficiency']:.3f} ± {row['efficiency_err']:.3f}"
        )
    for name, g in res["gains"].items():
        lines.append(f"gain {name}: {g['gain']:+.3f} ± {g['error']:.3f}")
    if len(res["config"]["seeds"]) == 1:
        lines.append("(one seed per network: the errors are the test crossings' alone; fpga-nn trigger-rate runs 5)")
    fw = res["firmware"]
    lines.append(f"firmware: {fw['mismatches']} mismatches / {fw['events']} test crossings")
    lines += fw["summary"]
    return [*lines, f"table: {out / 'results.md'}"]


STUDY = Study(
    name="trigger-rate",
    help="The 5-6-1 trigger network on a level-1 stream at 2e34 (pile-up, QCD, rates), against cuts, to firmware.",
    default_out="results/trigger_rate",
    quick_help="A minutes-long run: a small stream, 2 seeds, 4 epochs (what CI runs).",
    run=_run,
    summary=_summary,
    flags=(
        (
            "embedded",
            "Run on the embedded stream (the study's, as input codes; no Pythia), one seed, 60 epochs: what make "
            "demo runs, in minutes.",
        ),
    ),
)
