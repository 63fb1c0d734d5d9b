"""Packaged-default YAML configs (suite, scan): read, refuse unknown keys, overlay, freeze.

The packaged YAML holds every default; a user's file is merged over it section by section, so the
code holds no second default. Unknown sections and keys are errors naming the nearest known one.
"""

from __future__ import annotations

import difflib
import os
from importlib import resources
from pathlib import Path

from .errors import UserInputError


def read_yaml(text: str, where: str, what: str) -> dict:
    import yaml

    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserInputError(f"{what} config {where} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(cfg, dict):
        raise UserInputError(f"{what} config {where} must be a mapping of sections")
    return cfg


def refuse(key: str, allowed, kind: str, where: str, what: str) -> None:
    near = difflib.get_close_matches(str(key), sorted(allowed), n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else f"; known: {', '.join(sorted(allowed))}"
    raise UserInputError(f"{what} config {where}: unknown {kind} '{key}'{hint}")


def check_keys(cfg: dict, schema: dict[str, frozenset | None], where: str, what: str) -> None:
    """Sections must be in ``schema``; a section with a key set may hold only those keys."""
    for section, value in cfg.items():
        if section not in schema:
            refuse(section, schema, "section", where, what)
        keys = schema[section]
        if keys is not None and isinstance(value, dict):
            for key in value:
                if key not in keys:
                    refuse(key, keys, f"key in '{section}'", where, what)


def overlay(base: dict, over: dict) -> dict:
    """``base`` with ``over`` applied: a section that is a mapping in both is updated key by key, anything
    else (lists, scalars) is replaced. Neither input is modified."""
    out = dict(base)
    for section, value in over.items():
        out[section] = (
            {**out[section], **value} if isinstance(value, dict) and isinstance(out.get(section), dict) else value
        )
    return out


def load(
    packaged: str, path: str | os.PathLike | None, schema: dict, version: int, what: str, quick: bool = False
) -> dict:
    """The packaged YAML ``packaged`` (a path under fpga_nn/, e.g. ``scan/scan.yaml``) with the user's file and
    ``quick:`` overrides applied."""
    package, _, name = f"fpga_nn/{packaged}".rpartition("/")
    defaults = read_yaml((resources.files(package.replace("/", ".")) / name).read_text(), "(packaged)", what)
    if path is None:
        cfg, where = defaults, "(packaged)"
    else:
        p = Path(path)
        if not p.is_file():
            raise UserInputError(f"{what} config {p} not found: start from fpga_nn/{packaged}")
        cfg, where = read_yaml(p.read_text(), str(p), what), str(p)
        check_keys(cfg, schema, where, what)
        check_keys(cfg.get("quick") or {}, schema, f"{where} (quick)", what)
        cfg = overlay({k: v for k, v in defaults.items() if k != "quick"}, cfg)
    if cfg.get("schema", version) != version:
        raise UserInputError(
            f"{what} config {where}: schema {cfg['schema']} is not {version}: start from "
            f"fpga_nn/{packaged} of this version"
        )
    cfg = dict(cfg)
    quick_over = cfg.pop("quick", {}) or {}
    if quick:
        cfg = overlay(cfg, quick_over)
    cfg["schema"] = version
    return cfg


class FrozenConfig(dict):
    """A parsed config: read-only at every level (lists become tuples), JSON-serialisable as a dict."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("the config is frozen once parsed: change the YAML instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse


def thaw(value):
    """The inverse of :func:`freeze`: plain dicts and lists (what JSON writes and Dask tasks take)."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def freeze(value):
    """``value`` with every mapping a FrozenConfig and every list a tuple, recursively."""
    if isinstance(value, dict):
        return FrozenConfig({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value
