"""fpga-nn compare: the same events' inputs from two sources (seed 001's failure mode)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fpga_nn.cli import main


def _inputs(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pt = np.exp(rng.normal(1.0 + 0.6 * y, 0.5))
    return (
        {
            "log10_pt": np.log10(pt),
            "inner_radius": rng.uniform(200, 1100, n) - 150 * y,  # mm
            "eta": rng.uniform(-2.5, 2.5, n),
        },
        y,
        pt,
    )


def _save(tmp_path, name, table):
    path = tmp_path / name
    np.savez(path, **table)
    return path


def test_same_inputs_pass_and_a_unit_slip_is_named(tmp_path, capsys):
    a, _, _ = _inputs()
    pa = _save(tmp_path, "a.npz", a)
    assert main(["compare", str(pa), str(pa), "--out", str(tmp_path / "same")]) == 0
    rep = json.loads((tmp_path / "same" / "compare.json").read_text())
    assert [r["differing"] for r in rep["features"]] == [0, 0, 0]
    b = dict(a, inner_radius=a["inner_radius"] / 10)  # the inference side in cm
    pb = _save(tmp_path, "b.npz", b)
    assert main(["compare", str(pa), str(pb), "--out", str(tmp_path / "cm")]) == 5
    err = capsys.readouterr().err
    assert "worst 'inner_radius' (100.0 % of events; B = A / 10: a unit change (mm -> cm)?)" in err
    rep = json.loads((tmp_path / "cm" / "compare.json").read_text())
    by = {r["feature"]: r for r in rep["features"]}
    assert by["inner_radius"]["differing"] == 4000 and by["eta"]["differing"] == 0
    assert by["inner_radius"]["median_ratio_b_over_a"] == pytest.approx(0.1)
    assert (tmp_path / "cm" / "features.png").stat().st_size > 1000


def test_log10_against_ln_and_tolerances(tmp_path, capsys):
    a, _, pt = _inputs()
    b = dict(a, log10_pt=np.log(pt))
    pa, pb = _save(tmp_path, "a.npz", a), _save(tmp_path, "b.npz", b)
    assert main(["compare", str(pa), str(pb), "--out", str(tmp_path / "o")]) == 5
    assert "worst 'log10_pt'" in capsys.readouterr().err
    rep = json.loads((tmp_path / "o" / "compare.json").read_text())
    assert rep["features"][0]["hint"] == "B = ln(10) x A: ln where A has log10?"
    # float32 round trip on one side: within rtol 1e-6, so it passes
    c = {k: v.astype(np.float32).astype(np.float64) for k, v in a.items()}
    assert main(["compare", str(pa), str(_save(tmp_path, "c.npz", c)), "--out", str(tmp_path / "f32")]) == 0
    # a few events off: allowed by --max-fraction
    d = dict(a, eta=a["eta"].copy())
    d["eta"][:10] += 0.1
    pd = _save(tmp_path, "d.npz", d)
    assert main(["compare", str(pa), str(pd), "--out", str(tmp_path / "d1")]) == 5
    assert main(["compare", str(pa), str(pd), "--max-fraction", "0.01", "--out", str(tmp_path / "d2")]) == 0


def test_model_cut_from_a_applied_to_b_per_category(tmp_path, capsys):
    import tensorflow as tf

    a, y, pt = _inputs()
    b = dict(a, inner_radius=a["inner_radius"] / 10)
    x_in = tf.keras.Input((3,))
    model = tf.keras.Model(x_in, tf.keras.layers.Dense(1, activation="sigmoid")(x_in))
    model.set_weights([np.array([[3.0], [-0.004], [0.0]], np.float32), np.array([0.0], np.float32)])
    model.save(tmp_path / "m.h5")
    np.save(tmp_path / "y.npy", y)
    pa, pb = _save(tmp_path, "a.npz", a), _save(tmp_path, "b.npz", b)
    args = ["compare", str(pa), str(pb), "--model", str(tmp_path / "m.h5"), "--labels", str(tmp_path / "y.npy")]
    args += ["--category", "log10_pt", "--bins", "-1,0.5,1,3", "--out", str(tmp_path / "m")]
    assert main(args) == 5
    m = json.loads((tmp_path / "m" / "compare.json").read_text())["model"]
    assert len(m["categories"]) == 3 and m["score_fraction_differing"] > 0.99
    assert m["working_point"]["background_efficiency_on_a"] <= 0.44
    # the radius in cm raises every score: the cut chosen on A passes more background on B in every bin
    assert all(c["background_efficiency_b"] >= c["background_efficiency_a"] for c in m["categories"])
    assert sum(c["background_efficiency_b"] - c["background_efficiency_a"] for c in m["categories"]) > 0.3
    assert "signal efficiency A" in capsys.readouterr().out


def test_compare_refuses_mismatched_files(tmp_path, capsys):
    a, _, _ = _inputs(100)
    pa = _save(tmp_path, "a.npz", a)
    pb = _save(tmp_path, "b.npz", {k: v[:50] for k, v in a.items()})
    assert main(["compare", str(pa), str(pb), "--out", str(tmp_path / "x")]) == 2
    assert "A has 100 events and B 50: compare needs the same events in the same order" in capsys.readouterr().err
    pc = _save(tmp_path, "c.npz", {"pt": a["eta"]})
    assert main(["compare", str(pa), str(pc), "--out", str(tmp_path / "y")]) == 2
    assert "only in A: ['eta', 'inner_radius', 'log10_pt']" in capsys.readouterr().err
