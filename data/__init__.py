"""The embedded default study area (Takasaki) and a helper to find its files."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "available", "get_path"]

DATA_DIR = Path(__file__).resolve().parent

_DATASETS = {"takasaki": DATA_DIR / "takasaki" / "ibasho.toml"}


def available() -> list[str]:
    """Names of the embedded study areas."""
    return sorted(_DATASETS)


def get_path(name: str) -> Path:
    """
    Return the config file of an embedded study area.

    Examples
    --------
    >>> get_path("takasaki").name
    'ibasho.toml'
    """
    try:
        return _DATASETS[name]
    except KeyError:
        msg = f"No embedded study area {name!r}; available: {', '.join(available())}."
        raise ValueError(msg) from None
