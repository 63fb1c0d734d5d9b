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


class InputScale:
    """Are the inputs on the scale ``--inputs`` says? Gathered chunk by chunk, judged once.

    raw: a feature whose distinct values all fall into one bus code is refused (network inputs or
    codes read as raw values give one constant score); values beyond the coding are counted.
    network: whole numbers beyond the input type are refused (bus codes read as network inputs);
    other values beyond the type are counted (the firmware saturates them).
    """

    def __init__(self, given: str, pre, input_type):
        self.given, self.pre, self.type = given, pre, input_type
        self.n = 0
        self.lo_code = self.hi_code = self.lo_raw = self.hi_raw = self.below = self.above = None
        self.outside, self.whole, self.peak = 0, True, 0.0

    def add(self, block: np.ndarray) -> None:
        if not len(block):
            return
        self.n += len(block)
        if self.given == "raw" and self.pre is not None:
            raw = np.asarray(block, dtype=np.float64).reshape(len(block), -1)
            codes = self.pre.encode(raw)
            feats = self.pre.features
            top = np.array([f.offset + 2**f.bits * f.lsb for f in feats])
            stats = (codes.min(0), codes.max(0), raw.min(0), raw.max(0))
            below = (raw < np.array([f.offset for f in feats])).sum(0)
            above = (raw >= top).sum(0)
            if self.lo_code is None:
                self.lo_code, self.hi_code, self.lo_raw, self.hi_raw = stats
                self.below, self.above = below, above
            else:
                self.lo_code = np.minimum(self.lo_code, stats[0])
                self.hi_code = np.maximum(self.hi_code, stats[1])
                self.lo_raw = np.minimum(self.lo_raw, stats[2])
                self.hi_raw = np.maximum(self.hi_raw, stats[3])
                self.below, self.above = self.below + below, self.above + above
        elif self.given == "network":
            v = np.asarray(block, dtype=np.float64)
            lo, hi = self.type.bounds
            half = 0.5 * self.type.lsb
            self.outside += int(np.sum((v < lo - half) | (v > hi + half)))
            self.whole = self.whole and bool(np.all(v == np.floor(v)))
            self.peak = max(self.peak, float(np.max(np.abs(v))))

    def verdict(self, data) -> None:
        import logging

        warn = logging.getLogger(__name__).warning
        if self.given == "raw" and self.lo_code is not None:
            for i, f in enumerate(self.pre.features):
                if self.n > 1 and self.lo_code[i] == self.hi_code[i] and self.lo_raw[i] != self.hi_raw[i]:
                    raise UserInputError(
                        f"{data}: feature '{f.name}' takes values {self.lo_raw[i]:g}..{self.hi_raw[i]:g}, all in bus "
                        f"code {int(self.lo_code[i])} of its coding (lsb {f.lsb:g}{f.unit}, offset {f.offset:g}): "
                        "these are not raw values on the declared scale; pass --inputs network or --inputs codes"
                    )
            parts = [
                f"{f.name} {int(self.below[i])} below / {int(self.above[i])} above"
                for i, f in enumerate(self.pre.features)
                if self.below[i] or self.above[i]
            ]
            if parts:
                warn(
                    "%s: of %d events, values beyond the declared coding saturate to the lowest / highest bus code: %s",
                    data, self.n, ", ".join(parts),
                )  # fmt: skip
        elif self.given == "network" and self.outside:
            lo, hi = self.type.bounds
            if self.whole and self.peak > hi:
                raise UserInputError(
                    f"{data}: the values are whole numbers up to {self.peak:g} but the network input type "
                    f"{self.type.to_ap()} holds {lo:g}..{hi:g}: these look like bus codes; pass --inputs codes "
                    "(a project with preprocess.json), or the network's inputs"
                )
            warn(
                "%s: %d input values lie beyond %s (%g..%g) and saturate, as the firmware's cast does",
                data, self.outside, self.type.to_ap(), lo, hi,
            )  # fmt: skip


def _emulator(project: Path):
    """The project's emulator: a network's (emulation.json) or a tree ensemble's (tree_codes.json)."""
    from .trees import CODES, TreeEmulator

    return TreeEmulator(project) if (Path(project) / CODES).is_file() else Emulator(project)


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
    outdir.output_file(out, force, (data,))
    if out.suffix != ".npy":
        raise UserInputError(f"output {out} must be a .npy file")
    if out.resolve() == Path(data).resolve():
        raise UserInputError(f"--out {out} is the input file: write the scores to another file")
    emu = _emulator(project)
    stage, given = input_stage(project, given)
    if stage is None:
        stage = np.asarray
    with open_inputs(data, dataset) as x:
        n = len(x)
        if tuple(x.shape[1:]) != emu.input_shape and int(np.prod(x.shape[1:])) != int(np.prod(emu.input_shape)):
            raise UserInputError(
                f"{data} has events of shape {tuple(x.shape[1:])}, the firmware takes {emu.input_shape}"
            )
        scale = InputScale(given, stage if given == "raw" else None, emu.input_type)
        for start in range(0, n, chunk):  # before any work: NaN/inf have no fixed-point value
            block = np.asarray(x[start : start + chunk])
            check_finite(block, data, start)
            scale.add(block)
        scale.verdict(data)
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
