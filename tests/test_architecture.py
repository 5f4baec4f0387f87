"""The architecture is checked, not only described: no private name crosses a module."""

from __future__ import annotations

import ast
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
