"""Write e-Stat downloads in their exact layout, with MADE-UP numbers, for the tests.

架空の数値: every count written here is invented for testing; only the layout is e-Stat's
(統計GIS text tables: Shift_JIS, CRLF, a row of codes, a row of Japanese labels, ``*`` hidden,
``-`` none, the 秘匿処理 columns; boundaries as zipped Shapefiles with Shift_JIS attributes and
no ``.cpg``). Every zip says so in its comment (:data:`MADE_UP`). The small-area boundary
uses the real 2015 attributes of ``tests/data/h27ka10_gunma_attributes.dbf`` (keys, names,
JINKO) with made-up polygons (Voronoi cells around each record's point), since the real
polygons are not available offline.

Imported by the tests (``from estat_files import …``; ``tests/`` is on the path).
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from data import get_path
from geo.mesh import mesh_code_at

MADE_UP = "架空の数値（ibasho のテスト用）: made-up numbers for tests, not census data."

GUNMA_DBF = Path(__file__).parent / "data" / "h27ka10_gunma_attributes.dbf"

#: The first 34 columns of the 2020 census 地域メッシュ統計「人口及び世帯」 (T001142, 250 m),
#: with their labels as e-Stat writes them.
MESH_COLUMNS_2020: list[tuple[str, str]] = [
    (f"T001142{i:03d}", label) for i, label in enumerate([
        "人口（総数）", "人口（総数）　男", "人口（総数）　女",
        "０～１４歳人口　総数", "０～１４歳人口　男", "０～１４歳人口　女",
        "１５歳以上人口　総数", "１５歳以上人口　男", "１５歳以上人口　女",
        "１５～６４歳人口　総数", "１５～６４歳人口　男", "１５～６４歳人口　女",
        "１８歳以上人口　総数", "１８歳以上人口　男", "１８歳以上人口　女",
        "２０歳以上人口　総数", "２０歳以上人口　男", "２０歳以上人口　女",
        "６５歳以上人口　総数", "６５歳以上人口　男", "６５歳以上人口　女",
        "７５歳以上人口　総数", "７５歳以上人口　男", "７５歳以上人口　女",
        "８５歳以上人口　総数", "８５歳以上人口　男", "８５歳以上人口　女",
        "９５歳以上人口　総数", "９５歳以上人口　男", "９５歳以上人口　女",
        "外国人人口　総数", "外国人人口　男", "外国人人口　女", "世帯総数"], start=1)]

#: Which of those columns are the counts ibasho reads.
MESH_BANDS = {"total": "T001142001", "age65": "T001142019", "age75": "T001142022",
              "age85": "T001142025"}

#: The 2020 census 小地域「年齢（５歳階級、４区分）別、男女別人口」 (T001082) columns.
_AGES = [f"{a}～{a + 4}歳" for a in range(0, 75, 5)]
_SMALL_AREA_LABELS = [
    f"{sex}{label}" for sex in ("総数", "男", "女") for label in
    ["の総数、年齢「不詳」含む" if sex != "総数" else "、年齢「不詳」含む",
     *_AGES, "１５歳未満", "１５～６４歳", "６５歳以上", "７５歳以上"]]
SMALL_AREA_COLUMNS_2020: list[tuple[str, str]] = [
    (f"T001082{i:03d}", label.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    for i, label in enumerate(_SMALL_AREA_LABELS, start=1)]


@dataclass(kw_only=True)
class Secrecy:
    """The 秘匿処理 columns of a row of either table, and its made-up counts."""

    counts: dict[str, int]
    htksyori: int = 0
    htksaki: str = ""
    gassan: list[str] = field(default_factory=list)
    #: Columns written as ``*``.
    hidden: set[str] = field(default_factory=set)


def hide_into(host: Secrecy, host_id: str, row: Secrecy, row_id: str,
              columns: Sequence[str]) -> None:
    """Hide ``row``'s ``columns`` as e-Stat does: ``*``, their counts added to ``host``."""
    host.htksyori = 1
    host.gassan.append(row_id)
    row.htksyori, row.htksaki, row.hidden = 2, host_id, set(columns)
    for column in columns:
        host.counts[column] += row.counts[column]


