"""The architecture is checked, not only described: the import-linter contracts hold, no private
name crosses a module, and no modules import each other in a circle."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "layers", "webmap", "data")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imported_from(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = _modules()
    assert "webmap.web.base" in modules and len(modules) > 50
    found = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = _imported_from(name, path, node)
            if source.split(".")[0] not in PACKAGES:
                continue
            found += [f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name} from {source}"
                      for alias in node.names
                      if alias.name.startswith("_") and f"{source}.{alias.name}" not in modules]
    assert not found, "make these public where they belong:\n" + "\n".join(found)


def test_import_linter_contracts_are_kept() -> None:
    """The contracts of ``[tool.importlinter]`` in pyproject.toml (layers, independence, ...)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"install the test extra: {lint_imports} is missing"
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (``from X import Y``: ``X.Y`` if a module)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _imported_from(name, path, node)
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules
                           else source for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:  # ``import a.b.c`` of a name in a.b
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of ``graph``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_strongly_connected_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(_strongly_connected(graph)) == [["a", "b", "c"], ["d"]]


def test_no_import_circle_among_the_modules() -> None:
    modules = {name: path for name, path in _modules().items()
               if name.split(".")[0] in ("geo", "layers", "webmap")}
    graph = _import_graph(modules)
    assert "layers.store.places" in graph["layers.store.place_io"]  # a from-import of a module
    assert "layers.files.place_files" in graph["layers.store.place_io"]
    circles = [component for component in _strongly_connected(graph) if len(component) > 1]
    assert not circles, "import circles (each imports the others, directly or not):\n" + \
        "\n".join(" ↔ ".join(circle) for circle in circles)
