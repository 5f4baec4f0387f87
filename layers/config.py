"""The study-area config: one TOML file describes a city's layers, fields and settings.

A second city works by writing a second config, never by changing code. Paths in the file are
relative to the file itself. See ``data/takasaki/ibasho.toml`` for a complete example.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from geo.coverage.minutes_grid import GRID_KINDS, GridSpec
from geo.crs import METRIC_CRS, ensure_metric_crs
from geo.streets.walking import ELDERLY_WALK_SPEED_M_PER_MIN, STREET_DETOUR_FACTOR, WalkProfile
from geo.streets.walking import PROFILES as WALK_PROFILES
from geo.transit.routing import TransitRules
from layers.errors import LayerError, Problem
from layers.files.atomic import write_atomic

logger = logging.getLogger(__name__)
__all__ = [
    "DEFAULT_CATEGORIES",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MINUTES",
    "DEFAULT_RADII_M",
    "DEFAULT_RESOURCE_CATEGORIES",
    "ELDERLY_WALK_SPEED_M_PER_MIN",
    "LAYER_NAMES",
    "LayerConfig",
    "StudyConfig",
    "TransitConfig",
    "load_config",
    "set_config_value",
]

#: Straight-line walking radii drawn and analysed by default (metres).
DEFAULT_RADII_M: tuple[float, ...] = (300.0, 500.0, 800.0)

#: Without a street network, walking distance ≈ straight-line distance × this factor
#: (:data:`geo.streets.walking.STREET_DETOUR_FACTOR`).
DEFAULT_DETOUR_FACTOR = STREET_DETOUR_FACTOR

#: Walking thresholds in minutes (network analysis and resident pages).
DEFAULT_MINUTES: tuple[float, ...] = (5.0, 10.0, 15.0)

#: Place categories understood out of the box; a config may replace the list.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "居場所",
    "サロン",
    "公民館",
    "町内公民館",
    "集会所",
    "長寿センター",
    "福祉センター",
    "コミュニティセンター",
)

#: Kinds of community resource (社会資源) besides gathering places, understood out of the box
#: (``[categories] resources`` may replace the list). They are listed on the district pages,
#: in the guidebook and the API, but are not places residents walk to for the coverage figures:
#: a 見守り活動 or 助け合い活動 serves an area, a 移動販売 stop is not a 居場所.
DEFAULT_RESOURCE_CATEGORIES: tuple[str, ...] = (
    "認知症カフェ",
    "助け合い活動",
    "見守り活動",
    "移動販売",
    "配食・買い物支援",
    "ウォーキング",
)

#: Layers a config may name, and whether a study area needs them.
LAYER_NAMES: dict[str, bool] = {
    "districts": False,
    "places": False,
    "stops": False,
    "bus_routes": False,
    "walking_routes": False,
    "population": False,
    "candidates": False,
}

#: Layer options that name a file (relative to the config), e.g. the age table that
#: ``format = "estat_small_area"`` joins to its boundary, or the population's ``water`` and
#: ``dasymetric`` layers (the latter may be a table with ``path`` and ``keep``).
_PATH_OPTIONS = ("table", "water", "dasymetric")

_DEFAULT_BASEMAP = {
    "name": "地理院タイル 淡色地図",
    "url": "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png",
    "attribution": (
        '<a href="https://maps.gsi.go.jp/development/ichiran.html" '
        'target="_blank" rel="noopener">地理院タイル</a>（国土地理院）'
    ),
    "max_zoom": 18,
}


@dataclass(frozen=True)
class LayerConfig:
    """Where one layer comes from and how its fields map onto ibasho's names."""

    name: str
    path: Path
    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def source_field(self, canonical: str) -> str:
        """The column in the source file that holds ``canonical`` (itself if unmapped)."""
        return self.fields.get(canonical, canonical)

    def text_column(self, frame: pd.DataFrame, canonical: str) -> pd.Series:
        """The mapped column of ``frame`` as stripped text ('' where missing or absent)."""
        source = self.source_field(canonical)
        if source in frame.columns:
            return frame[source].fillna("").astype(str).str.strip()
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)


