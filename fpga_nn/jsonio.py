"""JSON records that every JSON reader accepts: NaN and infinities are written as null, never bare."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def finite(obj):
    """``obj`` with every non-finite float (Python or NumPy) replaced by None, recursively."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj


def content_hash(obj, length: int = 16, default=None) -> str:
    """The first ``length`` hex digits of the SHA-256 of ``obj``'s canonical JSON (sorted keys; ``default``
    as json.dumps takes it), or of ``obj`` itself when it is already a string: every cache key, sample
    fingerprint and point id of fpga-nn is one."""
    import hashlib

    text = obj if isinstance(obj, str) else json.dumps(obj, sort_keys=True, default=default)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def read_object(path: str | Path, fix: str) -> dict:
    """The JSON object in ``path``, a record fpga-nn wrote; unreadable, not JSON or not an object is one
    line naming the file and ``fix``."""
    from .errors import UserInputError

    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UserInputError(f"{path} is not valid JSON ({str(exc).splitlines()[0]}): {fix}") from None
    if not isinstance(record, dict):
        raise UserInputError(f"{path} is not a JSON object: {fix}")
    return record


def dumps(obj, **kwargs) -> str:
    return json.dumps(finite(obj), allow_nan=False, **kwargs)


def write_json(path: str | Path, obj, indent: int | None = 2) -> None:
    """Write atomically (a reader never sees half a record)."""
    from .atomic import write_text

    write_text(path, dumps(obj, indent=indent) + "\n")
