"""Input arrays checked before any work: kind of file by content, dtype, emptiness, non-finite values.

``build``, ``check`` and ``emulate`` read user arrays through here, so a bad array gets the same
one-line message everywhere, naming the problem, where it is, and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import UserInputError, first_line


def load_npy(path: Path, mmap: bool = False) -> np.ndarray:
    """A numeric .npy array (memory-mapped on request), refusing archives, pickles and odd dtypes."""
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"data file {path} not found: pass a .npy array of model inputs")
    try:
        x = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserInputError(
            f"{path} is not a numeric .npy array ({first_line(exc)}): save one with np.save('x.npy', x)"
        ) from None
    if isinstance(x, np.lib.npyio.NpzFile):
        names = list(x.files)
        x.close()
        raise UserInputError(
            f"{path} is an .npz archive holding {names}: save the input array alone with np.save('x.npy', x)"
        )
    check_dtype(x, path)
    return x


def check_dtype(x, path) -> None:
    """Real numbers only: complex, boolean, string and object arrays are refused with the fix."""
    kind = np.dtype(x.dtype).kind
    if kind == "c":
        raise UserInputError(
            f"{path} holds complex values: the firmware takes real numbers; save x.real (or "
            "split real and imaginary parts into features)"
        )
    if kind == "b":
        raise UserInputError(f"{path} holds booleans: save them as numbers (x.astype('float32'))")
    if kind not in "iuf":
        raise UserInputError(f"{path} holds {x.dtype} values: numeric inputs are needed (float or int arrays)")
    if len(x.shape) == 0 or len(x) == 0:
        raise UserInputError(f"{path} holds no events: an array of shape (N, features...) with N >= 1 is needed")


def check_finite(x: np.ndarray, path, offset: int = 0) -> None:
    """Refuse NaN and +-inf naming the first event and feature (``offset``: the chunk's first event)."""
    if np.dtype(x.dtype).kind != "f":
        return
    bad = ~np.isfinite(x)
    if not bad.any():
        return
    flat = bad.reshape(len(x), -1)
    events = np.flatnonzero(flat.any(axis=1))
    first = int(events[0])
    feature = int(np.flatnonzero(flat[first])[0])
    value = np.asarray(x).reshape(len(x), -1)[first, feature]
    raise UserInputError(
        f"{path}: {int(bad.sum())} non-finite input values in {len(events)} events (first: "
        f"event {offset + first}, feature {feature} = {value}); the firmware has no NaN or "
        "infinity: drop or fill those events"
    )
