"""Chunked Pythia samples, one way for every generator (H -> Z gamma excepted: its own cache format).

``run`` generates every chunk of every process in parallel (``pythia.run_chunks``) with a progress
bar and joins the chunks' arrays in (process, chunk) order, so a sample does not depend on the number
of workers; ``save`` writes it to HDF5 atomically with its settings and fingerprint; ``fingerprint``
hashes everything a sample depends on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np


def fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


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
) -> tuple[dict[str, np.ndarray], dict[str, int], dict]:
    """Every chunk of every process; returns the joined arrays, events generated per process, and
    the chunks' own arrays keyed by (process index, chunk)."""
    from tqdm import tqdm

    from .pythia import run_chunks

    jobs = [(generate_chunk, config, p, k) for p in processes for k in range(n_chunks(p))]
    parts, n_gen = {}, dict.fromkeys(processes, 0)
    with tqdm(total=total, unit="ev", desc=desc, disable=not progress) as bar:
        for process, chunk, arrays, n in run_chunks(_work, jobs, workers):
            parts[(processes.index(process), chunk)] = arrays
            n_gen[process] += n
            bar.update(n)
            if postfix:
                bar.set_postfix(**postfix(parts))
    keys = sorted(parts)
    data = {name: np.concatenate([parts[k][name] for k in keys]) for name in parts[keys[0]]}
    return data, n_gen, {k: parts[k] for k in keys}


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
