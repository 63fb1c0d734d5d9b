"""Values of configs and records checked by type and range before any work, one line per problem.

A spec maps a dotted key (``training.learning_rate``) to a :class:`Check`; :func:`validate` reads each
key that is present (every default lives in the packaged YAML, so presence is the YAML's business)
and raises ``UserInputError`` naming the file, the key, the value and what is allowed. ``bool`` is
never taken for a number (YAML's ``yes`` is not 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import UserInputError


@dataclass(frozen=True)
class Check:
    kind: str  # "int", "number", "bool", "str", "choice", "ints" (list of int), "numbers" (list of number)
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # lo itself is not allowed
    nullable: bool = False
    choices: tuple = ()
    length: int | None = None  # lists: exact length
    nonempty: bool = False

    def allowed(self) -> str:
        if self.kind == "choice":
            text = "one of " + ", ".join(map(str, self.choices))
        elif self.kind in ("bool", "str"):
            text = {"bool": "true or false", "str": "a string"}[self.kind]
        else:
            what = {"int": "an integer", "number": "a finite number"}.get(self.kind, "")
            if self.kind in ("ints", "numbers"):
                n = f"{self.length} " if self.length else "a non-empty list of " if self.nonempty else "a list of "
                what = n + ("integers" if self.kind == "ints" else "finite numbers")
            text = what + _range(self)
        return text + (" (or null)" if self.nullable else "")


def _range(c: Check) -> str:
    parts = []
    if c.lo is not None:
        parts.append(f"{'>' if c.lo_open else '>='} {c.lo:g}")
    if c.hi is not None:
        parts.append(f"<= {c.hi:g}")
    return (" " + " and ".join(parts)) if parts else ""


def Int(lo=None, hi=None, **kw) -> Check:  # noqa: N802 - reads as a type in a spec table
    return Check("int", lo, hi, **kw)


def Num(lo=None, hi=None, **kw) -> Check:  # noqa: N802
    return Check("number", lo, hi, **kw)


BOOL = Check("bool")
STR = Check("str")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _in_range(c: Check, v) -> bool:
    if c.lo is not None and (v < c.lo or (c.lo_open and v == c.lo)):
        return False
    return c.hi is None or v <= c.hi


def ok(c: Check, v) -> bool:
    """Does ``v`` pass ``c``?"""
    if v is None:
        return c.nullable
    if c.kind == "int":
        return _is_int(v) and _in_range(c, v)
    if c.kind == "number":
        return _is_num(v) and _in_range(c, v)
    if c.kind == "bool":
        return isinstance(v, bool)
    if c.kind == "str":
        return isinstance(v, str) and bool(v.strip())
    if c.kind == "choice":
        return v in c.choices
    if c.kind in ("ints", "numbers"):
        good = _is_int if c.kind == "ints" else _is_num
        return (
            isinstance(v, (list, tuple))
            and (c.length is None or len(v) == c.length)
            and (not c.nonempty or len(v) > 0)
            and all(good(x) and _in_range(c, x) for x in v)
        )
    raise ValueError(c.kind)


def get(cfg: Mapping, dotted: str):
    """(present, value) of ``a.b.c`` in nested mappings."""
    node = cfg
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def check_value(value, check: Check, where: str, key: str) -> None:
    if not ok(check, value):
        raise UserInputError(f"{where}: '{key}' = {value!r} must be {check.allowed()}")


def validate(cfg: Mapping, spec: Mapping[str, Check], where: str) -> None:
    """Every key of ``spec`` present in ``cfg`` passes its check; sections named by a spec key must be
    mappings or null (a list where a section belongs is one line too; whether null is allowed is the config
    class's business, :func:`fpga_nn.yamlconfig.typed`)."""
    for dotted, check in spec.items():
        section = dotted.split(".")[0]
        if "." in dotted and cfg.get(section) is not None and not isinstance(cfg[section], Mapping):
            raise UserInputError(f"{where}: '{section}' = {cfg[section]!r} must be a mapping of keys")
        present, value = get(cfg, dotted)
        if present:
            check_value(value, check, where, dotted)
