"""Preprocessing declared with the model: raw feature -> bus code -> network input, one definition.

A trigger network does not see physics values: the upstream electronics send each feature as an
unsigned integer code on a bus of ``bits`` bits, and the firmware turns each code into the network's
input value. fpga-nn declares both steps per feature, saves the declaration with the model (an
attribute of its .h5 file) and with the project (``preprocess.json``), and applies the same
definition in training, in ``fpga-nn emulate`` and in the firmware (``firmware/<name>_input_stage.h``).

1. **Bus coding** (upstream, in front of the firmware): ``code = clip(floor((x - offset) / lsb), 0,
   2^bits - 1)``. A code stands for ``offset + code * lsb``, the lower edge of its bin, as a counter reads.
2. **Transform** (in the firmware): ordered steps on the decoded value, in float64:
   ``{"op": "log10", "offset": a}`` -> ``log10(v + a)``; ``{"op": "affine", "offset": o, "scale": s}``
   -> ``(v - o) * s``; ``{"op": "clip", "min": lo, "max": hi}``. The result is rounded to the nearest
   value of the network's input type (ties to even) and saturated.

Because a feature has only ``2^bits`` codes, its transform is a table of ``2^bits`` exact input values:
that table *is* the definition (training and the emulator index it; the firmware holds it, or, when
the table is exactly ``a + b * code`` on the input grid, computes that with integer arithmetic: a wire
when b is one LSB and a is zero). Every non-linear transform is therefore bit-exact by construction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserInputError
from ..fixed import FixedType

VERSION = 1
MAX_BUS_BITS = 16
MAX_TABLE_BITS = 12  # a table of 4,096 entries per feature at most
H5_ATTRIBUTE = "fpga_nn_preprocessing"
OPS = {"log10": ("offset",), "affine": ("offset", "scale"), "clip": ("min", "max")}


@dataclass(frozen=True)
class Feature:
    name: str
    bits: int
    lsb: float
    offset: float = 0.0
    unit: str = ""
    transform: tuple[dict, ...] = ()

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw values -> bus codes (int64), floor and saturate as the upstream electronics do."""
        code = np.floor((np.asarray(x, dtype=np.float64) - self.offset) / self.lsb)
        return np.clip(code, 0, 2**self.bits - 1).astype(np.int64)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.offset + np.asarray(codes, dtype=np.float64) * self.lsb

    def transformed(self, values: np.ndarray) -> np.ndarray:
        """The float transform of decoded values (before rounding to the input type)."""
        v = np.asarray(values, dtype=np.float64)
        for step in self.transform:
            if step["op"] == "log10":
                v = np.log10(v + step["offset"])
            elif step["op"] == "affine":
                v = (v - step["offset"]) * step["scale"]
            else:
                v = np.clip(v, step["min"], step["max"])
        return v


