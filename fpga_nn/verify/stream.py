"""Emulate large input files in chunks with bounded memory: .npy (memory-mapped) or HDF5 datasets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .. import outdir
from ..atomic import replacing
from ..data.validate import check_dtype, check_finite, load_npy
from ..errors import UserInputError
from .emulator import Emulator

DEFAULT_CHUNK = 65_536


@contextlib.contextmanager
def open_inputs(path: Path, dataset: str | None = None) -> Iterator[np.ndarray]:
    """A read-only array-like over the inputs, never loaded whole."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"input file {path} not found")
    if path.suffix == ".npy":
        yield load_npy(path, mmap=True)
        return
    if path.suffix in (".h5", ".hdf5"):
        import h5py

        with h5py.File(path, "r") as f:
            if dataset is None:
                names = [k for k, v in f.items() if isinstance(v, h5py.Dataset)]
                if len(names) != 1:
                    raise UserInputError(f"{path} holds datasets {names}: name one with --dataset")
                dataset = names[0]
            if dataset not in f or not isinstance(f[dataset], h5py.Dataset):
                raise UserInputError(f"{path} has no dataset '{dataset}'")
            check_dtype(f[dataset], f"{path}:{dataset}")
            yield f[dataset]
        return
    raise UserInputError(f"{path}: inputs must be .npy or .h5/.hdf5")


GIVEN = ("raw", "codes", "network")


def input_stage(project: Path, given: str | None):
    """A function taking the rows of the input file to the network's inputs, and what they are.

    A project with declared preprocessing (``preprocess.json``) takes raw values by default, as
    training did (``codes``: bus codes; ``network``: inputs after the stage); one without takes the
    network's inputs.
    """
    from ..data import preprocess

    path = Path(project) / "preprocess.json"
    pre = preprocess.load(path) if path.is_file() else None
    given = given or ("raw" if pre else "network")
    if given not in GIVEN:
        raise UserInputError(f"--inputs {given}: choose one of {', '.join(GIVEN)}")
    if pre is None and given != "network":
        raise UserInputError(f"{project} declares no preprocessing (no preprocess.json): drop --inputs {given}")
    return {"raw": pre, "codes": pre.stage if pre else None, "network": None}[given], given


def emulate_file(
    project: Path,
    data: Path,
    out: Path,
    dataset: str | None = None,
    chunk: int = DEFAULT_CHUNK,
    progress: bool = True,
    given: str | None = None,
    force: bool = False,
) -> int:
    """Write the firmware scores of every input row to ``out`` (.npy); returns the number of events."""
    from tqdm import tqdm

    if chunk < 1:
        raise UserInputError(f"--chunk {chunk}: the events per chunk must be >= 1")
    out = Path(out)
    if out.suffix != ".npy":
        raise UserInputError(f"output {out} must be a .npy file")
    if out.resolve() == Path(data).resolve():
        raise UserInputError(f"--out {out} is the input file: write the scores to another file")
    outdir.output_file(out, force, (data,))
    emu = Emulator(project)
    stage, given = input_stage(project, given)
    if stage is None:
        stage = np.asarray
    with open_inputs(data, dataset) as x:
        n = len(x)
        if tuple(x.shape[1:]) != emu.input_shape and int(np.prod(x.shape[1:])) != int(np.prod(emu.input_shape)):
            raise UserInputError(
                f"{data} has events of shape {tuple(x.shape[1:])}, the firmware takes {emu.input_shape}"
            )
        for start in range(0, n, chunk):  # before any work: NaN/inf have no fixed-point value
            check_finite(np.asarray(x[start : start + chunk]), data, start)
        n_out = emu.predict(stage(np.asarray(x[:1]))).shape[1]
        outdir.check_space(out.parent, outdir.MIN_FREE_BYTES + 8 * n * n_out)
        with replacing(out, suffix=".npy") as tmp:
            y = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=(n, n_out))
            with tqdm(total=n, unit="ev", desc="emulate", disable=not progress) as bar:
                for start in range(0, n, chunk):
                    stop = min(start + chunk, n)
                    y[start:stop] = emu.predict(stage(np.asarray(x[start:stop])))
                    bar.update(stop - start)
            y.flush()
            del y
    return n
