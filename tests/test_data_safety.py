"""Nothing a user has on disk is lost, and no bad input gives a silently wrong answer.

Each case runs the command line as a user would and asserts the exit code, a one-line message
naming the problem, no traceback, and untouched files.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fpga_nn import outdir
from fpga_nn.cli import main
from fpga_nn.errors import UserInputError

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
    hold = (
        "import sys, time; from fpga_nn import outdir; "
        f"outdir.check_target(__import__('pathlib').Path({str(target)!r}), False); print('held', flush=True); "
        "time.sleep(60)"
    )
    other = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        with pytest.raises(UserInputError, match=rf"another fpga-nn run \(pid {other.pid}\) is writing"):
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
    assert (
        main(["emulate", str(default_build), "--data", str(data), "--out", str(tmp_path / "y.npy"), "--chunk", chunk])
        == 2
    )
    assert f"--chunk {chunk}" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_inputs_are_refused_naming_event_and_feature(default_build, tmp_path, user_files, capsys, bad):
    x = np.load(default_build / "vectors" / "inputs.npy")[:100].astype(np.float32)
    x[37, 2] = bad
    data = tmp_path / "x.npy"
    np.save(data, x)
    assert (
        main(["emulate", str(default_build), "--data", str(data), "--out", str(tmp_path / "y.npy"), "--chunk", "16"])
        == 2
    )
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
    (target / outdir.MARKER).write_text('{"files": ["old.txt"]}')
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


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--clock-period", "nan"], "--clock-period nan must be a finite number > 0"),
        (["--input-rate-khz", "nan"], "--input-rate-khz nan must be a finite number > 0"),
        (["--name", ""], "project name '' is not a valid C++ identifier"),
        (["--input-precision", "ap_fixed<0,0>"], "the width must be at least 1 bit"),
    ],
)
def test_bad_options_are_refused_before_any_work(tmp_path, user_files, capsys, args, phrase):
    assert main(_build(*user_files, tmp_path / "out", *args)) == 2
    assert phrase in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_part_names_as_vendors_write_them():
    from fpga_nn.hardware.parts import parse_part

    assert parse_part("  xcvu13p-flga2577-2-e ").name == "xcvu13p-flga2577-2-e"  # stripped before any file
    versal = parse_part("xcvc1902-vsva2197-2MP-e-S")
    assert (versal.device, versal.package, versal.speed, versal.temperature) == ("vc1902", "vsva2197", "2MP", "e")


def test_an_unsafe_model_file_name_becomes_a_safe_project_name(capsys):
    from fpga_nn.cli.build import safe_name

    assert safe_name("my-net v2") == "my_net_v2"
    assert safe_name("2024_model") == "net_2024_model"
    assert safe_name("int") == "net_int"
    assert "note: project name 'my_net_v2'" in capsys.readouterr().err
    assert safe_name("jet_tagger") == "jet_tagger" and capsys.readouterr().err == ""


def test_records_never_hold_bare_nan(tmp_path):
    import json

    from fpga_nn.jsonio import write_json

    write_json(tmp_path / "r.json", {"a": float("nan"), "b": [np.float32("inf"), 1.5], "c": np.float64(2.0)})
    assert json.loads((tmp_path / "r.json").read_text(), parse_constant=lambda c: 1 / 0) == {
        "a": None,
        "b": [None, 1.5],
        "c": 2.0,
    }


def test_report_says_when_the_firmware_is_not_verified(default_build, tmp_path, capsys):
    import json
    import shutil

    project = tmp_path / "p"
    shutil.copytree(default_build, project)
    check = json.loads((project / "csim_check.json").read_text())
    (project / "csim_check.json").write_text(json.dumps({**check, "mismatches": 3}))
    assert main(["report", str(project)]) == 0
    assert (
        "note: VERIFICATION FAILED: the C-simulation differs from the offline model on 3 of" in capsys.readouterr().out
    )
    (project / "csim_check.json").unlink()
    assert main(["report", str(project)]) == 0
    assert "note: bit accuracy unknown: no csim_check.json" in capsys.readouterr().out
    assert main(["report", str(project), "--input-rate-khz", "nan"]) == 2
    assert "--input-rate-khz nan must be a finite number > 0" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("damage", ["missing", "truncated", "record"])
def test_emulate_on_a_damaged_project_is_one_line(default_build, tmp_path, capsys, damage):
    import shutil

    project = tmp_path / "p"
    shutil.copytree(default_build, project)
    if damage == "missing":
        (project / "emulation_weights.npz").unlink()
    elif damage == "truncated":
        blob = (project / "emulation_weights.npz").read_bytes()
        (project / "emulation_weights.npz").write_bytes(blob[: len(blob) // 2])
    else:
        (project / "emulation.json").write_text("{not json")
    data = tmp_path / "x.npy"
    np.save(data, np.load(default_build / "vectors" / "inputs.npy")[:10])
    assert main(["emulate", str(project), "--data", str(data), "--out", str(tmp_path / "y.npy")]) == 2
    assert "rebuild it with 'fpga-nn build'" in _one_line(capsys.readouterr().err)


def test_model_paths_that_are_not_model_files(tmp_path, user_files, capsys):
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    assert (
        main(
            [
                "build",
                "--part",
                PART,
                "--model",
                str(folder),
                "--data",
                str(user_files[1]),
                "--output-dir",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert "not a TensorFlow SavedModel" in _one_line(capsys.readouterr().err)
    text = tmp_path / "model.h5"
    text.write_text("hello")
    assert main(_build(text, user_files[1], tmp_path / "out")) == 2
    assert "model.save('x.h5')" in _one_line(capsys.readouterr().err)


@pytest.mark.csim
@pytest.mark.parametrize("precision", ["ap_fixed<6,2>", "ap_fixed<7,3,AP_RND_CONV,AP_SAT>"])
def test_the_reference_sees_the_input_cast_the_firmware_applies(tmp_path, user_files, capsys, precision):
    """Inputs wider than --input-precision are cast (wrapped/rounded) by the firmware: the QKeras
    reference runs on the cast values, the build is exact, and the build says what the cast changed."""
    import json

    from fpga_nn.fixed import FixedType
    from fpga_nn.fixed.arith import from_float, to_float

    out = tmp_path / "out"
    assert main(_build(*user_files, out, "--input-precision", precision, "--no-rtl")) == 0
    printed = capsys.readouterr().out
    assert "0 mismatches / 200 events" in printed
    check = json.loads((out / "csim_check.json").read_text())
    raw = np.load(user_files[1]).astype(np.float64)
    t = FixedType.parse(precision)
    seen = to_float(from_float(raw, t), t)
    assert check["input_cast"]["changed_values"] == int((raw != seen).sum()) > 100
    assert check["input_cast"]["max_abs_change"] == float(np.abs(raw - seen).max())
    np.testing.assert_array_equal(np.load(out / "vectors" / "inputs.npy"), seen.astype(np.float32))
    assert f"input cast: {t.to_ap()} changed {check['input_cast']['changed_values']} input values" in printed


def test_types_wider_than_verified_are_refused_before_compiling(tmp_path, capsys):
    """A plain float Keras model: its accumulator needs more than 62 bits (74-75, by its unseeded random weights)
    once its float weights get types that hold them (fc1's ReLU keeps its input's type); refused naming the layer
    and the fix (--precision), no build."""
    import tensorflow as tf

    model = tf.keras.Sequential(
        [
            tf.keras.layers.Dense(8, activation="relu", input_shape=(5,), name="fc1"),
            tf.keras.layers.Dense(1, name="out"),
        ]
    )
    model.save(tmp_path / "float_net.h5")
    np.save(tmp_path / "x.npy", signed_inputs(50, 5, seed=2))
    assert main(_build(tmp_path / "float_net.h5", tmp_path / "x.npy", tmp_path / "out")) == 2
    line = _one_line(capsys.readouterr().err)
    found = re.search(
        r"layer 'out' needs accum type fixed<(\d+),\d+,TRN,WRAP,0> \((\d+) bits\), wider than the 62 ", line
    )
    assert found and found.group(1) == found.group(2) and int(found.group(1)) > 62 and "--precision" in line
    assert not (tmp_path / "out").exists()


def test_results_name_cached_samples_without_the_machines_folders(tmp_path, monkeypatch):
    from fpga_nn.data import h5cache

    monkeypatch.setenv("FPGA_NN_CACHE", str(tmp_path / "cache"))
    sample = h5cache.cache_dir("jets") / "jets-0123.h5"
    assert h5cache.portable(sample) == "$FPGA_NN_CACHE/jets/jets-0123.h5"
    assert h5cache.portable(tmp_path / "mine" / "events.h5") == "events.h5"  # a user's file: its name alone


def test_two_processes_asking_for_one_sample_generate_it_once(tmp_path):
    """Two runs sharing a cache (two xdist workers, two users' jobs) ask for the same missing sample: one
    generates it under the sample's lock, the other waits and reuses it."""
    import threading

    import h5py

    from fpga_nn.data import h5cache

    made = []

    def make(path):
        made.append(path.name)
        time.sleep(0.5)
        with h5py.File(path, "w") as f:
            f.attrs["fingerprint"] = "fp-1"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(h5cache.cached(tmp_path / "s.h5", "fp-1", make, "sample")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == ["s.h5"] and sorted(r[1] for r in results) == [False, True]
    assert all(r[0] == tmp_path / "s.h5" for r in results)
