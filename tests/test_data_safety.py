"""Nothing a user has on disk is lost, and no bad input gives a silently wrong answer.

Each case runs the command line as a user would and asserts the exit code, a one-line message
naming the problem, no traceback, and untouched files.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fpga_nn.cli import main
from fpga_nn.errors import UserInputError
from fpga_nn.pipeline import outdir

from .conftest import PART
from .qmodels import make_model, signed_inputs


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def user_files(tmp_path):
    make_model(hidden=(6,), wint=1, seed=3, name="safe").save(tmp_path / "net.h5")
    np.save(tmp_path / "x.npy", signed_inputs(200, 5, seed=4))
    return tmp_path / "net.h5", tmp_path / "x.npy"


def _build(model, data, out, *extra):
    return ["build", "--part", PART, "--model", str(model), "--data", str(data), "--output-dir", str(out), *extra]


def test_force_never_replaces_a_folder_fpga_nn_did_not_write(tmp_path, user_files, capsys):
    target = tmp_path / "thesis"
    (target / "sub").mkdir(parents=True)
    (target / "thesis.tex").write_text("three years")
    assert main(_build(*user_files, target, "--force")) == 2
    line = _one_line(capsys.readouterr().err)
    assert "is not an fpga-nn project" in line and "--output-dir" in line
    assert (target / "thesis.tex").read_text() == "three years" and (target / "sub").is_dir()


def test_force_never_replaces_the_current_directory(tmp_path, user_files, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.md").write_text("mine")
    monkeypatch.chdir(work)
    assert main(_build(*user_files, ".", "--force")) == 2
    assert "current directory" in _one_line(capsys.readouterr().err)
    assert main(_build(*user_files, "..", "--force")) == 2  # a folder above it
    assert "current directory" in _one_line(capsys.readouterr().err)
    assert (work / "notes.md").read_text() == "mine"


def test_force_never_replaces_the_folder_holding_the_inputs(tmp_path, capsys):
    mynet = tmp_path / "mynet"
    mynet.mkdir()
    make_model(hidden=(6,), wint=1, seed=3, name="safe").save(mynet / "net.h5")
    np.save(mynet / "x.npy", signed_inputs(50, 5, seed=4))
    (mynet / "firmware").mkdir()  # even one that looks like a project
    (mynet / "build.json").write_text("{}")
    assert main(_build(mynet / "net.h5", mynet / "x.npy", mynet, "--force")) == 2
    assert "holds the input" in _one_line(capsys.readouterr().err)
    assert (mynet / "net.h5").is_file() and (mynet / "x.npy").is_file()


def test_a_second_build_of_the_same_target_is_refused_while_the_first_runs(tmp_path):
    target = tmp_path / "proj"
    hold = ("import sys, time; from fpga_nn.pipeline import outdir; "
            f"outdir.check_target(__import__('pathlib').Path({str(target)!r}), False); print('held', flush=True); "
            "time.sleep(60)")
    other = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        with pytest.raises(UserInputError, match=rf"another fpga-nn build \(pid {other.pid}\) is writing"):
            outdir.check_target(target, False)
    finally:
        other.kill()
        other.wait()
    outdir.check_target(target, False)  # the operating system dropped the dead build's lock
    outdir.release(target)
    assert not (tmp_path / ".proj.lock").exists()


def test_stale_staging_folders_of_killed_builds_are_removed(tmp_path):
    target = tmp_path / "proj"
    for leftover in (".proj.building-abc", ".proj.old-def"):
        (tmp_path / leftover).mkdir()
        (tmp_path / leftover / "big.bin").write_bytes(b"0" * 100)
    (tmp_path / ".other.building-x").mkdir()  # another target's: not ours to judge
    outdir.check_target(target, False)
    outdir.release(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.building-x"]


def test_emulate_refuses_to_overwrite_its_input(default_build, tmp_path, capsys):
    x = np.load(default_build / "vectors" / "inputs.npy")[:100]
    data = tmp_path / "x.npy"
    np.save(data, x)
    before = data.read_bytes()
    assert main(["emulate", str(default_build), "--data", str(data), "--out", str(data)]) == 2
    assert "is the input file" in _one_line(capsys.readouterr().err)
    assert data.read_bytes() == before


@pytest.mark.parametrize("chunk", ["-5", "0"])
def test_emulate_chunk_must_be_positive(default_build, tmp_path, capsys, chunk):
    data = tmp_path / "x.npy"
    np.save(data, np.load(default_build / "vectors" / "inputs.npy")[:10])
    assert main(["emulate", str(default_build), "--data", str(data), "--out", str(tmp_path / "y.npy"),
                 "--chunk", chunk]) == 2
    assert f"--chunk {chunk}" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused_naming_event_and_feature(default_build, tmp_path, user_files, capsys, bad):
    x = np.load(default_build / "vectors" / "inputs.npy")[:100].astype(np.float32)
    x[37, 2] = bad
    data = tmp_path / "x.npy"
    np.save(data, x)
    assert main(["emulate", str(default_build), "--data", str(data), "--out", str(tmp_path / "y.npy"),
                 "--chunk", "16"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "event 37, feature 2" in line and "non-finite" in line
    y = signed_inputs(50, 5, seed=1)
    y[4, 1] = bad
    np.save(data, y)
    assert main(_build(user_files[0], data, tmp_path / "out")) == 2
    assert "event 4, feature 1" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["npz", "complex", "object", "bool", "empty", "pickle"])
def test_bad_input_arrays_get_one_line(tmp_path, user_files, capsys, kind):
    data = tmp_path / "x.npy"
    x = signed_inputs(20, 5, seed=1)
    if kind == "npz":
        data = tmp_path / "x.npz"
        np.savez(data, x=x, y=x)
        phrase = ".npz archive holding ['x', 'y']"
    elif kind == "complex":
        np.save(data, x + 1j)
        phrase = "complex values"
    elif kind == "object":
        np.save(data, x.astype(object), allow_pickle=True)
        phrase = "not a numeric .npy array"
    elif kind == "pickle":
        data.write_bytes(b"\x80\x04K\x01.")
        phrase = "not a numeric .npy array"
    elif kind == "bool":
        np.save(data, x > 0)
        phrase = "booleans"
    else:
        np.save(data, x[:0])
        phrase = "holds no events"
    assert main(_build(user_files[0], data, tmp_path / "out")) == 2
    assert phrase in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_unwritable_parent_is_a_clear_error(tmp_path, user_files, capsys, monkeypatch):
    def refuse(*args, **kwargs):  # what a read-only folder does (root may write anywhere, so simulate it)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(outdir.tempfile, "NamedTemporaryFile", refuse)
    assert main(_build(*user_files, tmp_path / "ro" / "out")) == 2
    line = _one_line(capsys.readouterr().err)
    assert "cannot write into" in line and "Permission denied" in line


def _processes_under(folder: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if cwd.startswith(str(folder)):
            found.append((proc / "comm").read_text().strip())
    return found


@pytest.mark.csim
def test_sigterm_mid_compile_leaves_everything_as_it_was(tmp_path, user_files):
    target = tmp_path / "proj"
    target.mkdir()
    (target / outdir.MARKER).write_text("{}")
    (target / "old.txt").write_text("the previous build")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "fpga_nn", *_build(*user_files, target, "--force", "--no-rtl")]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while not list(tmp.glob("fpga-nn-csim-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)  # the C-simulation's temporary folder exists while g++ compiles
    assert list(tmp.glob("fpga-nn-csim-*")), "the build never reached its C-simulation"
    time.sleep(1.0)
    compiling = _processes_under(tmp_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert compiling  # g++ (or its driver) was running when the signal came
    time.sleep(0.5)
    assert _processes_under(tmp_path) == []
    assert list(tmp.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.h5", "proj", "tmp", "x.npy"]
    assert sorted(p.name for p in target.iterdir()) == [outdir.MARKER, "old.txt"]
