"""The suite's background against measurement, and Z + jets with a fake photon (issue 31, part 3).

* **Validation** (``validate``): each shower model's q qbar -> Z gamma in the fiducial region of the
  ATLAS 13 TeV measurement (``data.fiducial``), its d sigma / d (pT(llg) / m(llg)) and d sigma / d pT(llg)
  in the measured bins beside the unfolded data: chi^2 of the absolute spectrum and of its shape (each
  normalised to its total; errors: the measurement's total (+) Pythia's statistics), and the ratio
  measurement / Pythia per pT(llg) / m(llg) bin.
* **Reweighting** (``dataset.reweight``): every background event of a shower model is weighted by that
  ratio at its reconstructed pT(llg) / m(llg), so the background's spectrum and normalisation are the
  measured ones. pT / m rather than pT: it is the suite's own input, and the measurement is inclusive in
  m(llg) while the suite's background lies at 110-140 GeV; the ratio is assumed the same at every m(llg)
  (stated in docs/suite.md).
* **Z + jets with a fake photon** (``fake_rate``): the leading jet of a Z + jet event stands in for the
  photon (``data.selection``); the probability that such an event passes as one with a real photon is
  the same events' ordinary selection, counted by the photon's origin: selected events whose photon
  comes from a hadron decay / selected events with the jet as the photon.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...data import fiducial

MIN_EVENTS = 10  # Pythia events a bin needs for its own ratio (else the nearest such bin's)


def _hist(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Events in each bin; overflow joins the last bin."""
    return np.histogram(np.clip(values, edges[0], np.nextafter(edges[-1], -np.inf)), edges)[0]


def compare(spectrum: dict, variable: str) -> dict:
    """One shower model's spectrum beside the measurement in ``variable`` (``pt_llg`` or ``pt_llg_over_m``)."""
    ref = fiducial.reference()[variable]
    edges = np.asarray(ref.get("edges_gev", ref.get("edges")), np.float64)
    x = spectrum["pt_llg"] if variable == "pt_llg" else spectrum["pt_llg"] / spectrum["m_llg"]
    counts = _hist(x, edges)
    width = np.diff(edges)
    # d sigma / dx (fb per unit of x) and its statistical error
    mc, mc_err = counts * spectrum["fb_per_event"] / width, np.sqrt(counts) * spectrum["fb_per_event"] / width
    data, data_err = np.asarray(ref["value"]), np.asarray(ref["error"])
    chi2 = float(np.sum((mc - data) ** 2 / (data_err**2 + mc_err**2)))
    tot_mc, tot_data = float(np.sum(mc * width)), float(np.sum(data * width))
    shape_mc, shape_data = mc / tot_mc, data / tot_data
    shape_err = np.hypot(data_err / tot_data, mc_err / tot_mc)
    chi2_shape = float(np.sum((shape_mc - shape_data) ** 2 / shape_err**2))
    ratio = data / np.maximum(mc, 1e-300)
    ratio_err = ratio * np.hypot(data_err / data, mc_err / np.maximum(mc, 1e-300))
    # a bin with fewer than MIN_EVENTS Pythia events takes the ratio of the nearest bin that has them
    good = np.flatnonzero(counts >= MIN_EVENTS)
    if len(good):
        nearest = good[np.argmin(np.abs(np.arange(len(data))[:, None] - good[None, :]), axis=1)]
        ratio, ratio_err = ratio[nearest], ratio_err[nearest]
    else:
        ratio, ratio_err = np.full(len(data), tot_data / tot_mc), np.zeros(len(data))
    return {
        "edges": [float(e) for e in edges],
        "pythia": mc.tolist(),
        "pythia_err": mc_err.tolist(),
        "measured": data.tolist(),
        "measured_err": data_err.tolist(),
        "pythia_events": counts.tolist(),
        "ratio": ratio.tolist(),
        "ratio_err": ratio_err.tolist(),
        "chi2": chi2,
        "chi2_shape": chi2_shape,
        "n_bins": len(data),
        "sigma_fiducial_fb": tot_mc,
        "events_in_region": int(len(x)),
    }


def validate(config: fiducial.FiducialConfig, workers: int | None = None, progress: bool = True) -> dict:
    """Every shower model of ``config`` beside the measurement, in pT(llg) / m(llg) and in pT(llg)."""
    spectra = fiducial.spectra(config, workers, progress)
    ref = fiducial.reference()
    out = {
        "reference": {k: ref[k] for k in ("what", "citation", "data", "fiducial_region", "sigma_fiducial_fb")},
        "generation": dataclasses.asdict(config),
        "models": {},
    }
    for model, spectrum in spectra.items():
        out["models"][model] = {
            "sigma_generated_fb": spectrum["sigma_fb"],
            "n_generated": spectrum["n_generated"],
            "pt_llg_over_m": compare(spectrum, "pt_llg_over_m"),
            "pt_llg": compare(spectrum, "pt_llg"),
        }
    return out


