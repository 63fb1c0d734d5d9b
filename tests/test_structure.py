"""The package's shape: no import runs up the layer order, no import cycle, no module over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
# lowest first: a module may import its own layer and the layers before it (fpga_nn/__init__.py says why)
ORDER = (
    "_base", "layers", "fixed", "data", "models", "frontends", "training", "convert", "verify", "hardware",
    "reports", "build", "scan", "studies", "cli", "__main__",
)  # fmt: skip
BASE = {
    "__init__",
    "errors",
    "atomic",
    "jsonio",
    "outdir",
    "schema",
    "scratch",
    "signals",
    "yamlconfig",
    "tools",
    "project_files",
}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "fpga_nn").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every fpga_nn module ``name`` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [f"{target}.{a.name}" for a in node.names] + [target]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        for c in candidates:
            if c in modules and c != name:
                out.add(c)
                break
    return out


def _layer(name: str) -> str:
    top = name.split(".")[1] if "." in name else "__init__"
    return "_base" if top in BASE else top


def test_no_import_runs_up_the_layer_order():
    modules = _modules()
    assert {_layer(m) for m in modules} <= set(ORDER), "a new top-level package: place it in ORDER"
    upward = [
        f"{m} -> {t}"
        for m, path in modules.items()
        for t in _imports(m, path, modules)
        if ORDER.index(_layer(t)) > ORDER.index(_layer(m))
    ]
    assert upward == []


def test_no_import_cycle():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m, path):
        state[m] = 1
        for t in graph[m]:
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(t) :], t]))
            if t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])


def test_no_module_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "fpga_nn").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
