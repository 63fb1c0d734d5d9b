"""The T5 tracking example (seed 001): geometry, the working point, and one command to firmware and C++."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.data import tracking
from fpga_nn.studies.tracking.run import working_point


def test_preprocessing_declares_every_feature_with_log10_tables_for_radii_and_pt():
    pre = tracking.PREPROCESSING
    assert pre.names == tracking.FEATURES and len(pre.names) == 23
    tables = [f.name for i, f in enumerate(pre.features) if pre.affine(i) is None]
    assert tables == ["curv_inner", "curv_bridge", "curv_outer", "pt"]
    assert all(pre.affine(i) == (0, 1) for i in range(19))  # 12-bit buses read as ap_ufixed<12,0>: wires
    # pt: log10(v + 2^-5) of the 1/16-GeV code, (log10 - log10 0.5) / log10(512) onto [0, 1)
    i = pre.names.index("pt")
    code = 16 * 2  # 2 GeV
    want = round((np.log10(2.0 + 2**-5) - np.log10(0.5)) / np.log10(512.0) * 4096)
    assert pre.table(i)[code] == want


def test_helix_hits_and_curvature():
    rng = np.random.default_rng(0)
    pt = np.array([1.0, 1.0, 1000.0])
    xyz = tracking.hits(pt, np.zeros(3), np.zeros(3), np.zeros(3), np.array([1.0, -1.0, 1.0]), rng)
    assert np.isfinite(xyz[:, :, 0]).sum() >= 17  # 99 % hit efficiency: at most one of 18 lost here
    r = np.hypot(xyz[..., 0], xyz[..., 1])
    assert np.nanmax(np.abs(r - tracking.LAYERS_CM)) <= tracking.STAGGER_CM + 1e-9
    phi = np.arctan2(xyz[..., 1], xyz[..., 0])
    assert np.nanmax(phi[0]) < 0 < np.nanmin(phi[1, 1:])  # opposite charges bend opposite ways
    assert np.nanmax(np.abs(phi[2])) < 1e-3  # 1 TeV: straight within the resolution
    # three points on a circle of radius 50 cm
    a = np.array([[50.0, 0, 0]])
    b = np.array([[0.0, 50, 0]])
    c = np.array([[-50.0, 0, 0]])
    assert tracking._curvature(a, b, c)[0] == pytest.approx(1 / 50, rel=1e-12)


def test_chi2_separates_true_from_fake_candidates():
    from fpga_nn.data.tracking import TrackingConfig, generate_chunk

    arrays, n = generate_chunk(TrackingConfig(n_events=100, chunk_size=100, seed=3), "ttbar", 0)
    assert n == 100
    again, _ = generate_chunk(TrackingConfig(n_events=100, chunk_size=100, seed=3), "ttbar", 0)
    np.testing.assert_array_equal(arrays["r3"], again["r3"])  # a chunk is reproducible
    raw = np.stack([arrays[f] for f in tracking.FEATURES], axis=1)
    c, y = tracking.chi2(raw), arrays["label"]
    assert np.isfinite(c).all() and 0.2 < y.mean() < 0.45  # about 1.4 combinatorial and 1 swap fake per true
    assert np.median(c[y == 1]) < 8 < np.median(c[y == 0])  # 7 degrees of freedom for true tracks


def test_combinatorial_fakes_come_from_pileup_hits_and_the_split_keeps_events_whole():
    """A chunk with pile-up has combinatorial fakes (a ttbar T3 completed by the event's hits), each passing
    the loose cuts, with the seed's event number; the study's split puts every event on one side."""
    from fpga_nn.data.tracking import TrackingConfig, generate_chunk
    from fpga_nn.studies.tracking.run import QUICK, prepare

    arrays, _ = generate_chunk(TrackingConfig(n_events=40, chunk_size=40, seed=5), "ttbar", 0)
    kind = arrays["fake_kind"]
    combinatorial = kind == tracking.FAKE_KINDS.index("combinatorial")
    assert combinatorial.sum() > 50 and set(np.unique(kind)) == {-1, 0, 1, 2, 3}
    assert arrays["event"].min() >= 0 and arrays["event"].max() < 40
    data = prepare(QUICK)
    sides = [set(data["event"][data["split"][k]]) for k in ("train", "val", "test")]
    assert all(sides) and not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])


def test_working_point_never_exceeds_the_background_target():
    y = np.array([0] * 10 + [1] * 4)
    s = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6, 0.6, 0.9, 0.95] + [0.6, 0.7, 0.92, 0.99])
    wp = working_point(y, s, 0.44)  # 4.4 of 10 backgrounds: at most 4 may pass, ties at 0.6 fail together
    assert wp["cut"] == 0.6 and wp["background_efficiency"] == 0.2 and wp["signal_efficiency"] == 0.75
    assert working_point(y, s, 1.0)["signal_efficiency"] == 1.0


@pytest.mark.slow
def test_tracking_quick_builds_bit_exact_firmware_and_cpp_from_raw_values(tmp_path, capsys):
    from fpga_nn.cli import main

    out = tmp_path / "t5"
    assert main(["tracking", "--quick", "--out", str(out), "--part", "xc7z020clg400-1"]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["dataset"]["path"].startswith("$FPGA_NN_CACHE/tracking/t5-")  # no machine's folders in results
    assert str(tmp_path) not in (out / "results.json").read_text() + (out / "results.md").read_text()
    fw = r["firmware"]
    assert fw["logit_mismatches"] == 0 and fw["sigmoid_table_vs_emulator"] == 0 and fw["events"] == 4000
    assert fw["input_stage"]["mismatches"] == 0 and fw["input_stage"]["events"] == 4000
    kinds = [f["kind"] for f in fw["input_stage"]["features"].values()]
    assert kinds.count("wire") == 19 and kinds.count("table") == 4
    assert fw["cpp"]["mismatches_vs_csim"] == 0 and fw["cpp"]["from"] == "raw values (predict_raw)"
    wp = r["models"]["firmware (csim)"]["working_point"]
    y = np.load(out / "firmware" / "vectors" / "labels.npy")
    csim = np.load(out / "firmware" / "vectors" / "csim.npy").ravel()
    # the cut reads the same on the float32 scores the project keeps
    assert wp["background_efficiency"] == np.mean(csim[y == 0] > wp["cut"]) <= 0.44
    assert wp["signal_efficiency"] == np.mean(csim[y == 1] > wp["cut"])
    # the replayed slip (curvatures in 1/mm) is named feature by feature, with the unit hint
    assert [f["feature"] for f in r["slip"]["flagged"]] == ["curv_inner", "curv_bridge", "curv_outer"]
    assert all("mm -> cm" in f["hint"] for f in r["slip"]["flagged"])
    assert r["slip"]["at_training_cut"]["training side"]["signal_efficiency"] == wp["signal_efficiency"]
    # the chi^2 reference loses separation on buses two bits narrower than the declared ones
    chi2 = r["chi2_baseline"]
    assert chi2["10-bit bus values"]["auc"] < chi2["12-bit bus values"]["auc"] <= chi2["raw values"]["auc"] + 0.005
    # equal logits; the scores differ only by the firmware's sigmoid table against the float sigmoid
    assert abs(r["models"]["QKeras"]["auc"] - r["models"]["firmware (csim)"]["auc"]) < 2e-3
    assert (out / "roc.png").stat().st_size > 10_000 and "t5_codes" in (out / "results.md").read_text()
    header = (out / "firmware" / "cpp" / "t5.h").read_text()
    assert "inline void predict_raw(" in header and "kTable19[4096]" in header
    assert "signal efficiency" in capsys.readouterr().out
    # split by event; both fake families; every network over its seeds, the chi^2 at the same points
    assert r["dataset"]["split"].startswith("by event: train ")
    st = r["seed_study"]
    assert st["seeds"] == [7, 8] and set(st["summary"]) == {"float", "QKeras", "float+chi2"}
    assert all(len(rows) == 2 for rows in st["per_seed"].values())
    assert set(chi2["raw values"]["by_kind"]) == set(tracking.FAKE_KINDS)  # combinatorial fakes made it to the test
    assert 0 < chi2["raw values"]["tight"]["0.01"] <= chi2["raw values"]["tight"]["0.1"] <= 1
    d = st["auc_minus_chi2"]["QKeras"]["raw values"]
    assert d["error"] > 0 and d["words"] in ("higher", "lower", "not resolved")
    assert "**" + d["words"] + "**" in (out / "results.md").read_text()
