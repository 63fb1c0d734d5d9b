import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", module="qkeras")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

PART = "xcvu13p-flga2577-2-e"
# `make test-long` sets FPGA_NN_LONG_TESTS=1: the property tests then draw many more examples
LONG = os.environ.get("FPGA_NN_LONG_TESTS") == "1"
if os.environ.get("PYTEST_XDIST_WORKER"):  # workers share the cores: one compile job each
    os.environ.setdefault("FPGA_NN_JOBS", "1")


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """One short-trained default trigger build shared by the tests that inspect its output.

    Built once for the whole run: pytest-xdist workers share the parent of their base temporary
    folders, and the first worker to take the lock builds while the others wait and reuse it.
    """
    import fcntl

    from fpga_nn.build.firmware import BuildOptions
    from fpga_nn.build.trigger import build_trigger
    from fpga_nn.training.train import TrainConfig

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    out = shared / "shared_builds" / "trigger"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "csim_check.json").is_file():
            options = BuildOptions(part=PART, name="trigger", output_dir=out, force=out.exists())
            build_trigger(options, train_config=TrainConfig(epochs=8, patience=3))
    return out


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    """One $FPGA_NN_CACHE for the tests that generate the same samples (the quick suite's): the first
    generates, the others (any xdist worker) wait on the sample's lock and reuse it, as users sharing a
    cache do. Tests that kill or corrupt a cache keep their own."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    return shared / "shared_cache"


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