def _of_sex(people: int, *, men: bool, women: bool) -> int:
    """Of ``people``, the men (half, rounded down), the women (the rest), or all."""
    if men:
        return people // 2
    return people - people // 2 if women else people


def _older(total: int, rng: np.random.Generator) -> tuple[int, int]:
    """Made-up 65+ and 75+ of ``total`` people."""
    age65 = int(rng.binomial(total, rng.uniform(0.15, 0.45)))
    return age65, int(rng.binomial(age65, 0.5))


@dataclass
class MeshRow(Secrecy):
    """One cell of a mesh table: its code, 秘匿処理 columns and made-up counts."""

    code: str


def made_up_counts(total: int, rng: np.random.Generator) -> dict[str, int]:
    """Every column of :data:`MESH_COLUMNS_2020` for a cell of ``total`` people, consistent."""
    age65, age75 = _older(total, rng)
    age85 = int(rng.binomial(age75, 0.35))
    age95 = int(rng.binomial(age85, 0.1))
    young = int(rng.binomial(total - age65, 0.2))
    counts = {}
    for code, label in MESH_COLUMNS_2020:
        by_start = {"人口": total, "０～": young, "１５歳": total - young,
                    "１５～": total - young - age65, "１８": total - young, "２０": total - young,
                    "６５": age65, "７５": age75, "８５": age85, "９５": age95, "外国": 0,
                    "世帯": max(total // 2, 0)}
        value = by_start[next(k for k in by_start if label.startswith(k))]
        counts[code] = _of_sex(value, men=label.endswith("男"), women=label.endswith("女"))
    return counts


def takasaki_mesh_rows(*, digits: int = 9, seed: int = 1,
                       bbox: tuple[float, float, float, float] = (138.85, 36.25, 139.10, 36.42),
                       ) -> list[MeshRow]:
    """Made-up cells over central Takasaki (and beyond), as e-Stat lists populated cells."""
    rng = np.random.default_rng(seed)
    size = {8: (1 / 80, 1 / 120), 9: (1 / 160, 1 / 240), 10: (1 / 320, 1 / 480)}[digits]
    lons = np.arange(bbox[0] + size[0] / 2, bbox[2], size[0])
    lats = np.arange(bbox[1] + size[1] / 2, bbox[3], size[1])
    lon, lat = np.meshgrid(lons, lats)
    codes = np.unique(mesh_code_at(lon.ravel(), lat.ravel(), digits=digits))
    rows = []
    for code in codes:
        if rng.random() < 0.15:
            continue  # no one lives there: e-Stat has no row for the cell
        total = int(rng.choice([1, 2, 3, 5, 40, 120, 300, 800]))
        rows.append(MeshRow(code=str(code), counts=made_up_counts(total, rng)))
    return rows


def hide(rows: list[MeshRow], members: Sequence[int], carrier: int,
         columns: Sequence[str]) -> None:
    """Hide ``members``' ``columns`` as e-Stat does: ``*``, their counts added to ``carrier``."""
    host = rows[carrier]
    host.htksyori = 1  # also when no member is given
    for index in members:
        hide_into(host, host.code, rows[index], rows[index].code, columns)


def _cell(row: MeshRow, code: str, zero_dash: bool) -> str:
    if code in row.hidden:
        return "*"
    value = row.counts[code]
    return "-" if value == 0 and zero_dash else str(value)


def mesh_text(rows: Sequence[MeshRow], *, columns: Sequence[tuple[str, str]] = MESH_COLUMNS_2020,
              zero_dash: bool = False) -> bytes:
    """The table as e-Stat serves it: CP932, CRLF, a code row, a label row, then the cells."""
    lines = [",".join(["KEY_CODE", "HTKSYORI", "HTKSAKI", "GASSAN", *(c for c, _ in columns)]),
             ",".join(["", "", "", "", *(f"　{label}" for _, label in columns)])]
    for row in rows:
        lines.append(",".join([row.code, str(row.htksyori), row.htksaki, ";".join(row.gassan),
                               *(_cell(row, code, zero_dash) for code, _ in columns)]))
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip as e-Stat serves it, its comment saying the numbers are made up."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.comment = MADE_UP.encode("utf-8")
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_mesh_zip(folder: Path, rows: Sequence[MeshRow], *, square: str = "5439",
                   **kwargs) -> Path:
    """``folder/madeup_tblT001142Q5439.zip`` holding ``tblT001142Q5439.txt``."""
    name = f"tblT001142Q{square}"
    return write_zip(folder / f"madeup_{name}.zip", {f"{name}.txt": mesh_text(rows, **kwargs)})


# --- 小地域 -----------------------------------------------------------------------------


def gunma_attributes(city: str | None = "202") -> gpd.GeoDataFrame:
    """The real 2015 attributes (one record per polygon piece) with made-up polygons.

    The polygons are the Voronoi cells of the records' points, cut to Takasaki's outline for
    ``city="202"`` (else to a box around the points).
    """
    table = pyogrio.read_dataframe(GUNMA_DBF, read_geometry=False, encoding="cp932")
    if city is not None:
        table = table[table["CITY"] == city].reset_index(drop=True)
    points = shapely.points(table["X_CODE"].to_numpy(), table["Y_CODE"].to_numpy())
    west, south, east, north = shapely.MultiPoint(points).bounds
    frame = shapely.box(west - 0.02, south - 0.02, east + 0.02, north + 0.02)
    if city == "202":
        outline = gpd.read_file(get_path("takasaki").parent / "boundary" / "takasaki_city.geojson")
        frame = shapely.union_all(outline.geometry.make_valid().to_numpy())
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=frame).geoms
    tree = shapely.STRtree(list(cells))
    found = tree.query(points, predicate="intersects")
    polygons = np.empty(len(points), dtype=object)
    polygons[found[0]] = np.asarray(list(cells), dtype=object)[found[1]]
    polygons = shapely.intersection(polygons, frame)
    return gpd.GeoDataFrame(table, geometry=polygons, crs="EPSG:4612")


def write_boundary_zip(folder: Path, areas: gpd.GeoDataFrame, *,
                       stem: str = "h27ka10202") -> Path:
    """``folder/madeup_A002005212015DDSWC10202.zip``: the Shapefile, CP932, no ``.cpg``."""
    work = folder / f"{stem}_parts"
    work.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(areas, work / f"{stem}.shp", encoding="cp932")
    prj = GUNMA_DBF.with_suffix(".prj").read_bytes()  # e-Stat's own (JGD2000) .prj
    members = {f"{stem}.{suffix}": (work / f"{stem}.{suffix}").read_bytes()
               for suffix in ("shp", "shx", "dbf")}
    members[f"{stem}.prj"] = prj
    return write_zip(folder / f"madeup_A002005212015DDSWC{stem[-5:]}.zip", members)


@dataclass
class AreaRow(Secrecy):
    """One row of a small-area age table."""

    key: str
    level: int  # HYOSYO: 1 municipality, 2 町・大字, 3 丁目・小字
    city_name: str
    name: str


def made_up_ages(total: int, rng: np.random.Generator) -> dict[str, int]:
    """Every column of :data:`SMALL_AREA_COLUMNS_2020` for ``total`` people, consistent."""
    age65, age75 = _older(total, rng)
    under65 = rng.multinomial(total - age65, np.ones(13) / 13)
    band65, band70 = divmod(age65 - age75, 2)
    values = {"total": total, **{_AGES[i]: int(under65[i]) for i in range(13)},
              _AGES[13]: band65 + band70, _AGES[14]: band65,
              "１５歳未満": int(under65[:3].sum()), "１５～６４歳": int(under65[3:].sum()),
              "６５歳以上": age65, "７５歳以上": age75}
    counts = {}
    for code, label in SMALL_AREA_COLUMNS_2020:
        key = "total" if "総数、" in label or "の総数" in label else next(
            k for k in values if k != "total" and label.endswith(
                k.translate(str.maketrans("0123456789", "０１２３４５６７８９"))))
        counts[code] = _of_sex(values[key], men=label.startswith("男"),
                               women=label.startswith("女"))
    return counts


def takasaki_age_rows(areas: gpd.GeoDataFrame, *, seed: int = 2) -> list[AreaRow]:
    """Made-up ages for each area of ``areas`` (one per KEY_CODE, JINKO as total), with the
    municipality's and each 町's sum rows, as the table lists them."""
    rng = np.random.default_rng(seed)
    people = areas.groupby("KEY_CODE", sort=True)["JINKO"].sum()
    names = areas.groupby("KEY_CODE")["MOJI"].first()
    leaves = [AreaRow(key=key, level=3 if len(key) == 11 else 2, city_name="高崎市",
                      name=names[key], counts=made_up_ages(int(total), rng))
              for key, total in people.items()]
    return leaves


def with_sum_rows(leaves: list[AreaRow]) -> list[AreaRow]:
    """The municipality row and each 町's row (sums of their 丁目), before their parts."""
    rows: list[AreaRow] = []
    codes = [c for c, _ in SMALL_AREA_COLUMNS_2020]

    def summed(parts: list[AreaRow]) -> dict[str, int]:
        return {c: sum(p.counts[c] for p in parts) for c in codes}

    by_city: dict[str, list[AreaRow]] = {}
    for leaf in leaves:
        by_city.setdefault(leaf.key[:5], []).append(leaf)
    for city, parts in by_city.items():
        rows.append(AreaRow(key=city, level=1, city_name=parts[0].city_name, name="",
                            counts=summed(parts)))
        towns: dict[str, list[AreaRow]] = {}
        for part in parts:
            towns.setdefault(part.key[:9], []).append(part)
        for town, members in towns.items():
            if len(members[0].key) == 11:
                rows.append(AreaRow(key=town, level=2, city_name=parts[0].city_name,
                                    name=members[0].name.rstrip("０１２３４５６７８９丁目"),
                                    counts=summed(members)))
            rows.extend(members)
    return rows


def small_area_text(rows: Sequence[AreaRow], *, mark: str = "X") -> bytes:
    """The 小地域 age table as e-Stat serves it (T001082 layout), CP932, CRLF."""
    codes = [c for c, _ in SMALL_AREA_COLUMNS_2020]
    lines = [",".join(["KEY_CODE", "HYOSYO", "CITYNAME", "NAME", "HTKSYORI", "HTKSAKI",
                       "GASSAN", *codes]),
             ",".join(["", "", "", "", "", "", "", *(label for _, label in
                                                     SMALL_AREA_COLUMNS_2020)])]
    for row in rows:
        lines.append(",".join([
            row.key, str(row.level), row.city_name, row.name, str(row.htksyori), row.htksaki,
            ";".join(row.gassan),
            *(mark if c in row.hidden else str(row.counts[c]) for c in codes)]))
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def hide_area(rows: list[AreaRow], member: int, carrier: int) -> None:
    """Hide every age column of ``member`` (not the totals) into ``carrier``."""
    codes = [c for c, label in SMALL_AREA_COLUMNS_2020 if "総数、" not in label
             and "の総数" not in label]
    hide_into(rows[carrier], rows[carrier].key, rows[member], rows[member].key, codes)


def write_estat_city(folder: Path, rows: Sequence[MeshRow], *, population_options: str = "",
                     extra: str = "") -> Path:
    """A copy of the Takasaki config whose population is a mesh file of ``rows`` (made-up
    counts) with every age band; ``population_options`` adds lines to its section, ``extra``
    to the end of the config. Returns the config's path."""
    import shutil

    city = folder / "estat_city"
    shutil.copytree(get_path("takasaki").parent, city)
    zipped = write_mesh_zip(city / "population", rows)
    config = city / "ibasho.toml"
    text = config.read_text(encoding="utf-8")
    start, end = text.index("[layers.population]"), text.index("[layers.candidates]")
    bands = ", ".join(f'{band} = "{column}"' for band, column in MESH_BANDS.items())
    section = (f'[layers.population]\nformat = "estat_mesh"\npath = "population/{zipped.name}"\n'
               f"fields = {{ {bands} }}\n{population_options}\n\n")
    config.write_text(text[:start] + section + text[end:] + "\n" + extra, encoding="utf-8")
    return config
