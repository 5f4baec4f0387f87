"""`ibasho guidebook`: a district's guidebook (PDF, booklet, xlsx) and clear errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from data import get_path
from webmap.cli.main import main

CONFIG = str(get_path("takasaki"))


def test_guidebook_of_one_district_as_pdf_and_booklet(tmp_path: Path) -> None:
    out = tmp_path / "misato.pdf"
    result = CliRunner().invoke(main, ["guidebook", CONFIG, "--district", "箕郷",
                                       "--near-url", "https://ibasho.example.jp/near",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = PdfReader(io.BytesIO(out.read_bytes())).pages
    assert "箕郷地区" in pages[0].extract_text() and "箕輪城長寿センター" in "".join(
        page.extract_text() for page in pages)
    assert "Wrote 1 guidebook (PDF)" in result.stderr
    booklet = tmp_path / "misato-a5.pdf"
    result = CliRunner().invoke(main, ["guidebook", CONFIG, "--district", "箕郷", "--booklet",
                                       "--out", str(booklet)])
    assert result.exit_code == 0, result.output
    side = PdfReader(io.BytesIO(booklet.read_bytes())).pages[0]
    assert float(side.mediabox.width) > float(side.mediabox.height)  # A4 landscape


def test_guidebook_as_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "misato.xlsx"
    result = CliRunner().invoke(main, ["guidebook", CONFIG, "--district", "箕郷", "--format",
                                       "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = [row[2] for row in load_workbook(out)["資源一覧"].iter_rows(min_row=2,
                                                                         values_only=True)]
    assert "箕輪城長寿センター" in names


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--district", "どこか"], "箕郷"),  # the error lists the valid names
        ([], "--district NAME or --all-districts"),
        (["--district", "箕郷", "--all-districts"], "--district NAME or --all-districts"),
        (["--district", "箕郷", "--format", "xlsx", "--booklet"], "--booklet"),
    ],
)
def test_guidebook_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["guidebook", CONFIG, *args, "--out",
                                       str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()