@dataclass(frozen=True)
class TransitConfig:
    """How residents use the buses (the config's ``[transit]`` table)."""

    #: Walking limits, changes, the door-to-door limit and the window (geo.transit.routing).
    rules: TransitRules = field(default_factory=TransitRules)
    #: GTFS / GTFS-JP feeds with real trips; empty: a GTFS stops layer, or trips rebuilt
    #: from the stops' timetables (推定).
    feeds: tuple[Path, ...] = ()
    #: Default time to leave home (minutes after midnight) for "at a chosen time".
    depart_at_min: float = 9 * 60.0


@dataclass(frozen=True)
class StudyConfig:
    """Everything ibasho needs to know about one study area."""

    path: Path
    name: str
    title: str
    boundary: Path | None
    metric_crs: str
    #: How residents walk, the radii and minutes analysed and the threshold shown first:
    #: every conversion between minutes and metres goes through it.
    walking: WalkProfile
    #: The categories of gathering places (``[categories] allowed``): what coverage counts.
    categories: tuple[str, ...]
    layers: dict[str, LayerConfig]
    basemap: dict[str, Any]
    attribution: tuple[str, ...]
    districts_approximate: bool = False
    #: OSM street file (set by ``ibasho streets``); None: straight-line estimates only.
    streets: Path | None = None
    #: Elevation raster (GeoTIFF / SRTM .hgt) for slope-aware walking; None: flat.
    elevation: Path | None = None
    #: How many sites to suggest for a new place.
    suggestions: int = 10
    #: The cells of the minutes grid (``[grid]``): 250 m JIS mesh cells unless set.
    grid: GridSpec = field(default_factory=GridSpec)
    #: Walk + bus: walking limits, changes, door-to-door limit, feeds.
    transit: TransitConfig = field(default_factory=TransitConfig)
    #: Where the districts come from: "layer" (``[layers.districts]``), "census" (census
    #: areas grouped by ``[districts] from_population``) or "whole" (the study area as one).
    districts_source: str = "layer"
    #: The population column whose values name the districts (``districts_source == "census"``).
    districts_from_population: str | None = None
    #: False when the municipality has no list of 居場所 (``[layers.places]`` absent): pages
    #: then measure reach to public buildings and bus stops only, and say so.
    places_known: bool = True
    #: Other kinds of community resource (``[categories] resources``): stored and listed
    #: with the places, never counted as places to walk to.
    resource_categories: tuple[str, ...] = DEFAULT_RESOURCE_CATEGORIES

    @property
    def all_categories(self) -> tuple[str, ...]:
        """Every category a place or resource may have: gathering places, then resources."""
        return (*self.categories,
                *(c for c in self.resource_categories if c not in self.categories))

    @property
    def radii_m(self) -> tuple[float, ...]:
        """Straight-line radii in metres (``walking.radii_m``)."""
        return self.walking.radii_m

    @property
    def minutes(self) -> tuple[float, ...]:
        """Network thresholds in minutes (``walking.network_minutes``)."""
        return self.walking.network_minutes

    @property
    def profile(self) -> str:
        """The walking profile's name (``walking.name``)."""
        return self.walking.name

    @property
    def directory(self) -> Path:
        return self.path.parent

    def layer(self, name: str) -> LayerConfig | None:
        return self.layers.get(name)


