"""Files written all at once or not at all (:mod:`layers.files.atomic`)."""

from __future__ import annotations

import stat

import pytest

from layers.files.atomic import FILE_MODE, atomic_path, write_atomic


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    out = tmp_path / "places.csv"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk full"), atomic_path(out) as tmp:
        tmp.write_text("half a new fi", encoding="utf-8")
        raise RuntimeError("disk full")
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["places.csv"]


def test_a_writer_that_creates_the_file_itself_gets_a_free_name(tmp_path) -> None:
    out = tmp_path / "layers.gpkg"
    with atomic_path(out, create=False) as tmp:
        assert not tmp.exists() and tmp.parent == tmp_path and tmp.suffix == ".gpkg"
        tmp.write_bytes(b"new")
    assert out.read_bytes() == b"new"


def test_written_files_are_readable_by_all_and_replace_the_old(tmp_path) -> None:
    out = write_atomic(tmp_path / "sub" / "index.html", "<p>新しい地図</p>")
    write_atomic(out, "<p>もっと新しい地図</p>".encode())
    assert out.read_text(encoding="utf-8") == "<p>もっと新しい地図</p>"
    assert stat.S_IMODE(out.stat().st_mode) == FILE_MODE
    assert [p.name for p in out.parent.iterdir()] == ["index.html"]
