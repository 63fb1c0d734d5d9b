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


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# The longest tests (`pytest --durations=12` on 2 cores), started first: pytest-xdist's worksteal gives each
# worker a contiguous half of the collection and an idle worker steals from the end of the other's, so with
# the longest at the front the run ends on short tests and both cores stay busy to the end.
LONGEST = (
    "test_scan.py::test_tiny_scan_on_a_local_cluster",
    "test_suite.py::test_quick_suite_end_to_end",
    "test_event_images.py::test_quick_events_table",
    "test_hgq2.py::test_an_hgq2_model_builds_bit_exact_with_rtl_figures",
    "test_backends.py::test_quick_suite_float_rows_agree",
    "test_llp.py::test_quick_llp_table",
    "test_any_model.py::test_random_models_emulator_equals_qkeras",
    "test_emulator.py::test_emulator_equals_csim_on_random_models",
    "test_tracking.py::test_tracking_quick",
    "test_trigger_rate.py::test_trigger_rate_quick_runs",
    "test_gpu_check.py::",
    "test_cli.py::test_user_model_build_and_force",
)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        node = item.nodeid.split("/")[-1]
        first = [i for i, name in enumerate(LONGEST) if node.startswith(name)]
        return (first[0] if first else len(LONGEST), 0 if item.get_closest_marker("slow") else 1)

    items.sort(key=rank)  # stable: file order within each rank
