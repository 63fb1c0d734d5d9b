"""The round-3 probe as a table: bad input for every command that a user can type.

Each case runs the command line as a user would and asserts exit code 2, one line naming the
problem (no traceback) and that every file the user had is untouched. ``test_every_command_has_cases``
fails when a new command ships without rows here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fpga_nn import outdir
from fpga_nn.cli import cli, main

from .conftest import PART
from .qmodels import make_model, signed_inputs


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("WARNING")]
    assert len(lines) == 1, err
    return lines[0]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _user_dir(tmp_path: Path, name="mine") -> Path:
    """A folder of a user's own files (what the probe's scan replaced)."""
    d = tmp_path / name
    d.mkdir()
    (d / "index.html").write_text("<p>my page</p>")
    (d / "results.json").write_text('{"mine": true}')
    return d


def _keras3(tmp_path: Path) -> Path:
    import keras

    path = tmp_path / "k3.keras"
    keras.Sequential([keras.layers.Input((5,)), keras.layers.Dense(1)]).save(path)
    return path


def _a_file(tmp_path: Path) -> Path:
    f = tmp_path / "a_file"
    f.write_text("not a folder")
    return f


def _results_of(tmp_path: Path, command: str) -> Path:
    d = tmp_path / f"{command}_results"
    d.mkdir()
    (d / outdir.RESULTS_MARKER).write_text(json.dumps({"tool": "fpga-nn", "command": command}))
    (d / "results.json").write_text("{}")
    return d


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "cfg.yaml"
    p.write_text(text)
    return p


def _npz(tmp_path: Path, name: str, **arrays) -> Path:
    p = tmp_path / name
    np.savez(p, **arrays)
    return p


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _damaged(tmp_path: Path, project: Path, name: str, text: str) -> Path:
    copy = tmp_path / "damaged"
    shutil.copytree(project, copy)
    (copy / name).write_text(text)
    return copy


def _project_with_notes(tmp_path: Path, project: Path) -> Path:
    copy = tmp_path / "proj"
    shutil.copytree(project, copy)
    (copy / "notes.txt").write_text("my notes")
    (copy / "myproject_prj").mkdir()
    (copy / "myproject_prj" / "vitis_hls.log").write_text("a vendor run")
    return copy


# command -> [(id, function (tmp_path, ctx) -> argv, phrase)]; ctx: user model, data, a built project
CASES = {
    "build": [
        ("output-dir is a file", lambda t, c: [*c.build, "--output-dir", str(_a_file(t))], "is not a directory"),
        (
            "force keeps a user's files",
            lambda t, c: [*c.build, "--output-dir", str(_project_with_notes(t, c.project)), "--force"],
            "holds 2 file(s) fpga-nn did not write (myproject_prj/vitis_hls.log, notes.txt)",
        ),
        (
            "network inputs given as raw values",
            lambda t, c: [*c.build[:3], "--model", str(Path(__file__).parent / "data" / "trigger_net.h5"), "--data", str(c.project / "vectors" / "inputs.npy"), "--output-dir", str(t / "o")],
            "these are not raw values on the declared scale",
        ),
        ("point is a path", lambda t, c: ["build", "--part", PART, "--from-scan", str(t), "--point", "../../x/points/abc"], "is not a point id"),
        ("precision auto of 2 bits", lambda t, c: [*c.build, "--output-dir", str(t / "o"), "--precision", "auto<2>"], "--precision auto<2>: the width must be 4 to 32 bits"),
    ],
    "scan": [
        ("out holds a user's files", lambda t, c: ["scan", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write (index.html"),
        ("out is a file", lambda t, c: ["scan", "--quick", "--out", str(_a_file(t))], "is not a directory"),
        ("out holds another command's results", lambda t, c: ["scan", "--quick", "--out", str(_results_of(t, "suite"))], "results of fpga-nn suite, not of scan"),
        ("latency cutoff <= 0", lambda t, c: ["scan", str(_yaml(t, "grid: {latency_cutoff: [-1.0]}\n")), "--out", str(t / "s")], "'grid.latency_cutoff' = -1.0"),
        ("negative learning rate", lambda t, c: ["scan", str(_yaml(t, "training: {learning_rate: -1}\n")), "--out", str(t / "s")], "'training.learning_rate' = -1"),
        ("workers 0", lambda t, c: ["scan", "--workers", "0", "--out", str(t / "s")], "'--workers': 0 is not in the range"),
    ],
    "suite": [
        ("out holds a user's files", lambda t, c: ["suite", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("bootstrap 0", lambda t, c: ["suite", "--config", str(_yaml(t, "bootstrap: 0\n")), "--out", str(t / "s")], "'bootstrap' = 0 must be an integer >= 1"),
        ("seeds not a list", lambda t, c: ["suite", "--config", str(_yaml(t, "training: {seeds: 3}\n")), "--out", str(t / "s")], "'training.seeds' = 3"),
        ("backend not installed", lambda t, c: ["suite", "--quick", "--backend", "torch", "--out", str(t / "s")], "'torch' needs the torch package, which is not installed"),
        ("backend unknown", lambda t, c: ["suite", "--quick", "--backend", "mxnet", "--out", str(t / "s")], "'--backend': 'mxnet' is not one of"),
    ],
    "compare": [
        ("rtol nan", lambda t, c: ["compare", str(c.npz), str(c.npz), "--rtol", "nan", "--out", str(t / "c")], "--rtol nan must be a finite number >= 0"),
        ("rtol negative", lambda t, c: ["compare", str(c.npz), str(c.npz), "--rtol", "-1", "--out", str(t / "c")], "--rtol -1.0 must be"),
        ("working point 1.5", lambda t, c: ["compare", str(c.npz), str(c.npz), "--working-point", "1.5", "--out", str(t / "c")], "--working-point 1.5 must be a background efficiency in (0, 1)"),
        ("ragged npz", lambda t, c: ["compare", str(_npz(t, "r.npz", a=np.zeros(3), b=np.zeros(4))), str(c.npz), "--out", str(t / "c")], "different numbers of events (a 3, b 4)"),
        ("non-numeric csv cell", lambda t, c: ["compare", str(_csv(t, "a.csv", "a,b\n1,2\n3,x\n")), str(_csv(t, "b.csv", "a,b\n1,2\n3,4\n")), "--out", str(t / "c")], "line 3, column 'b': 'x' is not a number"),
        ("out holds a user's files", lambda t, c: ["compare", str(c.npz), str(c.npz), "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("input missing: no folder left", lambda t, c: ["compare", str(t / "none.npz"), str(c.npz), "--out", str(t / "c")], "not found"),
    ],
    "emulate": [
        ("out exists", lambda t, c: ["emulate", str(c.project), "--data", str(c.raw), "--out", str(c.existing)], "already exists: choose another file, or pass --force"),
        ("out is a folder", lambda t, c: ["emulate", str(c.project), "--data", str(c.raw), "--out", str(t)], "is a folder"),
        (
            "network inputs read as raw values",
            lambda t, c: ["emulate", str(c.project), "--data", str(c.project / "vectors" / "inputs.npy"), "--out", str(t / "y.npy")],
            "these are not raw values on the declared scale; pass --inputs network",
        ),
        (
            "codes given as network inputs",
            lambda t, c: ["emulate", str(c.project), "--data", str(c.project / "vectors" / "codes.npy"), "--inputs", "network", "--out", str(t / "y.npy")],
            "these look like bus codes; pass --inputs codes",
        ),
    ],
    "report": [
        (
            "damaged csim record",
            lambda t, c: ["report", str(_damaged(t, c.project, "csim_check.json", '{"events": "x"}'))],
            "csim_check.json is damaged ('events' = 'x'): the bit accuracy is unknown; rebuild the project",
        ),
        ("not a project", lambda t, c: ["report", str(_user_dir(t))], "is not an fpga-nn project"),
        ("rate nan", lambda t, c: ["report", str(c.project), "--input-rate-khz", "nan"], "--input-rate-khz nan must be a finite number > 0"),
    ],
    "check": [
        ("data missing", lambda t, c: ["check", str(c.model), "--data", str(t / "none.npy")], "not found"),
        ("a Keras 3 file", lambda t, c: ["check", str(_keras3(t)), "--data", str(c.x)], "is a float Keras 3 layer: its output has no fixed-point type"),
    ],
    "data": [
        ("out is a user's file", lambda t, c: ["data", "generate", "--out", str(_a_file(t)), "--signal", "10", "--background", "10"], "is not an fpga-nn sample"),
        ("no events", lambda t, c: ["data", "generate", "--out", str(t / "e.h5"), "--signal", "0", "--background", "0"], "generates nothing"),
    ],
    "cnn": [
        ("out holds a user's files", lambda t, c: ["cnn", "--out", str(_user_dir(t)), "--output-dir", str(t / "fw")], "fpga-nn did not write"),
        ("out is a file", lambda t, c: ["cnn", "--out", str(_a_file(t)), "--output-dir", str(t / "fw")], "is not a directory"),
    ],
    "llp": [
        ("out holds a user's files", lambda t, c: ["llp", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("out is a file", lambda t, c: ["llp", "--quick", "--out", str(_a_file(t))], "is not a directory"),
    ],
    "events": [
        ("out holds a user's files", lambda t, c: ["events", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("out holds another command's results", lambda t, c: ["events", "--quick", "--out", str(_results_of(t, "llp"))], "results of fpga-nn llp"),
    ],
    "tracking": [
        ("out holds a user's files", lambda t, c: ["tracking", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("workers 0", lambda t, c: ["tracking", "--quick", "--workers", "0"], "'--workers': 0 is not in the range"),
    ],
    "trigger-rate": [
        ("out holds a user's files", lambda t, c: ["trigger-rate", "--quick", "--out", str(_user_dir(t))], "fpga-nn did not write"),
        ("out holds another command's results", lambda t, c: ["trigger-rate", "--quick", "--out", str(_results_of(t, "llp"))], "results of fpga-nn llp"),
        ("part unknown", lambda t, c: ["trigger-rate", "--quick", "--part", "xc9nope"], "xc9nope"),
        ("two short runs", lambda t, c: ["trigger-rate", "--quick", "--embedded", "--out", str(t / "tr")], "give one"),
    ],
}  # fmt: skip


class Ctx:
    def __init__(self, tmp_path: Path, project: Path):
        self.model = tmp_path / "net.h5"
        make_model(hidden=(6,), wint=1, seed=3, name="safe").save(self.model)
        self.x = tmp_path / "x.npy"
        np.save(self.x, signed_inputs(50, 5, seed=4))
        self.build = ["build", "--part", PART, "--model", str(self.model), "--data", str(self.x)]
        self.project = project
        self.raw = tmp_path / "raw.npy"
        np.save(self.raw, np.load(project / "vectors" / "raw.npy")[:20])
        self.existing = tmp_path / "scores.npy"
        np.save(self.existing, np.arange(3.0))
        rng = np.random.default_rng(0)
        self.npz = _npz(tmp_path, "a.npz", pt=rng.uniform(1, 2, 20), eta=rng.uniform(-2, 2, 20))


def test_every_command_has_cases():
    assert sorted(CASES) == sorted(cli.commands)


@pytest.mark.parametrize(
    "command, argv, phrase",
    [
        pytest.param(cmd, argv, phrase, id=f"{cmd}: {name}")
        for cmd, rows in CASES.items()
        for name, argv, phrase in rows
    ],
)
def test_bad_input_is_one_line_and_nothing_is_touched(default_build, tmp_path, capsys, command, argv, phrase):
    ctx = Ctx(tmp_path, default_build)
    args = argv(tmp_path, ctx)
    before = _snapshot(tmp_path)
    folders = sorted(p for p in tmp_path.rglob("*") if p.is_dir())
    project_before = _snapshot(default_build)
    assert main(args) == 2
    assert phrase in _one_line(capsys.readouterr().err)
    after = _snapshot(tmp_path)
    assert after == before  # nothing the user had changed, nothing left behind
    assert sorted(p for p in tmp_path.rglob("*") if p.is_dir()) == folders
    assert _snapshot(default_build) == project_before
    assert not [
        p
        for p in tmp_path.rglob("*")
        if (p.name.endswith(".lock") and p.name != ".csim.lock") or ".building-" in p.name
    ]


def test_inf_equals_itself_and_nan_agrees_with_nan(tmp_path, capsys):
    a = _npz(tmp_path, "a.npz", x=np.array([np.inf, -np.inf, np.nan, 1.0]), y=np.array([0.0, 1, 2, 3]))
    assert main(["compare", str(a), str(a), "--out", str(tmp_path / "c")]) == 0
    rows = json.loads((tmp_path / "c" / "compare.json").read_text())["features"]
    assert [r["differing"] for r in rows] == [0, 0]
    b = _npz(tmp_path, "b.npz", x=np.array([np.inf, np.inf, 1.0, 1.0]), y=np.array([0.0, 1, 2, 3]))
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c")]) == 5  # -inf vs inf, nan vs 1 differ
    rows = json.loads((tmp_path / "c" / "compare.json").read_text())["features"]
    assert [r["differing"] for r in rows] == [2, 0]


def test_compare_help_states_its_exit_codes(capsys):
    assert main(["compare", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "5 when a feature differs" in text and "exit status is 1" not in text


def test_a_nearly_full_disk_or_a_read_only_folder_is_refused_before_work(tmp_path, capsys, monkeypatch):
    class Usage:
        free = 10 << 20

    monkeypatch.setattr(outdir.shutil, "disk_usage", lambda path: Usage())
    assert main(["scan", "--quick", "--out", str(tmp_path / "s")]) == 2
    assert "only 10 MiB free under" in _one_line(capsys.readouterr().err)
    monkeypatch.undo()

    def refuse(*args, **kwargs):  # what a read-only folder does (root may write anywhere, so simulate it)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(outdir.tempfile, "NamedTemporaryFile", refuse)
    for argv in (["llp", "--quick", "--out"], ["compare", "x.npz", "y.npz", "--out"], ["suite", "--quick", "--out"]):
        assert main([*argv, str(tmp_path / "ro" / "out")]) == 2
        assert "cannot write into" in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "ro" / "out").exists()


def test_force_lists_what_it_removes_and_a_second_writer_is_refused(tmp_path, default_build, caplog):
    import logging

    target = tmp_path / "proj"
    shutil.copytree(default_build, target)
    outdir.check_target(target, force=True)  # this process holds the lock now
    out = tmp_path / "res"
    with outdir.results_folder(out, "scan"):
        import subprocess
        import sys

        code = (
            "from fpga_nn import outdir; from fpga_nn.errors import UserInputError\n"
            f"try:\n    outdir.results_folder({str(out)!r}, 'scan').__enter__()\n"
            "except UserInputError as e:\n    print(e)\n"
        )
        text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert "another fpga-nn run (pid" in text and "is writing" in text
    outdir.release(target)
    with caplog.at_level(logging.INFO, logger="fpga_nn.outdir"):
        with outdir.staged(target, force=True) as staging:
            (staging / "new.txt").write_text("new build")
    assert any("removed" in r.getMessage() and "firmware/" in r.getMessage() for r in caplog.records)
    marker = json.loads((target / outdir.MARKER).read_text())
    assert marker["files"] == ["new.txt"] and sorted(p.name for p in target.iterdir()) == [outdir.MARKER, "new.txt"]


def test_scratch_folders_of_killed_runs_are_swept(tmp_path, monkeypatch):
    import subprocess
    import sys

    from fpga_nn import scratch

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch.tempfile, "tempdir", str(tmp_path))
    code = "import os, sys; from fpga_nn.scratch import scratch\nwith scratch('csim') as d:\n    print(d, flush=True); os.kill(os.getpid(), 9)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**__import__("os").environ}
    )
    left = Path(proc.stdout.strip())
    assert proc.returncode == -9 and left.is_dir() and left.name.startswith("fpga-nn-csim-")
    with scratch.scratch("check") as mine:
        assert not left.exists()  # the dead run's folder is gone, this one lives
        assert scratch.sweep() == [] and mine.is_dir()
    assert list(tmp_path.iterdir()) == []


def _tagged_processes(tag: str) -> list[str]:
    """Processes (children included, wherever they were reparented) started with ``FPGA_NN_TEST_TAG=tag``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"FPGA_NN_TEST_TAG={tag}".encode() in (proc / "environ").read_bytes():
                found.append((proc / "comm").read_text().strip())
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, delay",
    [
        (["suite", "--quick"], 12.0),  # samples being generated in worker processes, or the first rows training
        (["scan", "--quick"], 14.0),  # a Dask LocalCluster with worker processes
        (["llp", "--quick"], 10.0),
    ],
    ids=["suite", "scan", "llp"],
)
def test_sigterm_ends_long_commands_within_seconds_and_leaves_nothing(tmp_path, argv, delay):
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    out = tmp_path / "out"
    out.mkdir()
    (out / outdir.RESULTS_MARKER).write_text(json.dumps({"tool": "fpga-nn", "command": argv[0]}))
    (out / "results.json").write_text('{"previous": "results"}')
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tag = uuid.uuid4().hex
    env = {**os.environ, "TMPDIR": str(tmp), "FPGA_NN_CACHE": str(tmp_path / "cache"), "FPGA_NN_TEST_TAG": tag}
    cmd = [sys.executable, "-m", "fpga_nn", *argv, "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    assert proc.poll() is None, proc.communicate()
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode == 143, err[-2000:]
    # on failure, show where the traceback came from (seen once under load: TensorFlow's nest_util)
    where = err[max(0, err.find("Traceback") - 300) :][:4000] if "Traceback" in err else err[-2000:]
    assert "terminated (SIGTERM)" in err and "Traceback" not in err and "Exception ignored" not in err, where
    assert took < 35.0
    deadline = time.monotonic() + 10
    while _tagged_processes(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _tagged_processes(tag) == []
    assert [p.name for p in tmp.iterdir()] == []
    assert json.loads((out / "results.json").read_text()) == {"previous": "results"}
    assert not list(tmp_path.glob(".*.lock"))


def test_after_sigterm_an_unraisable_terminated_is_silent_and_other_errors_are_not(monkeypatch):
    """Python prints "Exception ignored in ..." and a traceback when a __del__ cannot raise: after SIGTERM our
    own Terminated (the request, raised again at the next safe point) is silent, anything else goes on to the
    hook that was there before."""
    import gc
    import sys

    from fpga_nn import signals
    from fpga_nn.errors import Terminated

    shown = []
    monkeypatch.setattr(signals, "_REQUESTED", signals.threading.Event())
    monkeypatch.setattr(signals, "_DEFAULT_UNRAISABLE", shown.append)
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    monkeypatch.setattr(signals.threading, "Thread", lambda **kw: type("T", (), {"start": lambda self: None})())
    with pytest.raises(Terminated):
        signals.on_sigterm(15, None)
    assert signals.terminating() and sys.unraisablehook is signals._quiet_unraisable

    class Swallowed:
        def __del__(self):
            raise Terminated()

    class Other:
        def __del__(self):
            raise ValueError("a real error")

    obj = Swallowed()
    del obj
    gc.collect()
    assert shown == []
    obj = Other()
    del obj
    gc.collect()
    assert [type(u.exc_value).__name__ for u in shown] == ["ValueError"]
