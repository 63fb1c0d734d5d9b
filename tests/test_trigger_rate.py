"""The trigger-rate study: level-1 objects, stitched rate weights, the cut baselines and the quick run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fpga_nn.studies.trigger_rate import objects, selection, stream

ROOT = Path(__file__).resolve().parent.parent


def _maps(deposits: dict[tuple[int, int], tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    em = np.zeros((1, objects.N_ETA, objects.N_PHI), np.float32)
    had = np.zeros_like(em)
    for (ie, ip), (e, h) in deposits.items():
        em[0, ie, ip], had[0, ie, ip] = e, h
    return em.reshape(1, -1), had.reshape(1, -1)


def test_an_electromagnetic_cluster_across_the_phi_wrap_is_one_candidate_with_its_3x3_energy():
    em, had = _maps({(29, 0): (30.0, 0.0), (29, 71): (5.0, 0.0), (30, 1): (2.0, 1.0)})
    found = objects.calo_objects(em, had)
    eg = found["eg"][0]
    assert eg[0, 0] == pytest.approx(37.0, abs=1e-4)  # 30 + 5 across the wrap + 2
    eta, phi = objects.tower_centres()
    assert eg[0, 1] == pytest.approx(eta[29 * 72]) and eg[0, 2] == pytest.approx(phi[29 * 72])
    assert eg[0, 3] == pytest.approx(1.0 / 37.0, rel=1e-4)  # H/E
    assert np.all(eg[1:] == 0)  # the 5 GeV neighbour is not a local maximum
    jet = found["jet"][0]
    assert jet[0, 0] == pytest.approx(38.0, abs=1e-4) and np.all(jet[1:] == 0)


def test_a_hadronic_deposit_is_a_jet_but_no_egamma_candidate():
    em, had = _maps({(10, 20): (6.0, 20.0)})
    found = objects.calo_objects(em, had)
    assert np.all(found["eg"] == 0)  # H/E = 3.3 > 0.5
    assert found["jet"][0, 0, 0] == pytest.approx(26.0)


def test_hardest_muons_keeps_four_per_crossing_in_pt_order():
    crossing = np.array([1, 0, 1, 1, 1, 1])
    mu = np.array([[5, 0, 0], [7, 1, 1], [9, 0, 0], [3, 0, 0], [11, 0, 0], [4, 0, 0]], np.float32)
    out = objects.hardest_muons(crossing, mu, 3)
    assert out[1, :, 0].tolist() == [11, 9, 5, 4] and out[0, :, 0].tolist() == [7, 0, 0, 0] and np.all(out[2] == 0)


def test_threshold_for_rate_is_the_lowest_within_the_budget():
    scores = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    w = np.array([10.0, 1.0, 2.0, 4.0, 8.0])
    assert selection.threshold_for_rate(scores, w, 12.0) == 3.0  # 8 + 4
    assert selection.threshold_for_rate(scores, w, 11.9) == 4.0
    assert selection.threshold_for_rate(scores, w, 15.0) == 2.0  # 8 + 4 + 1 + 2 = 15
    assert selection.threshold_for_rate(scores, w, 7.0) == np.nextafter(4.0, 5.0)  # just above the highest


def test_the_or_menu_finds_two_channels_that_one_rectangle_cannot_hold():
    # signal: half has a large input 0, half a large input 1; background: everything small, a few large in each
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, (4000, 2))
    signal = np.zeros(4000, bool)
    signal[:1000] = True
    x[:500, 0] = 200
    x[500:1000, 1] = 200
    w = np.ones(4000)
    rect = selection.best_rectangular_cuts(x, signal, w, 5.0)
    menu = selection.best_or_menu(x, signal, w, 5.0)
    assert menu["efficiency"] == 1.0 and menu["cuts"] == [50, 50]
    assert rect["efficiency"] == 0.5
    single = selection.best_single_threshold(x, signal, w, 5.0)
    assert single["efficiency"] == 0.5


def test_the_stitched_stream_carries_40_mhz_and_regenerates_chunk_for_chunk():
    cfg = stream.StreamConfig(
        n_signal=20, n_qcd=(20, 20), n_pileup_only=20, n_pool=40, pthat_edges=(15.0, 40.0), chunk_size=40
    )
    s = stream.make(cfg, workers=1)
    bkg = s["process"] > 0
    assert s["weight_hz"][bkg].sum() == pytest.approx(40e6, rel=1e-12)
    assert np.all(s["weight_hz"][~bkg] == 1.0) and s["eg"].shape == (80, 4, 5) and s["mu"].shape == (80, 4, 3)
    info = s["info"]
    assert info["pileup_mu"] == pytest.approx(info["sigma_mb"]["inelastic"] * 1e-27 * 2e34 / 40e6)
    assert 30 < info["pileup_mu"] < 50
    fractions = [p["fraction"] for k, p in info["plans"].items() if k != "signal"]
    assert sum(fractions) == pytest.approx(1.0, rel=1e-12)
    # the signal's Z decays to leptons: most crossings hold two muons or three e/gamma candidates
    sig = s["process"] == 0
    assert np.mean((s["mu"][sig, 1, 0] > 0) | (s["eg"][sig, 2, 0] > 0)) > 0.5
    again = stream.generate((cfg, "qcd1", 0, 20))[2]
    first = stream.generate((cfg, "qcd1", 0, 20))[2]
    assert np.array_equal(again.em, first.em) and np.array_equal(again.tower, first.tower)


@pytest.mark.slow
def test_trigger_rate_quick_runs_end_to_end_to_bit_exact_firmware(tmp_path, capsys):
    from fpga_nn.cli import main

    out = tmp_path / "tr"
    assert main(["trigger-rate", "--quick", "--out", str(out), "--part", "xc7z020clg400-1"]) == 0
    r = json.loads((out / "results.json").read_text())
    fw = r["firmware"]
    assert fw["mismatches"] == 0 and fw["events"] == r["stream"]["test_crossings"]["signal"] + sum(
        v for k, v in r["stream"]["test_crossings"].items() if k != "signal"
    )
    assert fw["decisions_equal_to_qkeras"] is True and fw["latency"]["cycles_max"] >= 1
    assert set(r["rows"]) >= {"single-object threshold", "rectangular cuts", "OR of single-object thresholds"}
    assert len(r["per_seed"]["qkeras"]) == 2 and set(r["training_choice"]["validation_efficiency"]) == {
        "ap_ufixed<8,0>, background 1000",
        "ap_ufixed<8,3>, background 1000",
    }
    for row in r["rows"].values():
        assert 0 <= row["efficiency"] <= 1 and row["rate_err_hz"] >= 0
    assert "OR of single-object thresholds" in (out / "results.md").read_text()
    assert (out / "efficiency_vs_rate.png").stat().st_size > 10_000 and (out / "loss.png").is_file()
    printed = capsys.readouterr().out
    assert "firmware: 0 mismatches" in printed
    # the firmware project's report carries the working point: the rate from the stream's weights, the gains
    report = json.loads((out / "firmware" / "report.json").read_text())
    wp = report["working_point"]
    assert wp["efficiency"] in [s["efficiency"] for s in r["per_seed"]["qkeras"]]
    assert set(wp["gains"]) == set(wp["baselines"]) == {"single-object threshold", "rectangular cuts",
                                                        "OR of single-object thresholds"}  # fmt: skip
    assert report.get("physics") is None and "working_point.json" in " ".join(report["notes"])
    assert f"working point: {wp['rate_khz']:.2f} ± {wp['rate_err_khz']:.2f} kHz" in printed
    assert "gain over OR of single-object thresholds" in printed
    assert "## Working point at 200 kHz" in (out / "firmware" / "report.md").read_text()


def test_the_embedded_stream_is_the_studys_stream_as_codes():
    from fpga_nn.studies.trigger_rate import embedded, selection

    s = embedded.load()
    study = json.loads((ROOT / "results" / "trigger_rate" / "results.json").read_text())["stream"]
    assert s["info"]["fingerprint"] == study["fingerprint"]  # the stream behind the committed results
    counts = {p: int(np.sum(s["process"] == k)) for k, p in enumerate(s["info"]["processes"])}
    assert counts == study["crossings"] and len(s["raw_gev"]) == 168_000
    assert np.isclose(s["weight_hz"][s["process"] != 0].sum(), 40e6, rtol=1e-9)  # the background carries 40 MHz
    codes = s["raw_gev"] / selection.LSB_GEV
    assert np.array_equal(selection.codes(s["raw_gev"]), codes) and codes.max() <= 255
