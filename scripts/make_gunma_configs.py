"""Write one ibasho study-area config per municipality of Gunma (35) from the shared data.

Usage::

    python scripts/make_gunma_configs.py OUT_DIR [--data ../shared/data/gunma]

For each municipality, ``OUT_DIR/<code>/`` gets ``outline.geojson`` (its N03 outline, copied
from ``municipalities.geojson``) and ``ibasho.toml``, whose layers point at the shared files and
keep the municipality's rows with ``keep = { city_code = "…" }`` (a plain comparison of values):

- population: its census points (2015 小地域, totals only);
- stops: its bus stops of every feed (with their timetables: departures per day), and routes:
  the route lines of the feeds that stop there; none for a municipality no feed serves;
- candidates: its designated shelters (指定避難所), public buildings labelled 公共施設;
- no places layer: no list of 居場所 exists for these municipalities, and the pages say so;
- no district polygons: the municipality is one area (``[districts] from_population`` would
  group census areas instead).

The configs point at absolute paths of the shared data, which the project cannot ship, so they
are written to a folder given on the command line and never committed.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "gunma"

ATTRIBUTION = (
    "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成",
    "出典：政府統計の総合窓口（e-Stat）国勢調査（平成27年）小地域データを加工して作成",
    "出典：国土地理院 指定緊急避難場所・指定避難所データを加工して作成",
)
BUS_ATTRIBUTION = "出典：群馬県内バス路線情報（群馬県）を加工して作成（CC BY 4.0）"


def _toml_text(value: str) -> str:
    """A TOML basic string (json escapes are valid TOML escapes)."""
    return json.dumps(value, ensure_ascii=False)


def feeds_by_city(stops_path: Path) -> dict[str, list[str]]:
    """The feeds with at least one stop in each municipality, by municipality code."""
    stops = json.loads(stops_path.read_text(encoding="utf-8"))
    feeds: dict[str, set[str]] = defaultdict(set)
    for feature in stops["features"]:
        properties = feature["properties"]
        if properties.get("city_code"):
            feeds[str(properties["city_code"])].add(str(properties["feed"]))
    return {code: sorted(names) for code, names in feeds.items()}


def config_text(code: str, name: str, data: Path, feeds: list[str]) -> str:
    """The ``ibasho.toml`` of one municipality."""
    q = _toml_text
    lines = [
        f"# ibasho study-area config: {name} ({code}), written by scripts/make_gunma_configs.py.",
        "# Layers point at the shared Gunma data and keep this municipality's rows.",
        "",
        "[study_area]",
        f"name = {q(name)}",
        f"title = {q(name + ' 公共施設・バス停までの徒歩圏')}",
        'boundary = "outline.geojson"',
        f"code = {q(code)}",
        'metric_crs = "EPSG:6677"',
        "",
        "[walking]",
        "radii_m = [300, 500, 800]",
        'profile = "elderly"',
        "detour_factor = 1.3",
        "",
        "# No district polygons: the municipality is one area. To group census areas instead:",
        '# [districts]\n# from_population = "COLUMN"   # a column of the population file',
        "",
        "# No list of 居場所 exists for this municipality: there is no [layers.places].",
        "# The analysis measures reach to public buildings (公共施設) and bus stops instead.",
        "",
        "[layers.population]",
        f"path = {q(str(data / 'population' / 'chocho_2015_gunma.csv'))}",
        f"keep = {{ city_code = {q(code)} }}",
        'fields = { name = "name", key_code = "key_code", total = "population", '
        'lon = "lon", lat = "lat" }',
        "",
        "[layers.candidates]",
        "# 指定避難所: public buildings (公共施設), not 居場所.",
        f"path = {q(str(data / 'facilities' / 'gsi_designated_shelters_gunma.geojson'))}",
        f"keep = {{ city_code = {q(code)} }}",
        'fields = { name = "施設・場所名", address = "住所" }',
        "",
    ]
    if feeds:
        lines += [
            "[layers.stops]",
            f"path = {q(str(data / 'bus' / 'stops_gunma.geojson'))}",
            f"keep = {{ city_code = {q(code)} }}",
            'fields = { name = "name", timetable_html = "時刻表", operator = "運行", '
            'note = "備考" }',
            "",
            "[layers.bus_routes]",
            f"path = {q(str(data / 'bus' / 'routes_gunma.geojson'))}",
            f"keep = {{ feed = [{', '.join(q(f) for f in feeds)}] }}",
            'fields = { route_stops_html = "経路", color = "_color", operator = "運行" }',
            "",
        ]
    else:
        lines += ["# No bus feed of 群馬県内バス路線情報 has a stop in this municipality.", ""]
    attribution = [*ATTRIBUTION, *([BUS_ATTRIBUTION] if feeds else [])]
    lines += ["[attribution]", "lines = [", *(f"  {q(line)}," for line in attribution), "]", ""]
    return "\n".join(lines)


def write_configs(out: Path, data: Path = DEFAULT_DATA) -> list[Path]:
    """Write every municipality's folder under ``out``; return the config paths, by code."""
    data = data.resolve()
    municipalities = json.loads((data / "municipalities.geojson").read_text(encoding="utf-8"))
    feeds = feeds_by_city(data / "bus" / "stops_gunma.geojson")
    paths = []
    for feature in sorted(municipalities["features"], key=lambda f: f["properties"]["code"]):
        code, name = str(feature["properties"]["code"]), str(feature["properties"]["name"])
        folder = out / code
        folder.mkdir(parents=True, exist_ok=True)
        outline = {"type": "FeatureCollection", "features": [feature]}
        (folder / "outline.geojson").write_text(json.dumps(outline, ensure_ascii=False),
                                                encoding="utf-8")
        path = folder / "ibasho.toml"
        path.write_text(config_text(code, name, data, feeds.get(code, [])), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write one sub-folder per municipality")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the shared gunma/ data folder")
    args = parser.parse_args(argv)
    paths = write_configs(args.out, args.data)
    print(f"Wrote {len(paths)} configs under {args.out}")


if __name__ == "__main__":
    main()
