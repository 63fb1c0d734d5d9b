"""Chunked Pythia samples, one way for every generator (H -> Z gamma excepted: its own cache format).

``run`` generates every chunk of every process in parallel (``pythia.run_chunks``) with a progress
bar and joins the chunks' arrays in (process, chunk) order, so a sample does not depend on the number
of workers; ``save`` writes it to HDF5 atomically with its settings and fingerprint; ``fingerprint``
hashes everything a sample depends on.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..jsonio import content_hash


class ChunkedConfig:
    """What every chunked sample's (frozen dataclass) config shares. A subclass sets ``processes`` and
    ``chunk_stride`` (class attributes, not fields) and defines ``events_of(process)`` and
    ``fingerprint_extra()`` (the generator settings and model versions its sample depends on)."""

    processes: tuple[str, ...] = ()
    chunk_stride = 100_000

    def check(self, counts) -> None:
        from ..errors import UserInputError

        if min(counts) < 0 or self.chunk_size <= 0:
            raise UserInputError("event counts must be >= 0 and the chunk size > 0")
        if not 0 <= self.seed < 4_000:
            raise UserInputError(f"seed {self.seed} out of range: use 0 <= seed < 4000")

    def n_chunks(self, process: str) -> int:
        return -(-self.events_of(process) // self.chunk_size)

    def chunk_seed(self, process: str, chunk: int) -> int:
        return 1 + self.seed * 200_000 + self.processes.index(process) * self.chunk_stride + chunk

    def total_events(self) -> int:
        return sum(self.events_of(p) for p in self.processes)

    def fingerprint(self) -> str:
        from importlib.metadata import version

        return fingerprint(
            {"config": dataclasses.asdict(self), "pythia": version("pythia8mc"), **self.fingerprint_extra()}
        )


def fingerprint(payload: dict) -> str:
    return content_hash(payload)


def _work(args):
    generate_chunk, config, process, chunk = args
    arrays, n = generate_chunk(config, process, chunk)
    return process, chunk, arrays, n


def run(
    generate_chunk: Callable,
    config,
    processes: tuple[str, ...],
    n_chunks: Callable[[str], int],
    total: int,
    desc: str,
    workers: int | None = None,
    progress: bool = True,
    postfix: Callable[[dict], dict] | None = None,
    store: Path | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, int], dict]:
    """Every chunk of every process; returns the joined arrays, events generated per process, and
    the chunks' own arrays keyed by (process index, chunk).

    With ``store`` (a folder named by the sample's fingerprint), each finished chunk is written there
    at once and a chunk found there is read, not generated: a long generation that is stopped resumes
    where it was."""
    from tqdm import tqdm

    from .pythia import run_chunks

    jobs = [(generate_chunk, config, p, k) for p in processes for k in range(n_chunks(p))]
    parts, n_gen = {}, dict.fromkeys(processes, 0)
    stored = {job[2:]: _stored_chunk(store, *job[2:]) for job in jobs} if store else {}
    jobs = [job for job in jobs if stored.get(job[2:]) is None]
    with tqdm(total=total, unit="ev", desc=desc, disable=not progress) as bar:
        for (process, chunk), found in stored.items():
            if found is not None:
                parts[(processes.index(process), chunk)], n = found
                n_gen[process] += n
                bar.update(n)
        for process, chunk, arrays, n in run_chunks(_work, jobs, workers):
            if store:
                _store_chunk(store, process, chunk, arrays, n)
            parts[(processes.index(process), chunk)] = arrays
            n_gen[process] += n
            bar.update(n)
            if postfix:
                bar.set_postfix(**postfix(parts))
    keys = sorted(parts)
    data = {name: np.concatenate([parts[k][name] for k in keys]) for name in parts[keys[0]]}
    return data, n_gen, {k: parts[k] for k in keys}


def _chunk_file(store: Path, process: str, chunk: int) -> Path:
    return Path(store) / f"{process}-{chunk:05d}.npz"


def _stored_chunk(store: Path, process: str, chunk: int):
    path = _chunk_file(store, process, chunk)
    if not path.is_file():
        return None
    try:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files if k != "_events"}
            return arrays, int(f["_events"])
    except (OSError, ValueError, KeyError):  # unreadable: generated again
        return None


def _store_chunk(store: Path, process: str, chunk: int, arrays: dict, n: int) -> None:
    from ..atomic import replacing

    Path(store).mkdir(parents=True, exist_ok=True)
    with replacing(_chunk_file(store, process, chunk), suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, _events=n, **arrays)


def generate(
    generate_chunk: Callable,
    config,
    desc: str,
    workers: int | None = None,
    progress: bool = True,
    store: Path | None = None,
) -> dict:
    """Every chunk of every process of ``config`` joined, with each row's chunk index in ``chunk``
    (rows counted by the chunk's ``label`` array); ``store``: see :func:`run`."""
    data, n_gen, parts = run(
        generate_chunk,
        config,
        config.processes,
        config.n_chunks,
        config.total_events(),
        desc,
        workers,
        progress,
        store=store,
    )
    data["chunk"] = np.concatenate([np.full(len(v["label"]), k[1], np.int32) for k, v in parts.items()])
    return {"arrays": data, "n_generated": n_gen, "config": config}


def save_result(result: dict, path: Path, compressed: Callable[[str], bool], **attrs: str) -> Path:
    """:func:`save` of what :func:`generate` returns."""
    return save(path, result["arrays"], result["config"], result["n_generated"], compressed, **attrs)


def load(path: Path) -> dict:
    """What :func:`save` wrote: every array by name, ``n_generated`` and ``fingerprint``."""
    import h5py

    with h5py.File(path, "r") as f:
        out = {k: f[k][...] for k in f}
        out["n_generated"] = json.loads(f.attrs["n_generated"])
        out["fingerprint"] = str(f.attrs["fingerprint"])
    return out


def save(path: Path, arrays: dict, config, n_generated: dict, compressed: Callable[[str], bool], **attrs: str) -> Path:
    import h5py

    from ..atomic import replacing

    path = Path(path)
    with replacing(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as f:
        for name, arr in arrays.items():
            f.create_dataset(name, data=arr, compression="gzip" if compressed(name) else None)
        f.attrs["config"] = json.dumps(dataclasses.asdict(config))
        f.attrs["fingerprint"] = config.fingerprint()
        f.attrs["n_generated"] = json.dumps(n_generated)
        for k, v in attrs.items():
            f.attrs[k] = v
    return path
