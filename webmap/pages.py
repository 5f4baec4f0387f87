"""What the HTML pages show, shared by the Flask views and the static site.

The pages (city map, district list, district map with its coverage table) are rendered
from the same Jinja templates in ``webmap/templates`` by Flask and by
:func:`webmap.site.write_site`; only the URLs differ, so templates ask an :class:`Urls`
object for every link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import pandas as pd

from geo.coverage import CoverageResult
from layers.study import StudyArea
from webmap.build import walk_minutes
from webmap.popups import format_people, format_share
from webmap.style import (
    BASIS_LABELS,
    COVERAGE_LABELS,
    METHOD_NOTE,
    PAGE_TEXT,
    POSITION_NOTES,
    UI_TEXT,
)

__all__ = [
    "RenderedMap",
    "Urls",
    "coverage_rows",
    "district_places",
    "district_summaries",
    "page_context",
    "radius_headings",
    "render_map",
]


@dataclass(frozen=True)
class RenderedMap:
    """A folium map split for embedding: what goes in ``<head>``, the map div, the script."""

    header: str
    html: str
    script: str


def render_map(m: folium.Map) -> RenderedMap:
    """Render ``m`` once and keep its three parts (as folium's docs do for Flask pages)."""
    root = m.get_root()
    root.render()
    return RenderedMap(header=root.header.render(), html=root.html.render(),
                       script=root.script.render())


@dataclass(frozen=True)
class Urls:
    """Every link a page needs; Flask passes ``url_for`` helpers, the site relative paths."""

    home: str
    districts: str
    static: Callable[[str], str]
    district: Callable[[str], str]


def _basis_label(basis: str | None) -> str | None:
    return BASIS_LABELS.get(basis, basis) if basis is not None else None


def page_context(study: StudyArea, coverage: CoverageResult) -> dict[str, Any]:
    """Texts every page shows: the title, the method note and the population basis."""
    config = study.config
    basis = _basis_label(coverage.basis)
    return {
        "title": config.title,
        "text": PAGE_TEXT,
        "ui": UI_TEXT,
        "labels": COVERAGE_LABELS,
        "method_note": METHOD_NOTE.format(detour_factor=config.detour_factor),
        "pace_note": UI_TEXT["walk_pace"].format(speed=config.speed_m_per_min),
        "approximate_note": UI_TEXT["approximate_note"] if config.districts_approximate else None,
        "basis_label": basis,
        "basis_note": COVERAGE_LABELS["basis"].format(basis=basis) if basis else
        COVERAGE_LABELS["no_population"],
        "attribution": list(config.attribution),
    }


def coverage_rows(study: StudyArea, coverage: CoverageResult, *,
                  district: str | None = None) -> list[dict[str, str]]:
    """
    One formatted row per radius (strings ready for a table), for a district or the city.
    """
    config = study.config
    table = (coverage.city if district is None
             else coverage.table[coverage.table["district"] == district])
    rows = []
    for row in table.itertuples():
        minutes = walk_minutes(row.radius_m, speed_m_per_min=config.speed_m_per_min,
                               detour_factor=config.detour_factor)
        rows.append({
            "radius": f"{row.radius_m:g} m",
            "walk_minutes": COVERAGE_LABELS["minutes"].format(minutes=minutes),
            "covered_area_share": format_share(row.covered_area_share),
            "population": format_people(row.population),
            "covered": format_people(row.covered),
            "uncovered": format_people(row.uncovered),
            "covered_share": format_share(row.covered_share),
            "stop_covered_share": format_share(row.stop_covered_share),
            "places": int(row.places),
            "places_unlocated": int(row.places_unlocated),
            "stops": int(row.stops),
        })
    return rows


def district_summaries(study: StudyArea, coverage: CoverageResult) -> list[dict[str, Any]]:
    """Per district: name, population, places, stops and the share covered at each radius."""
    radii = sorted(coverage.table["radius_m"].unique())
    summaries = []
    for name in study.district_names:
        rows = coverage.table[coverage.table["district"] == name].set_index("radius_m")
        first = rows.iloc[0] if len(rows) else pd.Series(dtype=object)
        summaries.append({
            "name": name,
            "population": format_people(first.get("population")),
            "places": int(first.get("places", 0)),
            "places_unlocated": int(first.get("places_unlocated", 0)),
            "stops": int(first.get("stops", 0)),
            "shares": [format_share(rows["covered_share"].get(r)) for r in radii],
        })
    return summaries


def district_places(study: StudyArea, district: str) -> list[dict[str, str]]:
    """The places of a district (located or not), for the list under its map."""
    places = study.places[study.places["district"] == district]
    result = []
    for place in places.to_dict(orient="records"):
        quality = place.get("position_quality") or "unknown"
        result.append({
            "name": str(place.get("name", "")),
            "category": str(place.get("category", "")),
            "schedule": str(place.get("schedule", "") or ""),
            "position": POSITION_NOTES.get(quality, POSITION_NOTES["unknown"]),
            "quality": quality,
        })
    return result


def radius_headings(coverage: CoverageResult) -> list[str]:
    """Column headings of the per-radius shares (``300 m圏``)."""
    heading = COVERAGE_LABELS["radius_heading"]
    return [heading.format(radius_m=r) for r in sorted(coverage.table["radius_m"].unique())]

