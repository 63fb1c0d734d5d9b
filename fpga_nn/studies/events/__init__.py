"""``fpga-nn events``: multi-class event images (seed 003) -- large CNN styles, the compact CNN, firmware."""

from __future__ import annotations

from .. import Study


def _run(quick, out, part, fresh, workers) -> dict:
    from .run import QUICK, EventsConfig, run_events

    return run_events(QUICK if quick else EventsConfig(), out, part, fresh, workers)


def _summary(res: dict, out) -> list[str]:
    lines = [
        f"{name:<30} {m['parameters']:>10,} parameters  accuracy {m['accuracy']:.4f} ± {m['accuracy_err']:.4f}"
        for name, m in res["models"].items()
    ]
    c = res.get("resnet_best_of_four")
    if c:
        lines.append(f"ResNet best of the four large styles: {c['verdict']}")
    return [*lines, f"table: {out / 'results.md'}"]


STUDY = Study(
    name="events",
    help="Generate Drell-Yan / ttbar / W+jets event images, train the CNNs, build the QKeras CNN's firmware.",
    default_out="results/events",
    quick_help="A minutes-long run: few events, 2 epochs, three networks (CI).",
    run=_run,
    summary=_summary,
)
