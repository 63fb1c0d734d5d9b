"""Command-line behaviour: clear one-line errors, exit codes, nothing on disk lost."""

import json
import subprocess
import sys

import numpy as np
import pytest

from fpga_nn.cli import main

from .conftest import PART
from .qmodels import make_model, signed_inputs


def test_help_does_not_import_tensorflow():
    code = "import sys; from fpga_nn.cli import main; main(['--help']); print('TF', 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "build" in out and "TF False" in out


def test_malformed_part_fails_before_work(tmp_path, capsys):
    target = tmp_path / "p"
    assert main(["build", "--part", "xcvu13p-2-e", "--output-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "malformed FPGA part 'xcvu13p-2-e'" in err and "xcvu13p-flga2577-2-e" in err
    assert not target.exists()


def test_existing_directory_is_kept_without_force(tmp_path, capsys):
    target = tmp_path / "p"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    assert main(["build", "--part", PART, "--output-dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert (target / "precious.txt").read_text() == "keep me"


def test_missing_model_file(tmp_path, capsys):
    rc = main(
        [
            "build",
            "--part",
            PART,
            "--model",
            str(tmp_path / "none.h5"),
            "--data",
            str(tmp_path / "x.npy"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2
    assert "model file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_invalid_project_name(tmp_path, capsys):
    assert main(["build", "--part", PART, "--name", "my-proj", "--output-dir", str(tmp_path / "o")]) == 2
    assert "not a valid C++ identifier" in capsys.readouterr().err


def test_unsupported_layer_is_named(tmp_path, capsys):
    import tensorflow as tf

    x_in = tf.keras.Input((8, 2), name="inputs")
    x = tf.keras.layers.SimpleRNN(3, name="my_rnn")(x_in)
    tf.keras.Model(x_in, x).save(tmp_path / "rnn.h5")
    np.save(tmp_path / "x.npy", np.zeros((4, 8, 2), np.float32))
    rc = main(
        [
            "build",
            "--part",
            PART,
            "--model",
            str(tmp_path / "rnn.h5"),
            "--data",
            str(tmp_path / "x.npy"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "layer 'my_rnn' (SimpleRNN) is refused: hls4ml computes a recurrent layer's tanh" in err
    assert not (tmp_path / "out").exists()


def test_wrong_data_shape(tmp_path, capsys):
    make_model(name="shape").save(tmp_path / "m.h5")
    np.save(tmp_path / "x.npy", np.zeros((4, 7), np.float32))
    rc = main(
        [
            "build",
            "--part",
            PART,
            "--model",
            str(tmp_path / "m.h5"),
            "--data",
            str(tmp_path / "x.npy"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 2
    assert "shape (7,) but the model takes (5,)" in capsys.readouterr().err


@pytest.mark.csim
def test_user_model_build_and_force(tmp_path, capsys):
    model = make_model(hidden=(8,), wint=1, seed=3, name="user")
    model.save(tmp_path / "net.h5")
    np.save(tmp_path / "x.npy", signed_inputs(500, 5, seed=4))
    args = [
        "build",
        "--part",
        "xcku115-flvb2104-2-i",
        "--model",
        str(tmp_path / "net.h5"),
        "--data",
        str(tmp_path / "x.npy"),
        "--name",
        "my_net",
        "--output-dir",
        str(tmp_path / "out"),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 mismatches / 500 events" in out
    check = json.loads((tmp_path / "out" / "csim_check.json").read_text())
    assert check["input_type"] == "ap_fixed<10,4>" and check["mismatches"] == 0
    build = json.loads((tmp_path / "out" / "build.json").read_text())
    assert build["part"] == "xcku115-flvb2104-2-i" and build["project_name"] == "my_net"
    assert main(args) == 2  # exists
    (tmp_path / "out" / "notes.txt").write_text("mine")  # a file fpga-nn did not write: --force refuses
    assert json.loads((tmp_path / "out" / "rtl" / "rtl_check.json").read_text())["mismatches_offline"] == 0
    capsys.readouterr()
    assert main(args + ["--force", "--io-type", "io_stream", "--no-rtl"]) == 2
    assert "holds 1 file(s) fpga-nn did not write (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
    (tmp_path / "out" / "notes.txt").unlink()
    assert main(args + ["--force", "--io-type", "io_stream", "--no-rtl"]) == 0
    assert json.loads((tmp_path / "out" / "build.json").read_text())["io_type"] == "io_stream"
    assert not (tmp_path / "out" / "rtl").exists()
    notes = json.loads((tmp_path / "out" / "report.json").read_text())["notes"]
    assert any("RTL path skipped (--no-rtl)" in n for n in notes)
