"""Files written all at once or not at all: into a temporary file beside, then renamed over.

A reader (a browser, QGIS, another worker, the next run) sees the old file or the new one,
never half of one: :func:`atomic_path` gives a writer a temporary path in the target's
folder and renames it over the target only when the writing ended without an error
(``os.replace`` is atomic within one file system); on an error the temporary file is removed
and the target is left as it was. Every file ibasho writes goes through here.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["FILE_MODE", "atomic_path", "write_atomic"]

#: The permissions of a written file: readable by all, as a file written in place would be
#: (a temporary file is made readable by its owner only).
FILE_MODE = 0o644


@contextmanager
def atomic_path(out: str | Path, *, create: bool = True) -> Iterator[Path]:
    """
    A temporary path beside ``out`` that replaces ``out`` when the block ends without error.

    Parameters
    ----------
    out
        The file to write; its folder is created if missing.
    create
        Whether the temporary file exists when the block starts (``False`` for writers that
        create the file themselves and refuse an existing one, such as GDAL).

    Yields
    ------
    Path
        Where to write, in ``out``'s folder, with ``out``'s suffix (writers that choose a
        format by the suffix choose the same one).

    Raises
    ------
    OSError
        If the folder cannot be created or written; ``out`` is unchanged then.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "note.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("居場所", encoding="utf-8")
    ...     out.exists()
    False
    >>> out.read_text(encoding="utf-8"), [p.name for p in out.parent.iterdir()]
    ('居場所', ['note.txt'])
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        if not create:
            tmp.unlink()
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(out: str | Path, data: str | bytes) -> Path:
    """
    Write ``data`` (text as UTF-8) to ``out`` all at once (see :func:`atomic_path`).

    Examples
    --------
    >>> import tempfile
    >>> out = write_atomic(Path(tempfile.mkdtemp()) / "a" / "page.html", "<p>地図</p>")
    >>> out.read_bytes().decode("utf-8")
    '<p>地図</p>'
    """
    out = Path(out)
    with atomic_path(out) as tmp:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
    return out
