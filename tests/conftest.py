import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", module="qkeras")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

PART = "xcvu13p-flga2577-2-e"


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    """One short-trained default trigger build shared by the tests that inspect its output."""
    from fpga_nn.pipeline.firmware import BuildOptions
    from fpga_nn.pipeline.trigger import build_trigger
    from fpga_nn.quantize.train import TrainConfig

    out = tmp_path_factory.mktemp("builds") / "trigger"
    options = BuildOptions(part=PART, name="trigger", output_dir=out)
    return build_trigger(options, train_config=TrainConfig(epochs=8, patience=3))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