def weights(pt_over_m: np.ndarray, comparison: dict) -> np.ndarray:
    """The ratio measurement / Pythia of ``comparison`` (a ``compare`` result in pT / m) at each event's
    pT(llg) / m(llg); beyond the last edge, the last bin's."""
    edges = np.asarray(comparison["edges"])
    idx = np.clip(np.searchsorted(edges, pt_over_m, side="right") - 1, 0, len(edges) - 2)
    return np.asarray(comparison["ratio"])[idx]


def fake_rate(generator_record: dict) -> dict:
    """The probability that a selected Z + jet event (the jet as the photon) passes as a real-photon event,
    from the counts its chunks recorded; error: Poisson on the natural fakes."""
    n_fake = int(generator_record.get("natural_hadron_decay", 0))
    n_jet = int(generator_record.get("jet_candidates", 0))
    rate = n_fake / n_jet if n_jet else 0.0
    return {
        "rate": rate,
        "error": (np.sqrt(max(n_fake, 1)) / n_jet) if n_jet else 0.0,
        "natural_hadron_decay": n_fake,
        "natural_prompt": int(generator_record.get("natural_prompt", 0)),
        "jet_candidates": n_jet,
    }


def _mean_sd(values: list[float]) -> str:
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}" if len(values) > 1 else f"{values[0]:.3f}"


def report_lines(results: dict) -> list[str]:
    """results.md's sections on the background: the check against the measurement and the table repeated
    with Z + jets (fake photon) added to the test background."""
    lines = []
    val = results.get("background_validation")
    if val:
        ref = val["reference"]
        lines += [
            "",
            "## The background against the measurement",
            "",
            f"{ref['citation']} ({ref['data']}): fiducial cross section {ref['sigma_fiducial_fb']['value']:.1f} ± "
            f"{ref['sigma_fiducial_fb']['error']:.1f} fb. Pythia q qbar -> Z gamma (LO, Z only) in the same region "
            "at particle level, chi^2 against the unfolded spectra (measurement's total error (+) Pythia's "
            "statistics; shape: each spectrum normalised to its total):",
            "",
            "| shower model | sigma fiducial (fb) | chi^2 pT/m (abs.) | chi^2 pT/m (shape) | chi^2 pT (abs.) "
            "| chi^2 pT (shape) | bins |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in val["models"].items():
            a, b = m["pt_llg_over_m"], m["pt_llg"]
            lines.append(
                f"| {name.replace('_', ' ')} | {a['sigma_fiducial_fb']:.1f} | {a['chi2']:.1f} | {a['chi2_shape']:.1f} "
                f"| {b['chi2']:.1f} | {b['chi2_shape']:.1f} | {a['n_bins']} |"
            )
        lines.append("")
        lines.append(
            "Background weights (measured / Pythia per pT(llg)/m(llg) bin): "
            + ("applied to both shower models" if results.get("reweighted_to_measurement") else "not applied")
            + "; `background_validation.png`."
        )
    fake, zinfo = results.get("zjets_fake_rate"), (results.get("dataset") or {}).get("zjets")
    rows = [r for r in results.get("rows", []) if r.get("test_zjets")]
    if fake and zinfo:
        lines += [
            "",
            "## With Z + jets (fake photon) added to the background",
            "",
            f"Z + jets: {zinfo['n_generated']:,} Pythia Z + jet events (sigma {zinfo['sigma_fb']:,.0f} fb), the "
            f"leading jet as the photon candidate; fake rate {fake['rate']:.2e} ± {fake['error']:.1e} "
            f"({fake['natural_hadron_decay']} of the same events pass the ordinary selection with a photon of a "
            f"hadron decay, per {fake['jet_candidates']:,} passing with the jet as the photon). In the window: "
            f"{zinfo['expected_in_window']:.0f} expected Z + jets events from {zinfo['mc_events_in_window']:,} "
            "MC events. The rows never trained on Z + jets. Neural rows: mean ± sd over seeds.",
            "",
        ]
    if rows:
        lines += [
            "| method | signif. (Zgamma) | signif. (+ Z+jets) | AUC % (Zgamma) | AUC % (+ Z+jets) |",
            "|---|---|---|---|---|",
        ]
        for r in rows:
            z = r["test_zjets"]
            seeds = z.get("seeds") or [{"significance": z["significance"], "auc": z["auc"]}]
            nominal = r.get("seeds") or [{"significance": r["test"]["significance"], "auc": r["test"]["auc"]}]
            lines.append(
                f"| {r['label']} | {_mean_sd([s['significance'] for s in nominal])} "
                f"| {_mean_sd([s['significance'] for s in seeds])} "
                f"| {100 * np.mean([s['auc'] for s in nominal]):.1f} | {100 * np.mean([s['auc'] for s in seeds]):.1f} |"
            )
    return lines
