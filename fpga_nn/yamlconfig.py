"""Packaged-default YAML configs (suite, scan): read, refuse unknown keys, overlay, freeze.

The packaged YAML holds every default; a user's file is merged over it section by section, so the
code holds no second default. Unknown sections and keys are errors naming the nearest known one.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import types
import typing
from collections.abc import Mapping
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


def layers(
    packaged: str, path: str | os.PathLike | None, schema: dict, what: str, quick: bool = False
) -> list[tuple[str, dict]]:
    """The layers of a config, lowest precedence first, each as (where, mapping) without its ``quick:`` key:
    the packaged YAML ``packaged`` (a path under fpga_nn/, e.g. ``scan/scan.yaml``), the user's file (its keys
    checked), then, with ``quick``, the ``quick:`` section of the last file (the user's when there is one)."""
    package, _, name = f"fpga_nn/{packaged}".rpartition("/")
    files = [
        ("(packaged)", read_yaml((resources.files(package.replace("/", ".")) / name).read_text(), "(packaged)", what))
    ]
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UserInputError(f"{what} config {p} not found: start from fpga_nn/{packaged}")
        cfg = read_yaml(p.read_text(), str(p), what)
        check_keys(cfg, schema, str(p), what)
        check_keys(cfg.get("quick") or {}, schema, f"{p} (quick)", what)
        files.append((str(p), cfg))
    where, last = files[-1]
    out = [(w, {k: v for k, v in cfg.items() if k != "quick"}) for w, cfg in files]
    return out + [(f"{where} (quick)", last.get("quick") or {})] if quick else out


def merge(config_layers: list[tuple[str, dict]], packaged: str, version: int, what: str) -> dict:
    """The layers of :func:`layers` overlaid in order (the files' schema version checked before ``quick:``)."""
    files = [(w, layer) for w, layer in config_layers if not w.endswith("(quick)")]
    cfg: dict = {}
    for _, layer in files:
        cfg = overlay(cfg, layer)
    if cfg.get("schema", version) != version:
        raise UserInputError(
            f"{what} config {files[-1][0]}: schema {cfg['schema']} is not {version}: start from "
            f"fpga_nn/{packaged} of this version"
        )
    for _, layer in config_layers[len(files) :]:
        cfg = overlay(cfg, layer)
    cfg["schema"] = version
    return cfg


def load(
    packaged: str, path: str | os.PathLike | None, schema: dict, version: int, what: str, quick: bool = False
) -> dict:
    """The packaged YAML ``packaged`` (a path under fpga_nn/, e.g. ``scan/scan.yaml``) with the user's file and
    ``quick:`` overrides applied."""
    return merge(layers(packaged, path, schema, what, quick), packaged, version, what)


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


# ------------------------------------------------------------------------------- typed configs
# A config is a frozen dataclass whose fields are its top-level keys; a field whose type is a frozen
# dataclass (or one of them | None) is a section whose fields are its keys. The schema (which keys exist)
# and the value checks are derived from these declarations: a field's ``Check`` rides in its metadata
# (``checked(...)``), a ``Literal[...]`` field is a choice of its values. The YAML holds every default.


def checked(check=None, each=None, default=dataclasses.MISSING, **nested):
    """A config field with the value check ``check`` (a :class:`~fpga_nn.schema.Check`); ``each`` is the check
    of every entry of a list-valued field (a scan axis); ``nested`` checks the keys of a mapping-valued field
    (``sigma_fb={"signal": Num(0)}``); a ``default`` makes the key optional in the YAML."""
    return dataclasses.field(default=default, metadata={"check": check, "each": each, "nested": nested})


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def section_of(hint):
    """The dataclass a field's type names (``Section`` or ``Section | None``), else None."""
    options = (
        typing.get_args(hint)
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
        else (hint,)
    )
    found = [o for o in options if dataclasses.is_dataclass(o)]
    return found[0] if found else None


def schema_of(root) -> dict[str, frozenset | None]:
    """Every key a YAML of config class ``root`` may hold: sections -> their keys, values -> None."""
    out = {}
    for f in dataclasses.fields(root):
        sec = section_of(_hints(root)[f.name])
        out[f.name] = frozenset(g.name for g in dataclasses.fields(sec)) if sec else None
    out["quick"] = None
    return out


def _field_checks(cls, prefix: str) -> dict:
    out = {}
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        sec = section_of(hints[f.name])
        if sec is not None:
            out.update(_field_checks(sec, f"{key}."))
            continue
        check = f.metadata.get("check")
        if check is None and typing.get_origin(hints[f.name]) is typing.Literal:
            from .schema import Check

            check = Check("choice", choices=typing.get_args(hints[f.name]))
        if check is not None:
            out[key] = check
        out.update({f"{key}.{k}": c for k, c in f.metadata.get("nested", {}).items()})
    return out


def values_of(root) -> dict:
    """The value check of every key of config class ``root``, by dotted key (``training.epochs``)."""
    return _field_checks(root, "")


def typed(cls, data, where: str = "config"):
    """An instance of config class ``cls`` from a mapping (lists become tuples, mappings inside a value stay
    read-only mappings); a missing key without a default is a one-line error naming it."""
    hints = _hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise UserInputError(f"{where}: '{f.name}' is missing")
            continue
        value, sec = data[f.name], section_of(hints[f.name])
        if sec is not None and not isinstance(value, Mapping) and (value is not None or sec is hints[f.name]):
            raise UserInputError(f"{where}: '{f.name}' = {value!r} must be a mapping of keys")
        values[f.name] = typed(sec, value, f"{where}: '{f.name}'") if sec and value is not None else freeze(value)
    return cls(**values)


def plain(config) -> dict:
    """A typed config as plain dicts and lists (what JSON writes and content hashes read)."""
    return thaw(dataclasses.asdict(config))
