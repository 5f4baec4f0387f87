"""The ibasho command: check lists every problem; build writes maps and a GeoPackage."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from estat_files import takasaki_mesh_rows, write_mesh_zip

from data import get_path
from layers.store.participation import import_participation
from webmap.cli.main import main
from webmap.maps.site import district_file_name


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose site database is a fresh path (so builds read the config's files)."""
    monkeypatch.setenv("IBASHO_DATABASE", str(tmp_path / "no-database-yet.gpkg"))
    monkeypatch.delenv("IBASHO_DATABASE_URL", raising=False)
    return CliRunner()


@pytest.fixture
def broken_city(tmp_path: Path) -> Path:
    """A copy of the Takasaki config whose places file has three errors and a warning."""
    source = get_path("takasaki").parent
    city = tmp_path / "city"
    shutil.copytree(source, city)
    with (city / "places.csv").open("a", encoding="utf-8") as f:
        f.write("壊れた行,居場所,,東,36.3,,,,,,\n")          # lon is not a number
        f.write("逆さま,サロン,,36.33,139.01,,,,,,\n")      # lat/lon swapped
        f.write("謎の店,喫茶店,,139.0,36.33,,,,,,\n")       # unknown category
    return city / "ibasho.toml"


def test_check_takasaki_passes_with_warnings(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check", str(get_path("takasaki"))])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stderr
    assert "WARNING: places.csv, row 4, field 'lon/lat': no coordinates" in result.stdout


def test_check_reports_every_error_and_exits_nonzero(runner: CliRunner, broken_city: Path) -> None:
    result = runner.invoke(main, ["check", str(broken_city)])
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 3, result.stdout
    assert "places.csv, row 78, field 'lon': '東' is not a number" in errors[0]
    assert "row 79" in errors[1] and "swapped" in errors[1]
    assert "row 80, field 'category': unknown category 喫茶店" in errors[2]
    assert "3 errors" in result.stderr


def estat_city(tmp_path: Path, rows: list) -> Path:
    """A copy of the Takasaki config whose population is a 500 m mesh file (made-up counts)."""
    source = get_path("takasaki").parent
    city = tmp_path / "estat_city"
    shutil.copytree(source, city)
    zipped = write_mesh_zip(city / "population", rows)
    config = city / "ibasho.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[layers.population]")
    end = text.index("[layers.candidates]")
    section = (f'[layers.population]\nformat = "estat_mesh"\npath = "population/{zipped.name}"\n'
               'fields = { total = "T001142001", age65 = "T001142019" }\n\n')
    config.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return config


def test_check_reads_an_estat_mesh_file(runner: CliRunner, tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=9, bbox=(138.95, 36.28, 139.08, 36.38))
    result = runner.invoke(main, ["check", str(estat_city(tmp_path, rows))])
    assert result.exit_code == 0, result.output
    assert re.search(r"population +\d+ features +0 problems", result.stderr)


def test_check_names_file_row_and_column_of_an_estat_file(runner: CliRunner,
                                                          tmp_path: Path) -> None:
    rows = takasaki_mesh_rows(digits=9, bbox=(138.95, 36.28, 139.08, 36.38))
    rows[4].counts["T001142019"] = -12
    rows[9].code = rows[9].code[:8]
    result = runner.invoke(main, ["check", str(estat_city(tmp_path, rows))])
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("ERROR")]
    assert errors == [
        "ERROR: tblT001142Q5439.txt, row 7, field 'T001142019': -12 is negative, not a count "
        "of people. e-Stat writes whole numbers ≥ 0, '-' for none and '*' for a hidden value. "
        "Use the file exactly as downloaded from e-Stat (統計GIS); if it was opened and saved "
        "in another program, download it again.",
        f"ERROR: tblT001142Q5439.txt, row 12, field 'KEY_CODE': '{rows[9].code}' is a 1 km mesh "
        "code, but the other rows have 500 m codes (9 digits). A population layer is one mesh "
        "level: use the files of one download (1 km, 500 m or 250 m), not a mix."], errors


def test_build_refuses_broken_data_without_writing(runner: CliRunner, broken_city: Path,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(broken_city), "--out", str(out)])
    assert result.exit_code == 1
    assert "ibasho check" in result.stderr
    assert not out.exists()