def load_config(path: str | Path) -> StudyConfig:
    """
    Read and check a study-area config file.

    Raises
    ------
    LayerError
        With every problem in the file: a missing or unknown section, a file that does not
        exist, a bad number.
    """
    path = Path(path).resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LayerError.single(path, "The config file does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LayerError.single(
            path, f"This is not valid UTF-8 TOML: {exc}.", fix="Fix the syntax and try again."
        ) from None

    problems: list[Problem] = []
    base = path.parent
    area = raw.get("study_area", {})
    walking = raw.get("walking", {})

    boundary = _existing(base, area.get("boundary"), path, "study_area.boundary", problems)

    metric_crs = str(area.get("metric_crs", METRIC_CRS))
    try:
        ensure_metric_crs(metric_crs)
    except Exception as exc:  # pyproj raises CRSError, ours raises ValueError
        problems.append(
            Problem(path, f"{exc}", field="study_area.metric_crs",
                    fix="Use a projected CRS in metres, e.g. EPSG:6677 for Gunma.")
        )

    network = raw.get("network", {})
    streets = _existing(base, network.get("streets"), path, "network.streets", problems)
    elevation = _existing(base, network.get("elevation"), path, "network.elevation", problems)
    minutes = tuple(float(m) for m in walking.get("minutes", DEFAULT_MINUTES))
    if not minutes or any(m <= 0 for m in minutes):
        problems.append(Problem(path, f"minutes {list(minutes)} must all be > 0.",
                                field="walking.minutes", fix="e.g. minutes = [5, 10, 15]"))
    profile = str(walking.get("profile", "elderly"))
    if profile not in WALK_PROFILES:
        problems.append(Problem(path, f"unknown walking profile {profile!r}.",
                                field="walking.profile",
                                fix=f"Use one of: {', '.join(WALK_PROFILES)}."))
    radii = tuple(float(r) for r in walking.get("radii_m", DEFAULT_RADII_M))
    base_profile = WALK_PROFILES.get(profile, WALK_PROFILES["elderly"])
    speed = float(walking.get("speed_m_per_min", base_profile.speed_m_per_min))
    detour = float(walking.get("detour_factor", DEFAULT_DETOUR_FACTOR))
    default_radius = walking.get("default_radius_m")
    default_minutes = walking.get("default_minutes")
    if default_radius is not None and float(default_radius) not in radii:
        problems.append(Problem(path, f"default radius {default_radius} is not one of the radii.",
                                field="walking.default_radius_m",
                                fix=f"Use one of: {', '.join(f'{r:g}' for r in radii)}."))
    if default_minutes is not None and float(default_minutes) not in minutes:
        problems.append(Problem(path, f"default minutes {default_minutes} is not one of the "
                                "minutes.", field="walking.default_minutes",
                                fix=f"Use one of: {', '.join(f'{m:g}' for m in minutes)}."))
    if not radii or any(r <= 0 for r in radii):
        problems.append(Problem(path, f"radii {list(radii)} must all be > 0.",
                                field="walking.radii_m", fix="e.g. radii_m = [300, 500, 800]"))
    if speed <= 0:
        problems.append(Problem(
            path, f"speed {speed} must be > 0.", field="walking.speed_m_per_min",
            fix=f"The default for older walkers is {ELDERLY_WALK_SPEED_M_PER_MIN}."))
    if detour < 1:
        problems.append(Problem(path, f"detour factor {detour} must be ≥ 1.",
                                field="walking.detour_factor", fix="1.3 is typical."))

    layers: dict[str, LayerConfig] = {}
    for name, spec in raw.get("layers", {}).items():
        if name not in LAYER_NAMES:
            problems.append(Problem(path, f"unknown layer {name!r}.", field=f"layers.{name}",
                                    fix=f"Use one of: {', '.join(LAYER_NAMES)}."))
            continue
        layer_path = _existing(base, spec.get("path"), path, f"layers.{name}.path", problems)
        if layer_path is None:
            continue
        options = {k: v for k, v in spec.items() if k not in {"path", "fields"}}
        for key in _PATH_OPTIONS:  # files beside the layer's own, relative to the config
            if isinstance(options.get(key), dict):  # e.g. dasymetric = { path = "…", keep = … }
                options[key] = {**options[key], "path": _existing(
                    base, options[key].get("path"), path, f"layers.{name}.{key}.path",
                    problems)}
                if options[key]["path"] is None and not any(
                        p.field == f"layers.{name}.{key}.path" for p in problems):
                    problems.append(Problem(path, f"{key} needs a path.",
                                            field=f"layers.{name}.{key}.path",
                                            fix=f'Write {key} = {{ path = "…" }}.'))
            elif key in options:
                options[key] = _existing(base, options[key], path, f"layers.{name}.{key}",
                                         problems)
        layers[name] = LayerConfig(name, layer_path, dict(spec.get("fields", {})), options)
    grouping = raw.get("districts", {}).get("from_population")
    if grouping is not None and "districts" in layers:
        problems.append(Problem(path, "both [layers.districts] and [districts] from_population "
                                "name the districts.", field="districts.from_population",
                                fix="Keep one of the two."))
    if grouping is not None and "population" not in layers:
        problems.append(Problem(path, "[districts] from_population needs a population layer.",
                                field="districts.from_population",
                                fix='Add [layers.population] with path = "...".'))
    if "districts" not in layers and boundary is None and not any(
            p.field in {"layers.districts.path", "study_area.boundary"} for p in problems):
        problems.append(Problem(path, "without [layers.districts] the study area needs an "
                                "outline.", field="study_area.boundary",
                                fix='Add boundary = "outline.geojson" to [study_area].'))
    for name, required in LAYER_NAMES.items():
        missing_file = any(p.field == f"layers.{name}.path" for p in problems)
        if required and name not in layers and not missing_file:
            problems.append(Problem(path, f"the {name} layer is required.", field=f"layers.{name}",
                                    fix=f'Add [layers.{name}] with path = "...".'))

    resources = _resource_categories(raw.get("categories", {}), path, problems)
    grid = _grid_spec(raw.get("grid", {}), path, problems)
    transit = _transit(raw.get("transit", {}), base, path, problems)
    if any(p.is_error for p in problems):
        raise LayerError(problems)

    districts = layers.get("districts")
    walk = replace(
        base_profile, detour_factor=detour, radii_m=tuple(sorted(radii)),
        network_minutes=tuple(sorted(minutes)),
        default_radius=None if default_radius is None else float(default_radius),
        default_network_minutes=None if default_minutes is None else float(default_minutes))
    if speed != base_profile.speed_m_per_min:  # the config's own pace
        walk = replace(walk, speed_m_per_min=speed, label=f"毎分{speed:g} m")
    config = StudyConfig(
        path=path,
        name=str(area.get("name", path.parent.name)),
        title=str(area.get("title", f"{area.get('name', path.parent.name)} 居場所マップ")),
        boundary=boundary,
        metric_crs=metric_crs,
        walking=walk,
        categories=tuple(raw.get("categories", {}).get("allowed", DEFAULT_CATEGORIES)),
        layers=layers,
        basemap={**_DEFAULT_BASEMAP, **raw.get("basemap", {})},
        attribution=tuple(raw.get("attribution", {}).get("lines", ())),
        districts_approximate=(bool(districts and districts.options.get("approximate", False))
                               or grouping is not None),
        streets=streets,
        elevation=elevation,
        suggestions=int(raw.get("planning", {}).get("suggestions", 10)),
        grid=grid,
        transit=transit or TransitConfig(),
        districts_source=("layer" if districts else "census" if grouping else "whole"),
        districts_from_population=None if grouping is None else str(grouping),
        places_known="places" in layers or any(
            p.field == "layers.places.path" for p in problems),
        resource_categories=resources,
    )
    logger.info("Read config %s: %s, layers %s", path.name, config.name, ", ".join(layers))
    return config


