import numpy as np
import pytest

from fpga_nn.data import dataset
from fpga_nn.data.generator import PROCESSES, GenerationConfig, chunk_seed, generate_chunk
from fpga_nn.data.selection import COLUMNS
from fpga_nn.errors import UserInputError


def test_embedded_default_contents():
    data = dataset.load_default()
    assert len(data) == 33_480
    assert int(data.label.sum()) == 15_899
    assert data.n_generated == {"signal": 40_000, "background": 100_000}
    assert data.config == dataset.DEFAULT_CONFIG
    assert set(data.features) == set(COLUMNS)
    # Signal peaks at the Higgs mass, the background does not.
    sig_m = data.features["m_llg"][data.label == 1]
    assert 124.0 < np.median(sig_m) < 126.0
    assert np.all((data.features["m_llg"] > 100) & (data.features["m_llg"] < 180))


@pytest.mark.generation
@pytest.mark.parametrize("process", PROCESSES)
def test_embedded_slice_regenerates_identically(process):
    """Chunk 0 of each process, regenerated from its stored seed, gives the shipped events: the same
    selected events, values equal to 1e-12 (derived angles go through libm, whose last bit can differ
    between CPUs: photon eta differed by 4e-16 on 73 of 338 events on one machine)."""
    data = dataset.load_default()
    stored = (data.process == PROCESSES.index(process)) & (data.chunk == 0)
    feats, n = generate_chunk(data.config, process, 0)
    assert n == data.config.chunk_size
    assert len(feats) == int(stored.sum()) > 100
    for col in COLUMNS:
        np.testing.assert_allclose(feats[col], data.features[col][stored], rtol=1e-12, atol=1e-12, err_msg=col)


def test_chunk_seeds_distinct_and_bounded():
    cfg = GenerationConfig(seed=7999)
    seeds = {chunk_seed(cfg, p, k) for p in PROCESSES for k in range(cfg.n_chunks(p))}
    assert len(seeds) == sum(cfg.n_chunks(p) for p in PROCESSES)
    assert max(seeds) < 900_000_000
    with pytest.raises(UserInputError, match="seed"):
        GenerationConfig(seed=9000)


def test_fingerprint_tracks_settings():
    a, b = GenerationConfig(), GenerationConfig(power_shower=True)
    assert a.fingerprint() != b.fingerprint()
    assert "SpaceShower:pTmaxMatch = 2" in b.pythia_settings("background")
    assert "SpaceShower:pTmaxMatch = 2" not in b.pythia_settings("signal")
    assert "PartonLevel:MPI = off" in a.pythia_settings("signal")


@pytest.mark.generation
def test_cache_regenerates_only_when_settings_change(tmp_path, monkeypatch):
    path = tmp_path / "events.h5"
    cfg = GenerationConfig(n_signal=300, n_background=300, seed=5, chunk_size=150)
    first = dataset.cached(cfg, path, workers=1)
    assert len(first) > 0 and first.n_generated == {"signal": 300, "background": 300}

    def no_generation(*args, **kwargs):
        raise AssertionError("regenerated although the settings did not change")

    monkeypatch.setattr(dataset, "generate", no_generation)
    again = dataset.cached(cfg, path, workers=1)
    np.testing.assert_array_equal(again.features["m_llg"], first.features["m_llg"])
    with pytest.raises(AssertionError, match="regenerated"):
        dataset.cached(GenerationConfig(n_signal=300, n_background=300, seed=6, chunk_size=150), path)


def test_load_missing_file_names_fix(tmp_path):
    with pytest.raises(UserInputError, match="fpga-nn data generate"):
        dataset.load(tmp_path / "nope.h5")


def test_split_is_deterministic_and_disjoint():
    a = dataset.split(1000, 3)
    b = dataset.split(1000, 3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert sum(len(x) for x in a) == 1000
    assert len(np.intersect1d(a[0], a[2])) == 0


def test_samples_stored_before_the_new_settings_keep_their_fingerprint():
    """Background window and bias were added later: at their defaults they leave the fingerprint (and the
    Pythia settings) of every stored sample as they were."""
    data = dataset.load_default()
    assert dataset.stored_fingerprint(dataset.default_path()) == data.config.fingerprint()
    settings = data.config.pythia_settings("background")
    assert "PhaseSpace:mHatMin = 100." in settings and "PhaseSpace:mHatMax = 180." in settings
    assert not any("bias2" in s for s in settings)
    assert np.all(data.features["event_weight"] == 1.0)  # stored before weights existed: unweighted


@pytest.mark.generation
def test_biased_background_carries_its_generator_weights():
    from fpga_nn.data.generator import generate_chunk_stats

    cfg = GenerationConfig(
        n_signal=0,
        n_background=1000,
        seed=3,
        chunk_size=1000,
        mhat_min=110,
        mhat_max=140,
        bias_pow=2.0,
        power_shower=True,
    )
    settings = cfg.pythia_settings("background")
    assert "PhaseSpace:bias2SelectionPow = 2." in settings and "SpaceShower:pTmaxMatch = 2" in settings
    feats, stats = generate_chunk_stats(cfg, "background", 0)
    w = feats["event_weight"]
    assert stats["n"] == 1000 and len(feats) > 100
    assert w.min() > 0 and w.max() / w.min() > 2  # the bias gives events unequal weights
    assert w.sum() < stats["weight_sum"]  # the selected events are a part of the generated ones
    assert np.all((feats["m_llg"] > 100) & (feats["m_llg"] < 150))
    assert 0.5 < stats["sigma_pb"] < 10 and 0 < stats["sigma_err_pb"] < stats["sigma_pb"]
