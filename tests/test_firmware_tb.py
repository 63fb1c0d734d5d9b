"""firmware_tests/golden_tb.cpp: the HLS top function, compiled with g++, against the golden vectors."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

TB = Path(__file__).parent.parent / "firmware_tests" / "golden_tb.cpp"

pytestmark = [pytest.mark.csim, pytest.mark.slow]


def _build_tb(project: Path, out: Path) -> Path:
    build = json.loads((project / "build.json").read_text())
    name = build["project_name"]
    n_in = int(np.prod(np.load(project / "vectors" / "inputs.npy", mmap_mode="r").shape[1:]))
    n_out = int(np.prod(np.load(project / "vectors" / "expected.npy", mmap_mode="r").shape[1:]))
    exe = out / "golden_tb"
    subprocess.run(
        [
            "g++",
            "-O2",
            "-std=c++14",
            "-w",
            f"-I{project}",
            f"-I{project / 'firmware' / 'ap_types'}",
            f"-DTOP={name}",
            f'-DTOP_HEADER="firmware/{name}.h"',
            f"-DFPGA_NN_N_IN={n_in}",
            f"-DFPGA_NN_N_OUT={n_out}",
            str(TB),
            str(project / "firmware" / f"{name}.cpp"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    return exe


def test_golden_vectors_pass_and_a_flipped_lsb_fails(default_build, tmp_path):
    exe = _build_tb(default_build, tmp_path)
    vec = default_build / "vectors"
    ok = subprocess.run([str(exe), str(vec / "inputs.npy"), str(vec / "expected.npy")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == "11718 passed, 0 failed"

    bad = np.load(vec / "expected.npy")
    bad[1234, 0] += 1 / 16  # one LSB of ap_fixed<8,4>
    np.save(tmp_path / "bad.npy", bad)
    fail = subprocess.run(
        [str(exe), str(vec / "inputs.npy"), str(tmp_path / "bad.npy")], capture_output=True, text=True
    )
    assert fail.returncode == 1
    assert fail.stdout.strip().splitlines()[-1] == "11717 passed, 1 failed"
    assert "event 1234 output 0" in fail.stdout
