"""``ibasho batch``: real Gunma municipalities on a local Dask cluster and one after another."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from layers.batch import read_batch
from webmap.cli.batch import GEOPACKAGE_NAME, run_batch
from webmap.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
GUNMA = ROOT.parent / "shared" / "data" / "gunma"
#: 上野村 (bus, 24 shelters), 神流町 (no bus feed), 川場村 (its village bus)
CODES = ("10366", "10367", "10444")

pytestmark = pytest.mark.skipif(not GUNMA.is_dir(), reason="the shared Gunma data is absent")


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("gunma")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_gunma_configs.py"), str(out),
                    "--data", str(GUNMA)], check=True, capture_output=True)
    return [out / code / "ibasho.toml" for code in CODES]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c for c in ("municipality", "target", "district", "radius_m", "stop_id")
               if c in frame.columns]
    frame = frame.drop(columns=[c for c in ("geometry", "seconds") if c in frame.columns])
    return frame.sort_values(columns).reset_index(drop=True)


def test_two_workers_equal_a_sequential_run(configs: list[Path], tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    plain = run_batch(configs, tmp_path / "plain")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        lines: list[str] = []
        dask = run_batch(configs, tmp_path / "dask", client=client, echo=lines.append)
    assert len(lines) == 3  # one progress line per area
    assert not plain.failed and not dask.failed
    a, b = read_batch(plain.geopackage), read_batch(dask.geopackage)
    assert set(a) == {"municipalities", "coverage", "gaps", "stops", "public_buildings",
                      "batch_runs"}
    for name in ("municipalities", "coverage", "stops"):
        pd.testing.assert_frame_equal(_sorted(a[name]), _sorted(b[name]))
    for name in ("municipalities", "gaps"):
        left = a[name].sort_values(["municipality", *(["radius_m"] if name == "gaps" else [])])
        right = b[name].sort_values(list(left.columns.intersection(["municipality", "radius_m"])))
        assert left.geometry.reset_index(drop=True).geom_equals_exact(
            right.geometry.reset_index(drop=True), 1e-9).all()
    areas = a["municipalities"].set_index("municipality")
    assert sorted(areas.index) == sorted(["上野村", "川場村", "神流町"])
    assert areas.loc["神流町", "stops"] == 0
    assert not areas["places_known"].any()
    census = pd.read_csv(GUNMA / "population" / "chocho_2015_gunma.csv", dtype={"city_code": str})
    assert areas.loc["川場村", "population"] == census.loc[
        census["city_code"] == "10444", "population"].sum()
    coverage = a["coverage"]
    assert set(coverage["target"]) == {"公共施設", "運行のあるバス停"}  # never 居場所


def test_rerun_skips_unchanged_and_reports_a_failing_area(configs: list[Path],
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    broken = tmp_path / "broken" / "ibasho.toml"
    broken.parent.mkdir()
    broken.write_text(configs[0].read_text(encoding="utf-8").replace(
        'keep = { city_code = "10366" }', 'keep = { city_code = "99999" }', 1),
        encoding="utf-8")
    (broken.parent / "outline.geojson").write_bytes(
        (configs[0].parent / "outline.geojson").read_bytes())
    first = run_batch([*configs[:2], broken], out)
    assert [r.municipality for r in first.failed] == ["broken"]
    assert "99999" in (first.failed[0].error or "")
    written = read_batch(first.geopackage)
    assert sorted(written["municipalities"]["municipality"]) == ["上野村", "神流町"]
    runs = written["batch_runs"].set_index("municipality")
    assert runs.loc["broken", "status"] == "error"

    second = run_batch([*configs[:2], broken], out)  # the broken area is tried again
    assert sorted(second.skipped) == ["上野村", "神流町"]
    assert [r.municipality for r in second.done] == ["broken"]
    again = read_batch(second.geopackage)
    pd.testing.assert_frame_equal(_sorted(written["coverage"]), _sorted(again["coverage"]))
    assert not list(out.glob(".*tmp*"))  # no temporary file left behind


def test_the_command_exits_1_naming_the_failed_area(configs: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[study_area\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["batch", str(configs[1]), str(bad), "--sequential",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "TOML" in result.output
    assert (tmp_path / "out" / GEOPACKAGE_NAME).exists()


def test_the_overview_pages_link_every_municipality(configs: list[Path], tmp_path: Path) -> None:
    odd = tmp_path / "odd" / "ibasho.toml"  # a name that must stay text, never markup
    odd.parent.mkdir()
    odd.write_text(configs[1].read_text(encoding="utf-8").replace(
        'name = "神流町"', 'name = "<b>神流町</b>"', 1), encoding="utf-8")
    (odd.parent / "outline.geojson").write_bytes(
        (configs[1].parent / "outline.geojson").read_bytes())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(configs[0]), str(odd), "--sequential",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="areas/10366.html">上野村</a>' in index
    assert "&lt;b&gt;神流町&lt;/b&gt;" in index and "<b>神流町" not in index
    assert "一覧なし" in index  # no list of 居場所: said, not counted as 0
    assert "出典：国土地理院 指定緊急避難場所・指定避難所データを加工して作成" in index
    assert 'src="overview_map.html"' in index and (out / "overview_map.html").exists()
    area = (out / "areas" / "10366.html").read_text(encoding="utf-8")
    assert "居場所の一覧はありません" in area and "市町村全体を一つの区域として集計" in area
    assert "static/vendor/leaflet/leaflet.js" in area and "cdn.jsdelivr" not in area
    assert (out / "areas" / "odd.html").exists()


def test_a_municipality_s_own_maps_say_what_it_lacks(configs: list[Path]) -> None:
    from layers.study import load_study_area
    from webmap.maps.reach_layers import method_notes

    notes = method_notes(load_study_area(configs[0]), None)
    assert "地区の区域がないため、全体を一つの区域として集計しています" in notes
    assert "居場所の一覧はありません（公共施設は居場所として数えていません）" in notes


#: Five small municipalities (more tasks than twice the threads: Dask queues them, one per
#: worker at a time) for the tests that kill a worker.
SMALL = ("10366", "10367", "10444", "10443", "10382")


@pytest.mark.parametrize("deaths", [1, 2])
def test_a_worker_that_dies_mid_task(configs: list[Path], deaths: int, tmp_path: Path) -> None:
    """Killed once, the area is retried and written; killed twice, it is reported as failed,
    with why, and nothing of it is in the GeoPackage, while the others are written."""
    from distributed import Client
    from dying_worker import DieWhileAnalysing

    from webmap.cli.batch import local_cluster

    paths = [configs[0].parent.parent / code / "ibasho.toml" for code in SMALL]
    tally = tmp_path / "deaths.txt"
    lines: list[str] = []
    with local_cluster(2) as cluster, Client(cluster) as client:
        client.register_plugin(DieWhileAnalysing("10367", tally, times=deaths))
        report = run_batch(paths, tmp_path / "out", client=client, echo=lines.append)
    assert len(tally.read_text().splitlines()) == deaths  # the worker really died mid-task
    written = read_batch(report.geopackage)
    runs = written["batch_runs"].set_index("config")
    lost = runs.loc[str(paths[1].resolve())]
    assert lost["workers_lost"] == deaths
    others = [str(p.resolve()) for p in paths if p != paths[1]]
    assert (runs.loc[others, "status"] == "ok").all()
    assert (runs.loc[others, "workers_lost"] == 0).all()
    areas = set(written["municipalities"]["municipality"])
    layers = ("municipalities", "coverage", "gaps", "stops", "public_buildings")
    if deaths == 1:  # retried once, on a new worker, and complete
        assert lost["status"] == "ok" and not report.failed
        assert "神流町" in areas and len(areas) == 5
        assert any("神流町" in line and "retried: 1 worker lost" in line for line in lines)
        plain = run_batch(paths[1:2], tmp_path / "plain")
        again = read_batch(plain.geopackage)
        for name in ("municipalities", "coverage"):  # 神流町 has no bus stops
            mine = written[name][written[name]["municipality"] == "神流町"]
            pd.testing.assert_frame_equal(_sorted(mine), _sorted(again[name]))
    else:  # lost twice: reported with its folder and why; no row of it anywhere
        assert [r.config for r in report.failed] == [str(paths[1].resolve())]
        assert lost["status"] == "error"
        assert "作業プロセスが分析中に2回終了しました" in lost["error"]
        assert "out of memory or a crash" in lost["error"]
        assert any(line.startswith(f"[{i}/5] 10367") and "failed" in line
                   for i in range(1, 6) for line in lines)
        assert len(areas) == 4 and "神流町" not in areas
        for name in layers:
            assert "神流町" not in set(written[name]["municipality"])
    assert not list((tmp_path / "out").glob(".*tmp*"))
