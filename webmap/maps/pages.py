"""What the HTML pages show, shared by the Flask views and the static site.

The pages (city map, district list, district map with its coverage table) are rendered
from the same Jinja templates in ``webmap/templates`` by Flask and by
:func:`webmap.maps.site.write_site`; only the URLs differ, so templates ask an :class:`Urls`
object for every link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import pandas as pd

from geo.coverage.by_distance import CoverageResult
from layers.analysis import Plan
from layers.bus_reach import KINDS
from layers.fields.schema import WHOLE_DISTRICT, served_areas
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps.bus_layer import bus_layer_label, bus_notes
from webmap.maps.grid_layer import grid_heading
from webmap.maps.popups import format_people, format_share
from webmap.maps.reach_layers import method_note, suggested_sites, threshold_text, walk_minutes
from webmap.maps.style import basis_heading, grid_band_labels, position_note, straight_note

__all__ = [
    "RenderedMap",
    "Urls",
    "bus_summary",
    "comparison_rows",
    "comparison_summaries",
    "coverage_rows",
    "district_page",
    "district_places",
    "district_resources",
    "district_summaries",
    "districts_page",
    "grid_rows",
    "page_context",
    "radius_headings",
    "render_map",
    "suggestion_rows",
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
    #: The 印刷用の地図 and 計画づくり pages; None in the static site (they need the server).
    print_map: str | None = None
    plan: str | None = None
    near: str | None = None
    #: A district's guidebook: ``guidebook(name, fmt)`` (``pdf``, ``booklet`` or ``xlsx``);
    #: None in the static site.
    guidebook: Callable[[str, str], str] | None = None


def _basis_label(basis: str | None, study: StudyArea | None = None) -> str | None:
    """The basis in words; with the study, saying so when the total stands in for 65+."""
    if basis is None:
        return None
    return basis_heading(basis, has_age65=study is not None and _has_age65(study))


def _has_age65(study: StudyArea) -> bool:
    population = study.population
    return population is not None and len(population) > 0 and bool(
        "age65" in population and population["age65"].notna().all())


def population_note(study: StudyArea) -> str | None:
    """How people are counted where they live: per 町丁 point, or by area share."""
    population = study.population
    if population is None or population.empty:
        return None
    if (population.geom_type == "Point").all():
        return _("人数は町丁ごとの代表点で数えています"
                 "（町丁の全員が、代表点の位置で圏内か圏外かになります）")
    if population.attrs.get("living"):
        return _("人数は、各区域の人口を住む場所（{files}）の面積で按分して数えています").format(
            files="・".join(population.attrs["living"]))
    return _("人数は、各区域の人口を圏内に入る面積の割合で按分して数えています")


def page_context(study: StudyArea, coverage: CoverageResult,
                 plan: Plan | None = None) -> dict[str, Any]:
    """
    Texts every page shows: the title, the method notes and the population basis.

    ``method_note`` is how walking reach was computed (道のり with a street network, else
    直線距離による概算); ``straight_note`` labels the straight-line tables in both modes.
    """
    config = study.config
    basis = _basis_label(coverage.basis, study)
    suggestions = plan.suggestions if plan is not None else None
    return {
        "title": config.title,
        "method_note": method_note(study, plan),
        "straight_note": straight_note(config.walking.detour_factor),
        "has_network": plan is not None and plan.network is not None,
        "speed": config.walking.speed_m_per_min,
        "suggestion_caption": _suggestion_caption(study, plan) if suggestions is not None
        else None,
        "pace_note": _("歩く速さ 分速{speed:g} m（高齢者の目安）").format(
            speed=config.walking.speed_m_per_min),
        "approximate_note": (_("地区界は概略区域です（公式の区域ではありません）")
                             if config.districts_approximate else None),
        "basis_label": basis,
        "basis_note": _("人口は{basis}").format(basis=basis) if basis else
        _("人口データなし"),
        "population_note": population_note(study),
        "grid_heading": (grid_heading(study, plan)
                         if plan is not None and plan.grid is not None else None),
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
        minutes = walk_minutes(row.radius_m, profile=config.walking)
        rows.append({
            "radius": f"{row.radius_m:g} m",
            "walk_minutes": _("約{minutes}分").format(minutes=minutes),
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
            "position": position_note(quality),
            "quality": quality,
        })
    return result


def district_resources(study: StudyArea, district: str) -> list[dict[str, str]]:
    """
    The district's community resources other than gathering places, those without a
    position (an area resource) included, for the list under its map.
    """
    resources = study.resources[study.resources["district"] == district]
    result = []
    for resource in resources.to_dict(orient="records"):
        areas = served_areas(str(resource.get("serves") or ""))
        located = resource.get("geometry") is not None
        result.append({
            "name": str(resource.get("name", "")),
            "category": str(resource.get("category", "")),
            "schedule": str(resource.get("schedule", "") or ""),
            "contact": str(resource.get("contact", "") or ""),
            "serves": (_("地区全域") if areas == (WHOLE_DISTRICT,) else "、".join(areas)),
            "position": "" if located else _("地点なし（地域で活動）") if areas
            else position_note("unknown"),
        })
    return result


def radius_headings(coverage: CoverageResult) -> list[str]:
    """Column headings of the per-radius shares (``300 m圏``)."""
    heading = _("{radius_m:g} m圏")
    return [heading.format(radius_m=r) for r in sorted(coverage.table["radius_m"].unique())]


def _comparison(plan: Plan | None) -> pd.DataFrame | None:
    if plan is None or plan.network is None or plan.network.comparison is None:
        return None
    return plan.network.comparison


def _points(network_share: Any, straight_share: Any) -> str:
    if pd.isna(network_share) or pd.isna(straight_share):
        return "—"
    return _("{points:+.0f}ポイント").format(points=100 * (network_share - straight_share))


def comparison_rows(plan: Plan | None, *, district: str | None = None) -> list[dict[str, str]]:
    """
    Straight-line and network coverage side by side, one formatted row per threshold, for a
    district or (summed) the city; empty without a street network.
    """
    table = _comparison(plan)
    if table is None:
        return []
    if district is None:
        table = table.groupby(["minutes", "radius_m"], as_index=False)[
            ["population", "straight_covered", "network_covered"]].sum()
        population = table["population"].where(table["population"] > 0)
        table["straight_share"] = table["straight_covered"] / population
        table["network_share"] = table["network_covered"] / population
    else:
        table = table[table["district"] == district]
    return [{
        "minutes": _("{minutes:g}分").format(minutes=row.minutes),
        "radius": f"{row.radius_m:g} m",
        "straight_share": format_share(row.straight_share),
        "straight_covered": format_people(row.straight_covered),
        "network_share": format_share(row.network_share),
        "network_covered": format_people(row.network_covered),
        "difference": _points(row.network_share, row.straight_share),
    } for row in table.sort_values("minutes").itertuples()]


def comparison_summaries(study: StudyArea, plan: Plan | None) -> dict[str, Any] | None:
    """
    For the district list: per district the straight-line and network shares at each
    threshold (``rows``), the city's (``city``) and the threshold headings; None without
    a street network.
    """
    table = _comparison(plan)
    if table is None:
        return None
    thresholds = sorted(table["minutes"].unique())
    indexed = table.set_index(["district", "minutes"])
    rows = []
    for name in study.district_names:
        pairs = []
        for minutes in thresholds:
            found = (name, minutes) in indexed.index
            row = indexed.loc[(name, minutes)] if found else None
            pairs.append({
                "straight": format_share(row["straight_share"]) if found else "—",
                "network": format_share(row["network_share"]) if found else "—"})
        rows.append({"name": name, "pairs": pairs})
    city = [{"straight": row["straight_share"], "network": row["network_share"]}
            for row in comparison_rows(plan)]
    return {"headings": [_("道のり{minutes:g}分").format(minutes=m) for m in thresholds],
            "rows": rows, "city": city}


def _suggestion_caption(study: StudyArea, plan: Plan) -> str:
    threshold = threshold_text(study.config, method=plan.method,
                               threshold=plan.suggestion_threshold)
    basis = _basis_label(plan.basis, study) or _("人口データなし")
    return _("{threshold}で、上位から順に加えたときの効果（{basis}）").format(threshold=threshold,
                                                                        basis=basis)


def suggestion_rows(study: StudyArea, plan: Plan | None, *,
                    district: str | None = None) -> list[dict[str, Any]]:
    """The suggested sites (all, or those in ``district``), formatted for a table."""
    sites = suggested_sites(study, plan)
    if sites is None:
        return []
    if district is not None:
        sites = sites[sites["district"] == district]
    return [{
        "rank": int(site["rank"]),
        "name": str(site["name"]),
        "address": str(site["address"] or ""),
        "district": str(site["district"] or ""),
        "gain": f"+{format_people(site['newly_covered'])}",
        "share_after": format_share(site["share_after"]),
    } for site in sites.drop(columns="geometry").to_dict(orient="records")]


def grid_rows(plan: Plan | None, *, district: str | None = None) -> list[dict[str, str]]:
    """
    People of the basis by walking minutes to the nearest place (the minutes grid's bands),
    for a district or the city, formatted for a table; empty without a grid or population.
    """
    if plan is None or plan.grid is None or plan.grid.basis is None:
        return []
    table = (plan.grid.city if district is None
             else plan.grid.table[plan.grid.table["district"] == district])
    labels = grid_band_labels()
    return [{"band": labels[int(row.band)], "people": format_people(row.people),
             "share": format_share(row.share)} for row in table.itertuples()]


def _bus_row(name: str, row: Any) -> dict[str, str]:
    population = float(row["population"])

    def share(value: float) -> str:
        return format_share(value / population) if population > 0 else "—"

    return {"name": name, "population": format_people(population),
            **{kind: format_people(row[kind]) for kind in KINDS},
            **{f"{kind}_share": share(float(row[kind])) for kind in KINDS}}


def bus_summary(study: StudyArea, plan: Plan | None, *,
                district: str | None = None) -> dict[str, Any] | None:
    """
    On foot only, with the bus, neither (徒歩のみ・バスで・どちらも不可): a row per district
    (or the one ``district``) and the city, the notes (day, limits, 推定), formatted; without
    buses ``{"missing": how to add them}``; None without population.
    """
    if plan is None:
        return None
    if plan.bus is None:
        return {"missing": plan.bus_note} if plan.bus_note else None
    bus = plan.bus
    table = bus.table().set_index("district")
    names = [district] if district is not None else study.district_names
    rows = [_bus_row(name, table.loc[name]) for name in names if name in table.index]
    city = _bus_row(_("市全体"), pd.Series(bus.city()))
    return {"rows": rows, "city": city, "notes": bus_notes(plan), "missing": None,
            "heading": _("徒歩とバスで行ける人（{basis}）").format(
                basis=_basis_label(bus.basis, study) or _("人口データなし")),
            "label": bus_layer_label(bus)}


def districts_page(study: StudyArea, coverage: CoverageResult,
                   plan: Plan | None) -> dict[str, Any]:
    """What ``districts.html`` shows, served or written: every district's figures."""
    return {"summaries": district_summaries(study, coverage),
            "radius_headings": radius_headings(coverage),
            "city_rows": coverage_rows(study, coverage),
            "comparison": comparison_summaries(study, plan),
            "suggestions": suggestion_rows(study, plan),
            "bus": bus_summary(study, plan)}


def district_page(study: StudyArea, coverage: CoverageResult, plan: Plan | None,
                  name: str) -> dict[str, Any]:
    """What ``district.html`` shows of district ``name`` (besides its map), served or written."""
    return {"district": name,
            "rows": coverage_rows(study, coverage, district=name),
            "places": district_places(study, name),
            "resources": district_resources(study, name),
            "comparison": comparison_rows(plan, district=name),
            "grid_rows": grid_rows(plan, district=name),
            "bus": bus_summary(study, plan, district=name),
            "suggestions": suggestion_rows(study, plan, district=name)}