@dataclass(frozen=True)
class Preprocessing:
    """Per-feature bus coding and transform, and the network input type they produce."""

    features: tuple[Feature, ...]
    input_type: FixedType
    _tables: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def table(self, i: int) -> np.ndarray:
        """The network input value (int64 code of ``input_type``) for every bus code of feature ``i``."""
        if i not in self._tables:
            f = self.features[i]
            with np.errstate(all="ignore"):
                v = f.transformed(f.decode(np.arange(2**f.bits)))
            bad = np.flatnonzero(~np.isfinite(v))
            if len(bad):
                raise UserInputError(
                    f"feature '{f.name}': the transform gives {v[bad[0]]} for bus code {bad[0]} "
                    f"(value {f.decode(bad[0]):g}{f.unit}): give the log10 step an offset that keeps its argument > 0"
                )
            from ..fixed.arith import from_float

            nearest = self.input_type._replace(rounding="RND_CONV", overflow="SAT")
            self._tables[i] = from_float(v, nearest)
        return self._tables[i]

    def raw_bits(self, i: int) -> np.ndarray:
        """Feature ``i``'s table as the input type's raw bits (two's complement): what a ROM holds."""
        return self.table(i) & ((1 << self.input_type.width) - 1)

    def encode(self, raw: np.ndarray) -> np.ndarray:
        """(N, F) raw values -> (N, F) bus codes."""
        raw = self._check_shape(raw, "raw values")
        return np.stack([f.encode(raw[:, i]) for i, f in enumerate(self.features)], axis=1)

    def stage(self, codes: np.ndarray) -> np.ndarray:
        """(N, F) bus codes -> (N, F) float32 network inputs, exactly what the firmware's input stage makes."""
        codes = self._check_shape(codes, "bus codes")
        if not np.array_equal(codes, np.floor(codes)):
            raise UserInputError("bus codes must be whole numbers: pass the codes, or raw values with --inputs raw")
        out = np.empty(codes.shape, dtype=np.float64)
        for i, f in enumerate(self.features):
            c = codes[:, i]
            if len(c) and (c.min() < 0 or c.max() > 2**f.bits - 1):
                raise UserInputError(
                    f"feature '{f.name}': bus code {int(c.max() if c.max() > 2**f.bits - 1 else c.min())} is "
                    f"outside 0..{2**f.bits - 1} ({f.bits} bits): encode raw values with the declared coding"
                )
            out[:, i] = self.table(i)[c.astype(np.int64)] * 2.0**-self.input_type.fractional
        return out.astype(np.float32)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Raw values -> network inputs: what training, ``emulate`` and the firmware all see."""
        return self.stage(self.encode(raw))

    def _check_shape(self, a: np.ndarray, what: str) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != len(self.features):
            raise UserInputError(
                f"{what} of shape {a.shape}: the preprocessing declares {len(self.features)} features "
                f"({', '.join(self.names)}), give an array of shape (N, {len(self.features)})"
            )
        return a

    def affine(self, i: int) -> tuple[int, int] | None:
        """(a, b) when feature ``i``'s table is exactly ``a + b * code`` (input-type codes), else None."""
        t = self.table(i)
        a, b = int(t[0]), int(t[1] - t[0]) if len(t) > 1 else 0
        return (a, b) if np.array_equal(t, a + b * np.arange(len(t), dtype=np.int64)) else None

    def kind(self, i: int) -> str:
        """How the firmware computes feature ``i``: 'wire' (the code is the input's raw bits), 'affine'
        (integer ``a + b * code``) or 'table' (a ROM of ``2^bits`` entries)."""
        ab = self.affine(i)
        return "wire" if ab == (0, 1) else "table" if ab is None else "affine"

    def kinds(self) -> dict[str, str]:
        return {f.name: self.kind(i) for i, f in enumerate(self.features)}

    def to_dict(self) -> dict:
        return {
            "version": VERSION,
            "input_type": self.input_type.to_ap(),
            "features": [
                {
                    "name": f.name,
                    "unit": f.unit,
                    "bus": {"bits": f.bits, "lsb": f.lsb, "offset": f.offset},
                    "transform": [dict(s) for s in f.transform],
                }
                for f in self.features
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def save(self, path: Path) -> None:
        from ..atomic import replacing

        with replacing(Path(path)) as tmp:
            Path(tmp).write_text(self.to_json() + "\n")

    def attach(self, model_path: Path) -> None:
        """Store the declaration in a Keras .h5 model file, so the model carries its own preprocessing."""
        import h5py

        with h5py.File(model_path, "a") as f:
            f.attrs[H5_ATTRIBUTE] = self.to_json()


def from_dict(d: dict, where: str = "preprocessing") -> Preprocessing:
    """Validate a declaration; every problem is one line naming the feature and the fix."""
    if not isinstance(d, dict) or not isinstance(d.get("features"), list) or not d["features"]:
        raise UserInputError(f"{where}: expected {{'input_type': 'ap_ufixed<W,I>', 'features': [...]}}")
    if d.get("version", VERSION) != VERSION:
        raise UserInputError(f"{where}: version {d.get('version')} is not {VERSION}: rewrite it for this fpga-nn")
    try:
        input_type = FixedType.parse(str(d.get("input_type", "")))
    except UserInputError as exc:
        raise UserInputError(f"{where}: input_type: {exc}") from None
    features, seen = [], set()
    for k, fd in enumerate(d["features"]):
        name = fd.get("name") if isinstance(fd, dict) else None
        if not isinstance(name, str) or not name or name in seen:
            raise UserInputError(f"{where}: feature {k} needs a unique 'name'")
        seen.add(name)
        bus = fd.get("bus", {})
        if not isinstance(bus, dict):
            raise UserInputError(
                f"{where}: feature '{name}': 'bus' = {bus!r} must be {{'bits': B, 'lsb': L, 'offset': O}}"
            )
        bits, lsb, offset = bus.get("bits"), bus.get("lsb"), bus.get("offset", 0.0)
        if not isinstance(bits, int) or not 1 <= bits <= MAX_BUS_BITS:
            raise UserInputError(
                f"{where}: feature '{name}': bus bits {bits!r} must be an integer in 1..{MAX_BUS_BITS}"
            )
        if not _finite(lsb) or lsb <= 0 or not _finite(offset):
            raise UserInputError(f"{where}: feature '{name}': bus lsb must be a finite number > 0 and offset finite")
        steps = []
        transform = fd.get("transform", [])
        if not isinstance(transform, list):
            raise UserInputError(f"{where}: feature '{name}': 'transform' = {transform!r} must be a list of steps")
        for step in transform:
            op = step.get("op") if isinstance(step, dict) else None
            if op not in OPS:
                raise UserInputError(
                    f"{where}: feature '{name}': unknown transform {op!r}: use one of {', '.join(OPS)}"
                )
            s = {"op": op, **{key: step.get(key, 0.0 if key == "offset" else math.nan) for key in OPS[op]}}
            if not all(_finite(s[key]) for key in OPS[op]) or (op == "clip" and s["min"] > s["max"]):
                raise UserInputError(f"{where}: feature '{name}': {op} needs finite {', '.join(OPS[op])}")
            steps.append({k: float(v) if k != "op" else v for k, v in s.items()})
        features.append(Feature(name, bits, float(lsb), float(offset), str(fd.get("unit", "")), tuple(steps)))
    pre = Preprocessing(tuple(features), input_type)
    for i, f in enumerate(pre.features):
        table = pre.table(i)  # the transform must be finite on every code
        _warn_saturation(pre, i, where)
        if f.bits > MAX_TABLE_BITS and pre.affine(i) is None:
            raise UserInputError(
                f"{where}: feature '{f.name}': a {f.bits}-bit bus with a non-affine transform needs a table of "
                f"{len(table)} entries: use at most {MAX_TABLE_BITS} bits, or an affine transform"
            )
    return pre


def _warn_saturation(pre: Preprocessing, i: int, where: str) -> None:
    """One warning line when the transform takes bus codes beyond the input type (a matter of degree: the
    firmware saturates them as declared); a feature whose every code gives one input carries nothing."""
    import logging

    f, t = pre.features[i], pre.input_type
    with np.errstate(all="ignore"):
        v = f.transformed(f.decode(np.arange(2**f.bits)))
    lo, hi = t.bounds
    half = 0.5 * t.lsb
    n = int(np.sum((v < lo - half) | (v > hi + half)))
    table = pre.table(i)
    if len(table) > 1 and np.all(table == table[0]):
        raise UserInputError(
            f"{where}: feature '{f.name}': every one of its {len(table)} bus codes gives the same input "
            f"{table[0] * 2.0**-t.fractional:g} on {t.to_ap()}: check the transform's scale and offset"
        )
    if n:
        logging.getLogger(__name__).warning(
            "%s: feature '%s': %d of %d bus codes saturate %s (the transform reaches %.4g, the type holds %g..%g): "
            "check the scale",
            where, f.name, n, len(v), t.to_ap(), float(v[np.argmax(np.abs(v))]), lo, hi,
        )  # fmt: skip


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def load(path: Path) -> Preprocessing:
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"preprocessing file {path} not found: pass a JSON file written by Preprocessing.save")
    try:
        d = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserInputError(f"{path} is not JSON ({exc}): write it with Preprocessing.save") from None
    return from_dict(d, str(path))


def from_model_file(path: Path) -> Preprocessing | None:
    """The declaration stored in a Keras .h5 file by :meth:`Preprocessing.attach`, or None."""
    path = Path(path)
    if path.suffix not in (".h5", ".hdf5") or not path.is_file():
        return None
    import h5py

    try:
        with h5py.File(path, "r") as f:
            text = f.attrs.get(H5_ATTRIBUTE)
    except OSError:
        return None
    if text is None:
        return None
    return from_dict(json.loads(text if isinstance(text, str) else text.decode()), f"{path}:{H5_ATTRIBUTE}")
