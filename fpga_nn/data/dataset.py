"""The event dataset on disk: HDF5 with the generator settings and seed as attributes.

Layout of a file::

    /features/<name>   float64 (N,)  one dataset per column of selection.COLUMNS
    /label             int8    (N,)  1 = signal (gg -> H -> Z gamma), 0 = background
    /chunk             int32   (N,)  generator chunk the event came from (for regeneration)
    /trigger_inputs    uint8   (N, 5) level-1 inputs, attrs describe scale/offset/clipping
    attrs: generation_config (JSON, with Pythia version and settings), fingerprint,
           n_generated_signal, n_generated_background, fpga_nn_version
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from importlib import resources
from pathlib import Path

import h5py
import numpy as np

from .. import __version__
from ..atomic import replacing
from ..errors import UserInputError
from . import trigger_inputs
from .generator import PROCESSES, GenerationConfig, combine_stats, iter_chunks
from .h5cache import cache_dir, stored_fingerprint  # noqa: F401 (re-exported)
from .h5cache import cached as cached_file
from .selection import COLUMNS

log = logging.getLogger(__name__)

DEFAULT_NAME = "hzg_default.h5"
DEFAULT_CONFIG = GenerationConfig(n_signal=40_000, n_background=100_000, seed=2026, chunk_size=2_000)


@dataclasses.dataclass
class EventData:
    """Events in memory: features by column, labels, chunk index, trigger inputs."""

    features: dict[str, np.ndarray]
    label: np.ndarray
    chunk: np.ndarray
    process: np.ndarray  # 0 signal, 1 background
    config: GenerationConfig
    n_generated: dict[str, int]
    # per process: events generated, their weight sum, Pythia's cross section (pb) and its error;
    # empty for samples stored before fpga-nn recorded it
    generator: dict[str, dict] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.label)

    def matrix(self, names) -> np.ndarray:
        return np.stack([self.features[n] for n in names], axis=1)

    @property
    def trigger_inputs(self) -> np.ndarray:
        return trigger_inputs.encode(self.features)


def default_path() -> Path:
    """The small dataset shipped inside the package."""
    return Path(str(resources.files("fpga_nn.data") / "default" / DEFAULT_NAME))


def generate(config: GenerationConfig, workers: int | None = None, progress: bool = True) -> EventData:
    """Run the generator over all chunks (in parallel) and assemble the events in chunk order."""
    from tqdm import tqdm

    total = sum(config.n_chunks(p) for p in PROCESSES)
    parts: dict[tuple[int, int], np.ndarray] = {}
    stats: dict[str, list[dict]] = {p: [] for p in PROCESSES}
    with tqdm(total=config.n_signal + config.n_background, unit="ev", desc="pythia8", disable=not progress) as bar:
        for process, chunk, feats, chunk_stats in iter_chunks(config, workers):
            parts[(PROCESSES.index(process), chunk)] = feats
            stats[process].append(chunk_stats)
            bar.update(chunk_stats["n"])
            bar.set_postfix(selected=sum(len(v) for v in parts.values()))
    assert len(parts) == total
    keys = sorted(parts)
    feats = np.concatenate([parts[k] for k in keys])
    process = np.concatenate([np.full(len(parts[k]), k[0], np.int8) for k in keys])
    chunk = np.concatenate([np.full(len(parts[k]), k[1], np.int32) for k in keys])
    return EventData(
        features={c: feats[c] for c in COLUMNS},
        label=(process == 0).astype(np.int8),
        chunk=chunk,
        process=process,
        config=config,
        n_generated={p: sum(s["n"] for s in stats[p]) for p in PROCESSES},
        generator={p: combine_stats(stats[p]) for p in PROCESSES if stats[p]},
    )


def save(data: EventData, path: str | os.PathLike) -> Path:
    """Write atomically: a temporary file in the same folder, then rename."""
    path = Path(path)
    with replacing(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            grp = f.create_group("features")
            for name, col in data.features.items():
                grp.create_dataset(name, data=col, compression="gzip", shuffle=True)
            f.create_dataset("label", data=data.label, compression="gzip")
            f.create_dataset("chunk", data=data.chunk, compression="gzip")
            f.create_dataset("process", data=data.process, compression="gzip")
            ti = f.create_dataset("trigger_inputs", data=data.trigger_inputs, compression="gzip")
            ti.attrs["encoding"] = trigger_inputs.encoding_json()
            f.attrs["generation_config"] = data.config.to_json()
            f.attrs["fingerprint"] = data.config.fingerprint()
            for p in PROCESSES:
                f.attrs[f"n_generated_{p}"] = data.n_generated[p]
            f.attrs["generator"] = json.dumps(data.generator)
            f.attrs["fpga_nn_version"] = __version__
    return path


def load(path: str | os.PathLike) -> EventData:
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"dataset {path} not found: generate one with 'fpga-nn data generate --out {path}'")
    try:
        with h5py.File(path, "r") as f:
            cfg = json.loads(f.attrs["generation_config"])
            fields = {k.name for k in dataclasses.fields(GenerationConfig)}
            config = GenerationConfig(**{k: v for k, v in cfg.items() if k in fields})
            return EventData(
                features={
                    c: f["features"][c][:] if c in f["features"] else np.ones(len(f["label"]))  # event_weight
                    for c in COLUMNS
                },
                label=f["label"][:],
                chunk=f["chunk"][:],
                process=f["process"][:],
                config=config,
                n_generated={p: int(f.attrs[f"n_generated_{p}"]) for p in PROCESSES},
                generator=json.loads(f.attrs.get("generator", "{}")),
            )
    except (OSError, KeyError) as exc:
        raise UserInputError(f"{path} is not an fpga-nn event file ({exc}); regenerate it") from exc


def cached(config: GenerationConfig, path: str | os.PathLike, workers: int | None = None) -> EventData:
    """Load ``path`` when it holds events of exactly ``config``; otherwise generate and save them."""
    made = {}

    def make(p: Path) -> None:
        made["data"] = generate(config, workers)
        save(made["data"], p)

    path, _ = cached_file(path, config.fingerprint(), make, "events")
    return made.get("data") or load(path)


def load_default() -> EventData:
    return load(default_path())


def split(n: int, seed: int, fractions=(0.5, 0.15, 0.35)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic train / validation / test index split."""
    perm = np.random.default_rng(seed).permutation(n)
    a = int(round(fractions[0] * n))
    b = a + int(round(fractions[1] * n))
    return np.sort(perm[:a]), np.sort(perm[a:b]), np.sort(perm[b:])