def _resource_categories(section: Any, path: Path,
                         problems: list[Problem]) -> tuple[str, ...]:
    """``[categories] resources``: a list of texts, none of them also a gathering place's."""
    if not isinstance(section, dict) or "resources" not in section:
        return DEFAULT_RESOURCE_CATEGORIES
    value = section["resources"]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(Problem(path, "[categories] resources must be a list of names.",
                                field="categories.resources",
                                fix='Write e.g. resources = ["助け合い活動", "移動販売"].'))
        return DEFAULT_RESOURCE_CATEGORIES
    allowed = section.get("allowed", DEFAULT_CATEGORIES)
    both = [v for v in value if v in allowed]
    if both:
        problems.append(Problem(path, f"{', '.join(both)} is both a gathering place's category "
                                "and a resource's.", field="categories.resources",
                                fix="Keep each category in one of the two lists."))
    return tuple(v.strip() for v in value)


def _grid_spec(section: Any, path: Path, problems: list[Problem]) -> GridSpec:
    """``[grid]``: ``cells = "mesh"`` (``mesh_digits``, 10: 250 m) or ``"h3"``
    (``h3_resolution``, 9)."""
    known = {"cells", "mesh_digits", "h3_resolution"}
    if not isinstance(section, dict):
        section = {}
    for key in sorted(set(section) - known):
        problems.append(Problem(path, f"[grid] has {key!r}, which ibasho does not know.",
                                field=f"grid.{key}", fix=f"Use {', '.join(sorted(known))}."))
    kind = section.get("cells", "mesh")
    if kind not in GRID_KINDS:
        problems.append(Problem(path, f"unknown kind of cells {kind!r}.", field="grid.cells",
                                fix=f"Use one of: {', '.join(GRID_KINDS)}."))
        return GridSpec()
    try:
        return GridSpec(kind=str(kind), mesh_digits=int(section.get("mesh_digits", 10)),
                        h3_resolution=int(section.get("h3_resolution", 9)))
    except (TypeError, ValueError) as exc:
        problems.append(Problem(path, f"{exc}", field="grid",
                                fix="e.g. mesh_digits = 10 (250 m) or h3_resolution = 9."))
        return GridSpec()