def test_build_writes_maps_and_geopackage(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = runner.invoke(main, ["build", str(get_path("takasaki")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").stat().st_size > 10_000
    assert len(list((out / "districts").glob("*.html"))) == 26
    layers = {name for name, _ in pyogrio.list_layers(out / "ibasho.gpkg")}
    assert {"districts", "places", "stops", "bus_routes", "population", "reach_buffers", "gaps",
            "coverage_by_district"} <= layers
    places = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="places")
    assert len(places) == 76  # places without a position are kept
    # バスを使えば行ける: every resident point's kind, and people per district by kind
    bus_points = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="bus_reach_points")
    assert len(bus_points) == 428 and set(bus_points["kind"]) == {"walk", "bus", "neither"}
    assert bus_points["estimated"].all() and (bus_points["door_to_door_minutes"] == 45).all()
    bus_table = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="bus_reach_districts")
    assert {"district", "population", "walk", "bus", "neither", "basis"} <= set(bus_table)
    assert bus_table["bus"].sum() == bus_points.loc[bus_points["kind"] == "bus", "people"].sum()
    assert not list(out.glob(".*gpkg")), "no temporary file is left behind"


def test_build_to_unwritable_folder(runner: CliRunner, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = runner.invoke(main, ["build", str(get_path("takasaki")), "--out", str(blocker / "x")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_build_shows_the_places_staff_edited(runner: CliRunner, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Once `ibasho serve` keeps a database, `ibasho build` maps its places, not the file's."""
    from layers.store.site import open_site_database
    from layers.study import load_study_area

    database = tmp_path / "site.gpkg"
    study = load_study_area(get_path("takasaki"))
    site = open_site_database(study, str(database))  # seeded from the config's 76 places
    site.places.add_place({"name": "新しいサロン", "category": "サロン", "lon": 139.0046,
                           "lat": 36.3219, "position_source": "exact:地理院地図",
                           "capacity": "15"}, user="suzuki")
    # made-up participation of two places; p0001's months stay in the figures once retired
    import_participation(site.places, [
        {"place_id": place_id, "month": month, "participants": people, "participants_65": "",
         "sessions": 4, "activity": "体操", "frequency": "週1回以上"}
        for place_id, month, people in (("p0001", "2025-03", 9), ("p0001", "2025-04", 11),
                                        ("p0077", "2025-04", 12))], user="suzuki",
        today=dt.date(2025, 5, 1))
    site.places.retire_place("p0001", expected_version=1, user="suzuki")
    monkeypatch.setenv("IBASHO_DATABASE", str(database))
    out = tmp_path / "site"
    result = runner.invoke(main, ["build", str(get_path("takasaki")), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "places from the database" in result.stderr
    places = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="places")
    assert len(places) == 76  # 76 + 1 added - 1 retired
    assert "新しいサロン" in set(places["name"]) and "4区のえんがわ" not in set(places["name"])
    assert "新しいサロン" in (out / "index.html").read_text(encoding="utf-8")
    assert places.set_index("name").loc["新しいサロン", "capacity"] == 15
    years = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="participation_years")
    city = years[years["district"] == "市全体"].set_index("fiscal_year")
    assert city.loc[2024, "participants"] == 9 and city.loc[2025, "participants"] == 23
    report = pyogrio.read_dataframe(out / "ibasho.gpkg", layer="participation_places_by_year")
    assert len(report) == 3 and set(report["name"]) == {"新しいサロン", "4区のえんがわ"}
    assert {"participation_months", "participation_by_frequency",
            "participation_by_activity"} <= {n for n, _ in pyogrio.list_layers(out / "ibasho.gpkg")}
    # the static district pages have the served page's participation section …
    recorded = set(report["district"])
    assert len(recorded) >= 1
    for district in recorded:
        page = (out / "districts" / district_file_name(district)).read_text(encoding="utf-8")
        assert 'id="participation"' in page and "participation-chart" in page
        assert "2025-04" in page
    # … and the pages of districts without records say where the records are kept
    other = next(d for d in study.district_names if d not in recorded)
    page = (out / "districts" / district_file_name(other)).read_text(encoding="utf-8")
    assert "この地区の参加の記録はまだありません" in page and "/admin" in page
    assert "participation-chart" not in page


def test_serve_refuses_a_broken_city_with_its_problems_before_any_worker_starts(
        runner: CliRunner, broken_city: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database is made ready in a process of its own; its data errors come back whole
    (file, row, field) and the command stops with status 1 instead of serving."""
    # serve tells its worker processes the config through IBASHO_CONFIG; in this process
    # the setting must not outlive the test
    monkeypatch.setenv("IBASHO_CONFIG", str(broken_city))
    result = runner.invoke(main, ["serve", str(broken_city), "--port", "1"])
    assert result.exit_code == 1, result.output
    assert "places.csv, row 78, field 'lon': '東' is not a number" in result.stderr
    assert "has data errors; run `ibasho check" in result.stderr
