"""The 3-class LLP tagger: calorimeter geometry, the generated jets' physics, firmware, the table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.data import calo, calo_readout, llp


def test_depth_surfaces_and_prompt_deposits_are_exact():
    v = np.zeros((3, 3))
    u = np.array([[1.0, 0, 0], [0, 0, 1.0], [0.6, 0, 0.8]])
    # from the origin: the ECAL front at r = 1290 mm in the barrel, |z| = 3000 mm in the endcap
    assert calo.path_to(1.0, v, u) == pytest.approx([1290.0, 3000.0, min(1290 / 0.6, 3000 / 0.8)])
    assert calo.path_to(calo.LAM_HCAL, v, u)[0] == pytest.approx(1800.0)
    beyond = np.array([[2000.0, 0, 0]])
    assert calo.path_to(1.0, beyond, u[:1])[0] == 0.0  # already past the ECAL front
    # prompt particles: no delay; a photon puts all its energy in the ECAL, nothing in the HCAL
    rng = np.random.default_rng(0)
    mom = np.array([[30.0, 0, 10.0, np.hypot(30, 10)], [0, 20.0, 0, 20.0], [5.0, 5.0, 0, 50.0]])
    ev, eta, phi, et, had, dt = calo.particle_deposits(
        np.zeros(3, int), np.zeros((3, 3)), np.zeros(3), mom, np.array([0, 1, 2]), rng
    )
    assert np.all(dt == 0)
    photon_e = (et * np.cosh(eta))[(~had) & (np.abs(phi) < 0.5)]
    assert photon_e.sum() == pytest.approx(mom[0, 3])
    assert not np.any(np.isclose(et * np.cosh(eta), 50.0))  # the neutrino (kind 2) deposits nothing
    hadron = np.abs(phi - np.pi / 2) < 0.5
    assert (et * np.cosh(eta))[hadron].sum() == pytest.approx(20.0)  # ECAL + HCAL parts sum to E


def test_halo_muon_deposits_are_early():
    ev, eta, phi, et, had, dt = llp._halo(200, np.random.default_rng(3))
    assert len(ev) > 0 and np.all(dt <= 1e-9)  # moving with the bunch: never later than a prompt particle
    assert np.all(et > 0) and set(np.unique(ev)) <= set(range(200))


@pytest.fixture(scope="module")
def chunks():
    cfg = llp.LlpConfig(n_signal=150, n_multijet=150, n_bib=300, chunk_size=300)
    return cfg, {p: llp.generate_chunk(cfg, p, 0)[0] for p in llp.PROCESSES}


def test_jets_carry_the_physics_that_separates_the_classes(chunks):
    cfg, out = chunks
    sig, qcd, bib = out["signal"], out["multijet"], out["bib"]
    for p, arrays in out.items():
        assert len(arrays["label"]) > 20, p
        assert np.all(arrays["label"] == llp.PROCESSES.index(p))
        assert np.all(arrays["et"] > cfg.et_min) and np.all(np.abs(arrays["eta"]) < cfg.eta_max)
        assert arrays["tower_counts"].sum() == len(arrays["tower_et_em"])  # ragged towers line up
    # signal: matched to an s decaying between the tracker and the back of the HCAL
    assert np.all((sig["s_depth"] >= calo.LAM_TRACKER) & (sig["s_depth"] < calo.LAM_OUT))
    assert np.all(np.isnan(qcd["s_depth"]))
    # CalRatio: signal more hadronic than multijet; no prompt tracks; BIB early
    assert np.median(sig["log_had_em"]) > np.median(qcd["log_had_em"]) + 0.2
    assert np.median(sig["n_tracks"]) == 0 < np.median(qcd["n_tracks"])
    assert np.median(bib["time"]) < -1.0 < np.median(qcd["time"]) < 0.3
    assert np.median(bib["sigma_phi"]) < np.median(bib["sigma_eta"])  # one phi column, spread along z


def test_chunks_are_reproducible(chunks):
    cfg, out = chunks
    again, n = llp.generate_chunk(cfg, "bib", 0)
    assert n == 300 and set(again) == set(out["bib"])
    for k, v in again.items():
        np.testing.assert_array_equal(v, out["bib"][k], err_msg=k)


@pytest.mark.csim
def test_quick_llp_table_firmware_bit_exact_and_resumed(tmp_path, monkeypatch):
    monkeypatch.setenv("FPGA_NN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "llp"
    assert main(["llp", "--quick", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    test = res["dataset"]["jets_per_split"]["test"]
    assert res["dataset"]["path"].startswith("$FPGA_NN_CACHE/llp/llp-")  # no machine's folders in results
    # split by event; the firmware's signal efficiency by decay radius adds up to its signal jets
    assert res["dataset"]["split"].startswith("by event: train ")
    by_depth = res["signal_efficiency_by_depth"]
    assert sum(row["jets"] for row in by_depth) == res["dataset"]["jets_per_split"]["test"]["signal"]
    assert "decay radius (mm)" in (out / "results.md").read_text()
    from fpga_nn.studies.llp.run import QUICK, prepare

    data = prepare(QUICK)  # the cached sample: no event has jets on two sides
    sides = [set(data["event"][data["split"][k]]) for k in ("train", "val", "test")]
    assert all(sides) and not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    n_test = sum(test.values())
    assert list(test) == ["signal", "multijet", "bib"] and min(test.values()) > 0
    sm, lg = res["firmware"]["softmax"], res["firmware"]["logits"]
    # with the softmax: the logits bit for bit on every test jet, the table equal to the emulator
    assert (sm["logit_mismatches"], sm["events"], sm["table"]["emulator_mismatches"]) == (0, n_test, 0)
    # without it: bit-exact end to end on the test jets and every jet of the rate sample
    trig = res["trigger"]
    n_rate = trig["background"]["jets"]
    assert n_rate > 500 and lg["rate_sample_jets"] == n_rate and lg["test_jets"] == n_test
    assert (lg["mismatches"], lg["events"], lg["equal_to_qkeras_logits"]) == (0, n_test + n_rate, True)
    assert lg["decisions_differing_from_qkeras"] == 0
    # the trigger's working points: at most the target fraction of rate-sample jets pass each cut
    assert trig["background"]["path"].startswith("$FPGA_NN_CACHE/llp/llp-rate-")
    assert len(trig["rows"]) == 4 and trig["multijet_rate_hz"] > 1e5 and trig["training_seeds"] == 2
    firmware = trig["rows"]["firmware (QKeras logits), signal margin"][0]
    assert firmware["seeds"]["efficiency"][0] == firmware["signal_efficiency"]  # seed 1 is the firmware
    comp = {(c["a"], c["b"], c["target_mistag"]): c for c in trig["comparisons"]}
    assert len(comp) == 2 * 5 and all(c["verdict"] in ("higher", "lower", "not resolved") for c in comp.values())
    for name, points in trig["rows"].items():
        assert [p["target_mistag"] for p in points] == [1e-2, 1e-3], name
        for p in points:
            assert p["background_jets_passing"] <= int(p["target_mistag"] * n_rate), name
            assert p["signal_jets"] == test["signal"] == sum(r["jets"] for r in p["by_depth"]), name
    assert "## At a level-1 trigger's working point" in (out / "results.md").read_text()
    assert set(res["models"]) == {"float FNN", "QKeras", "firmware, softmax table", "firmware, logits (margins)"}
    for name, s in res["models"].items():
        counts = np.asarray(s["confusion"])
        assert counts.sum(axis=1).tolist() == list(test.values()), name  # rows: every jet of each true class
        assert s["accuracy"] == pytest.approx(np.trace(counts) / n_test, abs=1e-12)
        assert set(s["classes"]) == {"signal", "multijet", "bib"}
    # the logits firmware decides exactly as QKeras does
    assert res["models"]["firmware, logits (margins)"]["confusion"] == res["models"]["QKeras"]["confusion"]
    for name in ("results.md", "scores.png", "loss.png", "confusion.png", "roc.png", "trigger.png"):
        assert (out / name).stat().st_size > 1000, name
    assert "| QKeras |" in (out / "results.md").read_text()
    # resumed: the trained networks are reused (files untouched)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "models").glob("*.h5")}
    assert len(stamps) == 4  # float and QKeras, two training seeds each
    assert main(["llp", "--quick", "--out", str(out)]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "models").glob("*.h5")} == stamps


def test_readout_towers_are_zero_suppressed_and_timed_on_the_tdc_grid():
    rng = np.random.default_rng(1)
    none = tuple(np.zeros(0, t) for t in (int, float, float, float, bool, float))
    em, had, time = calo_readout.towers(50, none, rng)
    et = em.astype(np.float64) + had
    assert np.all((et == 0) | (et >= calo_readout.ZERO_SUPPRESS)) and np.all(em >= 0) and np.all(had >= 0)
    assert np.all(np.abs(time) <= calo.READOUT_NS)
    assert np.array_equal(time / calo_readout.TDC_LSB_NS, np.round(time / calo_readout.TDC_LSB_NS))
    # pile-up jets: ET above 10 GeV, split into EM and hadronic parts that add up to it
    ev, eta, phi, e, is_had = calo_readout.pileup_jets(2000, np.random.default_rng(2))
    jets = e.reshape(2, -1, calo_readout.PU_JET_PARTS).sum(axis=(0, 2))
    assert np.all(jets >= calo_readout.PU_JET_ET_MIN * (1 - 1e-12))
    assert len(jets) / 2000 == pytest.approx(calo_readout.PU_JETS, rel=0.05)
    # one hard in-time deposit: read out at its ET, its time within a few resolutions of zero
    hard = (np.array([0]), np.array([0.04]), np.array([0.04]), np.array([200.0]), np.array([True]), np.array([3.0]))
    em, had, time = calo_readout.towers(1, hard, np.random.default_rng(3))
    k = np.unravel_index(np.argmax(em + had), em.shape)
    assert 150 < had[k] < 250 and abs(time[k] - 3.0) <= 4 * calo_readout.TIME_RES_NS


def test_working_point_cuts_count_exactly():
    from fpga_nn.studies.llp import rate

    bkg = np.arange(1000.0)
    assert rate.cut_for(bkg, 1e-2) == np.nextafter(989.0, np.inf)  # 990..999: ten jets, 1 %
    wp = rate.working_point(np.array([985.0, 990.0, 995.0, 1000.0]), bkg, np.arange(1000) // 2, 500, 1e-2, 1e6)
    assert (wp["background_jets_passing"], wp["mistag"], wp["signal_efficiency"]) == (10, 0.01, 0.75)
    assert wp["events_fired"] == 5 and wp["rate_khz"] == pytest.approx(1e6 * 5 / 500 / 1e3)
    ties = np.r_[np.full(20, 7.0), np.zeros(980)]  # 20 jets tied at the top: none may pass at 1 %
    assert (
        rate.working_point(np.array([7.0, 8.0]), ties, np.arange(1000), 1000, 1e-2, 1.0)["background_jets_passing"] == 0
    )
    # replicas: one discriminant twice is the same on every replica, so its paired difference has no spread
    rng = np.random.default_rng(4)
    sig, bkg = rng.normal(2, 1, 300), rng.normal(0, 1, 5000)
    reps = rate.replicas({"a": (sig, bkg), "b": (sig, bkg), "c": (sig + 0.5, bkg)}, (1e-2,), 30, 0)
    assert reps.shape == (30, 3, 1) and np.array_equal(reps[:, 0], reps[:, 1]) and 0 < np.std(reps[:, 0]) < 0.1
    assert np.all(reps[:, 2] >= reps[:, 0])  # a higher signal score never loses efficiency on the same replica
    grid = np.array([1e-3, 1e-2, 0.1, 0.5])  # the plotted curve: the table's cuts, each sample sorted once
    expect = [np.mean(sig >= rate.cut_for(bkg, m)) for m in grid]
    np.testing.assert_array_equal(rate.efficiency_curve(sig, bkg, grid), expect)


def test_a_stopped_generation_resumes_from_its_chunks(tmp_path):
    from fpga_nn.data import samples

    cfg = llp.LlpRateConfig(n_multijet=200, chunk_size=100)
    calls = []

    def chunk(config, process, k):
        calls.append(k)
        return llp.generate_chunk(config, process, k)

    first = samples.generate(chunk, cfg, "test", workers=1, progress=False, store=tmp_path)
    assert sorted(calls) == [0, 1] and len(list(tmp_path.glob("multijet-*.npz"))) == 2
    (tmp_path / "multijet-00001.npz").unlink()  # as if stopped before the second chunk was written
    second = samples.generate(chunk, cfg, "test", workers=1, progress=False, store=tmp_path)
    assert sorted(calls) == [0, 1, 1]  # only the missing chunk generated again
    assert first["n_generated"] == second["n_generated"] == {"multijet": 200}
    for k, v in first["arrays"].items():
        np.testing.assert_array_equal(v, second["arrays"][k], err_msg=k)
    assert "tower_counts" not in first["arrays"] and np.all(first["arrays"]["sigma_mb"] > 0)


def test_build_task_llp_refuses_data(tmp_path, capsys):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((4, 11), np.float32))
    assert main(["build", "--task", "llp", "--data", str(x), "--part", "xcvu13p-flga2577-2-e"]) != 0
    assert "--task llp generates its own events: drop --data" in capsys.readouterr().err