_TRANSIT_NUMBERS = ("access_minutes", "transfer_walk_minutes", "change_minutes",
                    "door_to_door_minutes", "window_minutes")


def _transit(table: dict[str, Any], base: Path, path: Path,
             problems: list[Problem]) -> TransitConfig | None:
    """The ``[transit]`` table; None (and problems) when it cannot be used."""
    allowed = (*_TRANSIT_NUMBERS, "changes", "depart_at", "gtfs")
    for key in sorted(set(table) - set(allowed)):
        problems.append(Problem(path, f"unknown setting {key!r}.", field=f"transit.{key}",
                                fix=f"Use one of: {', '.join(allowed)}."))
    numbers: dict[str, Any] = {}
    for key in _TRANSIT_NUMBERS:
        if key in table:
            try:
                numbers[key] = float(table[key])
            except (TypeError, ValueError):
                problems.append(Problem(path, f"{table[key]!r} is not a number.",
                                        field=f"transit.{key}", fix=f"e.g. {key} = 10"))
    changes = table.get("changes", 1)
    if changes not in (0, 1):
        problems.append(Problem(path, f"changes = {changes!r}: at most one change is supported.",
                                field="transit.changes", fix="Use 0 (no change) or 1."))
    depart_at = str(table.get("depart_at", "09:00"))
    hours, _, minutes = depart_at.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and int(hours) < 30 and int(minutes) < 60):
        problems.append(Problem(path, f"depart_at = {depart_at!r} is not a time.",
                                field="transit.depart_at", fix='Use "HH:MM", e.g. "09:00".'))
        hours, minutes = "9", "0"
    feeds = table.get("gtfs", [])
    feeds = [feeds] if isinstance(feeds, str) else list(feeds)
    paths = [_existing(base, feed, path, "transit.gtfs", problems) for feed in feeds]
    try:
        rules = TransitRules(**numbers, max_rides=2 if changes != 0 else 1)
    except ValueError as exc:
        problems.append(Problem(path, str(exc), field="transit",
                                fix="Minutes are numbers > 0 (changes and walks between stops "
                                    "may be 0)."))
        return None
    return TransitConfig(rules, tuple(p for p in paths if p is not None),
                         int(hours) * 60.0 + int(minutes))


def _existing(base: Path, value: Any, config_path: Path, key: str,
              problems: list[Problem]) -> Path | None:
    if value is None:
        return None
    candidate = (base / str(value)).resolve()
    if not candidate.exists():
        problems.append(Problem(config_path, f"file {value!r} does not exist (looked in {base}).",
                                field=key, fix="Correct the path (relative to the config file)."))
        return None
    return candidate


def set_config_value(path: str | Path, table: str, key: str, value: str) -> None:
    """
    Set ``key = "value"`` in ``[table]`` of a config file, keeping every other line as it is.

    The file is rewritten through a temporary file and renamed, so it is never half-written;
    the result is parsed again before it replaces the original.
    """
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    new_line = f'{key} = "{escaped}"'
    header = f"[{table}]"
    start = next((i for i, line in enumerate(lines) if line.strip() == header), None)
    if start is None:
        lines += ["", header, new_line]
    else:
        end = next((i for i in range(start + 1, len(lines))
                    if lines[i].lstrip().startswith("[")), len(lines))
        existing = next((i for i in range(start + 1, end)
                         if lines[i].split("=", 1)[0].strip() == key), None)
        if existing is None:
            lines.insert(start + 1, new_line)
        else:
            lines[existing] = new_line
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # never write a file that no longer parses
    write_atomic(path, text)
