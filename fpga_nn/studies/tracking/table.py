"""``fpga-nn tracking``: the study's table (results.md) from its results record."""

from __future__ import annotations


def markdown(r: dict) -> str:
    fw, ds = r["firmware"], r["dataset"]
    stage = fw["input_stage"]
    kinds = [f["kind"] for f in stage["features"].values()]
    bkg = 100 * r["config"]["background_efficiency"]
    lines = [
        "# T5 track-candidate DNN (seed 001): from raw features to firmware and C++",
        "",
        f"Regenerate: `{r['command']}` (docs/tracking.md). Test candidates: {ds['candidates']['test']['true']} true, "
        f"{ds['candidates']['test']['fake']} fake (all splits: {ds['candidates']}; fakes by kind {ds['fake_kinds']}; "
        f"split {ds['split']}).",
        "",
        f"Working point: the cut passing {bkg:.0f} % of the fake candidates (the seed's), on each model's own "
        "test scores. The chi^2 rows are the cut-based reference (a track fit of the hits).",
        "",
        "| model | AUC | signal eff. at WP | background eff. at WP | signal eff. at 1 % / 10 % background |",
        "|---|---|---|---|---|",
    ]
    for name, row in r["models"].items():
        wp = row["working_point"]
        tight = {p["target_background_efficiency"]: p["signal_efficiency"] for p in row["working_points"]}
        lines.append(
            f"| {name} | {row['auc']:.4f} | {wp['signal_efficiency']:.4f} | {wp['background_efficiency']:.4f} | "
            f"{tight[0.01]:.4f} / {tight[0.1]:.4f} |"
        )
    for name, row in r["chi2_baseline"].items():
        lines.append(
            f"| chi^2 on {name} | {row['auc']:.4f} | {row['signal_efficiency']:.4f} | "
            f"{row['background_efficiency']:.4f} | {row['tight']['0.01']:.4f} / {row['tight']['0.1']:.4f} |"
        )
    lines += _seed_lines(r)
    by_pt = r["models"]["firmware (csim)"]["by_pt"]
    lines += [
        "",
        "Firmware signal efficiency at the working point, by the particle's pT:",
        "",
        "| pT (GeV) | " + " | ".join(f"{b['pt_min']:g}-{b['pt_max']:g}" for b in by_pt) + " |",
        "|---|" + "---|" * len(by_pt),
        "| true candidates | " + " | ".join(str(b["true"]) for b in by_pt) + " |",
        "| efficiency | "
        + " | ".join("-" if b["efficiency"] is None else f"{b['efficiency']:.4f}" for b in by_pt)
        + " |",
        "",
        f"Firmware (`{fw['project']}/` beside this table, top function `t5_codes`: input stage + 23-32-32-1 + "
        "sigmoid): C-simulated "
        f"from the bus codes of {fw['events']} test candidates; logits {fw['logit_mismatches']} mismatches, sigmoid "
        f"table == emulator on all but {fw['sigmoid_table_vs_emulator']} (max |diff| to the float sigmoid "
        f"{fw['sigmoid_max_abs_diff_vs_float']:.4f}); input stage ({kinds.count('wire')} wires, "
        f"{kinds.count('table')} log10 tables of 4,096 entries) {stage['mismatches']} mismatches against the declared "
        f"tables. C++ header ({fw['cpp']['header'] if fw['cpp'] else 'none'}) from the raw values: "
        f"{fw['cpp']['mismatches_vs_csim'] if fw['cpp'] else 'n/a'} mismatches against the C-simulation.",
        "",
    ]
    from ...reports.report import summary_lines

    lb = fw.get("logits_build")
    if lb:
        lines.append(f"The logits build (`{lb['project']}/`, the same network and input stage without the sigmoid):")
        lines += [f"- {line}" for line in summary_lines(lb)]
    else:
        lines.append("No RTL figures in this run (`fpga-nn tracking --rtl` adds them, for the logits build).")
    lines.append("")
    slip = r["slip"]
    flagged = ", ".join(f"{f['feature']} ({100 * f['fraction']:.1f} %, {f['hint']})" for f in slip["flagged"])
    tr, inf = slip["at_training_cut"]["training side"], slip["at_training_cut"]["inference side"]
    lines += [
        f"The seed's failure, replayed ({slip['slip']}): the input comparison flags {flagged or 'nothing'}; at the "
        f"cut chosen on the training side the firmware passes {tr['signal_efficiency']:.4f} of the true and "
        f"{tr['background_efficiency']:.4f} of the fake candidates on training-side inputs, and "
        f"{inf['signal_efficiency']:.4f} / {inf['background_efficiency']:.4f} on inference-side inputs.",
        "",
        "![ROC](roc.png)",
        "",
    ]
    return "\n".join(lines)


def _pm(st: dict, digits: int = 4) -> str:
    return f"{st['mean']:.{digits}f} ± {st['sd']:.{digits}f}"


def _seed_lines(r: dict) -> list[str]:
    """The networks over their training seeds beside the chi^2, every fake family apart, and the paired
    AUC differences with the words they support."""
    st = r["seed_study"]
    kinds = list(r["chi2_baseline"]["raw values"]["by_kind"])
    lines = [
        "",
        f"Over {len(st['seeds'])} training seeds ({', '.join(map(str, st['seeds']))}; mean ± sample standard "
        "deviation, each seed's own working point; the first seed's networks are the rows above and the firmware):",
        "",
        "| model | AUC | signal eff. at WP | signal eff. at 1 % / 10 % background |",
        "|---|---|---|---|",
    ]
    for name, sm in st["summary"].items():
        lines.append(
            f"| {name} | {_pm(sm['auc'])} | {_pm(sm['signal_efficiency'])} | "
            f"{_pm(sm['tight']['0.01'])} / {_pm(sm['tight']['0.1'])} |"
        )
    lines += [
        "",
        "Each fake family on its own: AUC of the true candidates against that family, and the family's "
        "efficiency at the working point (networks: seed means):",
        "",
        "| model | " + " | ".join(f"{k} AUC | {k} eff. at WP" for k in kinds) + " |",
        "|---|" + "---|---|" * len(kinds),
    ]
    for name, sm in st["summary"].items():
        cells = [
            f"{sm['by_kind'][k]['auc']['mean']:.4f} | {sm['by_kind'][k]['efficiency_at_wp']['mean']:.4f}" for k in kinds
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name, row in r["chi2_baseline"].items():
        cells = [f"{row['by_kind'][k]['auc']:.4f} | {row['by_kind'][k]['efficiency_at_wp']:.4f}" for k in kinds]
        lines.append(f"| chi^2 on {name} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{k} {r['chi2_baseline']['raw values']['by_kind'][k]['candidates']}" for k in kinds)
    lines += ["", f"Test fakes by family: {counts}.", "", "AUC minus the chi^2's on the same test candidates "
              "(seed mean; error: seed spread / sqrt(seeds) and a paired bootstrap of the test set, combined; a "
              "direction is stated only beyond twice the error):", ""]  # fmt: skip
    for name, refs in st["auc_minus_chi2"].items():
        for ref, d in refs.items():
            lines.append(
                f"- {name} vs chi^2 on {ref}: {d['difference']:+.4f} ± {d['error']:.4f} (seed {d['seed_error']:.4f}, "
                f"test {d['test_error']:.4f}): **{d['words']}**"
            )
    return lines
