"""The Examples in the docstrings of geo/, layers/, webmap/ and data/ run, and stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geo
import layers
import webmap

MODULES = ["data"] + [info.name for package in (geo, layers, webmap)
                      for info in pkgutil.walk_packages(package.__path__,
                                                        prefix=f"{package.__name__}.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
