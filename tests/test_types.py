"""``geo/`` and ``layers/`` type-check with mypy, as configured in ``pyproject.toml``."""

from __future__ import annotations

from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parent.parent


def test_geo_and_layers_type_check(tmp_path, monkeypatch):
    # run from the project root so mypy reads [tool.mypy] (files, overrides) from pyproject.toml
    monkeypatch.chdir(ROOT)
    report, errors, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                      "--cache-dir", str(tmp_path / "mypy-cache"),
                                      "--no-error-summary"])
    assert status == 0, f"mypy found type errors:\n{report}{errors}"
    assert report == "" and errors == "", report + errors


def test_packages_are_marked_typed():
    # PEP 561: without the marker, code that imports the installed packages sees no types
    assert (ROOT / "geo" / "py.typed").is_file()
    assert (ROOT / "layers" / "py.typed").is_file()
