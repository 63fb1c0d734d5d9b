"""``fpga-nn events``: multi-class event images (seed 003) -- large CNN styles, the compact CNN, firmware."""

from __future__ import annotations

from .. import Study


def _run(quick, out, part, fresh, workers) -> dict:
    from .run import QUICK, EventsConfig, run_events

    return run_events(QUICK if quick else EventsConfig(), out, part, fresh, workers)


def _summary(res: dict, out) -> list[str]:
    lines = []
    for name, m in res["models"].items():
        acc = (
            f"accuracy {m['accuracy_mean']:.4f} ± {m['accuracy_sd']:.4f} over {m['seeds']} seeds"
            if "accuracy_mean" in m
            else f"accuracy {m['accuracy']:.4f} ± {m['accuracy_err']:.4f} (one network)"
        )
        lines.append(f"{name:<30} {m['parameters']:>10,} parameters  {acc}")
    lines += [f"compact CNN vs ResNet style: {c['verdict']}" for c in res["compact_vs_resnet"]]
    c = res.get("resnet_best_of_four")
    if c:
        lines.append(f"ResNet best of the {c['statement'].split('of the ')[-1]}: {c['verdict']}")
    return [*lines, f"table: {out / 'results.md'}"]


STUDY = Study(
    name="events",
    help="Generate Drell-Yan / ttbar / W+jets event images, train the CNNs, build the QKeras CNN's firmware.",
    default_out="results/events",
    quick_help="A minutes-long run: few events, two networks, two learning rates, two seeds, 2 epochs (CI).",
    run=_run,
    summary=_summary,
)
