"""Event images of seed 003: the disc drawing, and the processes' physics in the generated images."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_nn.data import event_images as ei


def test_disc_radius_is_alpha_ln_pt_and_phi_wraps():
    size, alpha = 32, 0.6
    centre = (16 + 0.5) / size
    eta, phi = -ei.ETA_MAX + centre * 2 * ei.ETA_MAX, -np.pi + centre * 2 * np.pi
    img = ei.draw([(1, eta, phi, np.exp(3.2 / alpha))], size, alpha)  # radius 3.2 pixels on a pixel centre
    assert img.dtype == np.uint8 and img.shape == (32, 32, 3)
    assert img[:, :, 1].sum() == 37 and img[:, :, 0].sum() == 0 == img[:, :, 2].sum()  # i^2 + j^2 <= 10
    edge = ei.draw([(2, 0.0, np.pi - 1e-6, np.exp(2 / alpha))], size, alpha)[:, :, 2]
    assert edge[:, 0].sum() > 0 and edge[:, -1].sum() > 0  # a disc at phi = pi continues at -pi


@pytest.fixture(scope="module")
def chunks():
    cfg = ei.EventImageConfig(n_events=(200, 400, 200), chunk_size=400)
    return cfg, {p: ei.generate_chunk(cfg, p, 0)[0] for p in ei.CLASSES}


def test_processes_look_like_themselves(chunks):
    cfg, out = chunks
    dy, tt, w = out["drell_yan"], out["ttbar"], out["w_jets"]
    for p, arrays in out.items():
        assert len(arrays["label"]) > 50, p
        assert np.all(arrays["label"] == ei.CLASSES.index(p)) and np.all(arrays["n_muons"] >= 1)
        assert set(np.unique(arrays["images"])) <= {0, 1}
        assert np.all(arrays["images"][:, :, :, 0].reshape(len(arrays["label"]), -1).max(axis=1) == 1)
    assert np.mean(dy["n_muons"] >= 2) > 0.5 > np.mean(w["n_muons"] >= 2)
    assert np.median(tt["n_jets"]) >= 3 > np.median(dy["n_jets"])
    assert np.median(w["met"]) > 2 * np.median(dy["met"])


def test_event_image_chunks_are_reproducible(chunks):
    cfg, out = chunks
    again, n = ei.generate_chunk(cfg, "w_jets", 0)
    assert n == 200
    for k, v in again.items():
        np.testing.assert_array_equal(v, out["w_jets"][k], err_msg=k)
