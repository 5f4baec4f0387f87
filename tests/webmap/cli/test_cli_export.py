"""`ibasho export`: sheets from the command line, and clear errors for bad options."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from data import get_path
from webmap.cli.main import main

CONFIG = str(get_path("takasaki"))


def test_export_one_district_pdf(tmp_path: Path) -> None:
    out = tmp_path / "misato.pdf"
    result = CliRunner().invoke(main, ["export", CONFIG, "--district", "箕郷", "--format", "pdf",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert "Wrote 1 sheet" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--district", "どこか"], "箕郷"),  # the error lists the valid names
        (["--dpi", "1200"], "150, 300"),
        (["--paper", "B5"], "A4"),
        (["--district", "箕郷", "--all-districts"], "not both"),
    ],
)
def test_export_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["export", CONFIG, *args, "--out",
                                       str(tmp_path / "x.png")])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.png").exists()


def test_export_to_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", CONFIG, "--district", "箕郷", "--out",
                                       str(tmp_path / "no" / "such" / "dir" / "x.png")])
    assert result.exit_code == 1
    assert "x.png" in result.output or "dir" in result.output


def test_export_with_the_grid_and_a_band_the_data_lacks(tmp_path: Path) -> None:
    out = tmp_path / "minowa-grid.png"
    result = CliRunner().invoke(main, ["export", CONFIG, "--district", "箕郷", "--grid",
                                       "--dpi", "150", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = CliRunner().invoke(main, ["export", CONFIG, "--district", "箕郷", "--basis",
                                        "age65", "--out", str(tmp_path / "x.png")])
    assert refused.exit_code == 1
    assert "--basis age65" in refused.output and "it has: total" in refused.output
    assert not (tmp_path / "x.png").exists()
