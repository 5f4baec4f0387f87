"""Variants of the embedded Takasaki config for tests: layers dropped, settings added.

Imported as ``from takasaki_configs import takasaki_config`` (``tests/`` is on the path).
"""

from __future__ import annotations

import re
from pathlib import Path

from data import get_path


def takasaki_config(folder: Path, *, drop: tuple[str, ...] = (), extra: str = "") -> Path:
    """
    The Takasaki config written into ``folder`` with its paths made absolute (the data stays
    where it is), the ``[layers.NAME]`` tables of ``drop`` left out and ``extra`` appended.
    """
    source = Path(get_path("takasaki"))
    text = source.read_text(encoding="utf-8")
    for layer in drop:
        text, count = re.subn(rf"\[layers\.{layer}\]\n(?:[^\[\n].*\n|\n)*", "", text)
        assert count == 1, f"no [layers.{layer}] in {source}"
    text = re.sub(r'(path|boundary) = "([^"]+)"',
                  lambda m: f'{m[1]} = "{(source.parent / m[2]).as_posix()}"', text)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ibasho.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path
