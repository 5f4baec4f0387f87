"""What a scenario (計画案) changes, in numbers a council reads: いま → この案, city and district.

:func:`scenario_outcome` runs :func:`layers.analysis.what_if_many` on a scenario's changes and
gives, per walking threshold, the people within reach and their share before and after, for
the city and for one district; :func:`scenario_csv` writes that table (and the changes) as a
CSV file that Excel opens (UTF-8 with a BOM), in which no cell runs as a formula. The words
are in the app's catalogue (:mod:`webmap.i18n`); the numbers as words (``42.5%``, ``+1,234人``)
are :mod:`webmap.prints.plan_results`', which the printed sheet shares.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.coverage.by_distance import assign_districts
from geo.crs import STORAGE_CRS
from layers.analysis import Plan, what_if_many
from layers.files.place_files import spreadsheet_cell
from layers.study import StudyArea
from webmap.i18n import gettext as _
from webmap.maps.geojson import json_value
from webmap.maps.reach_layers import method_note, threshold_text
from webmap.maps.style import basis_label
from webmap.prints.plan_results import added_label

logger = logging.getLogger(__name__)
__all__ = ["baseline_rows", "changes_summary", "located_place_ids", "scenario_csv",
           "scenario_outcome", "threshold_labels"]


def threshold_labels(study: StudyArea, plan: Plan) -> list[dict[str, Any]]:
    """The walking thresholds: ``value`` (minutes or metres) and ``label`` (道のり10分 …)."""
    config = study.config
    values = config.minutes if plan.method == "network" else config.radii_m
    return [{"value": float(value),
             "label": threshold_text(config, method=plan.method, threshold=float(value))}
            for value in values]


def located_place_ids(study: StudyArea) -> set[str]:
    """The ids of the places with a position (only these can be assumed closed)."""
    places = study.places
    located = places.geometry.notna() & ~places.geometry.is_empty
    return set(places.loc[located, "place_id"].astype(str))


def _rows(before: pd.DataFrame, after: pd.DataFrame, column: str) -> list[dict[str, Any]]:
    merged = before[[column, "population", "covered", "covered_share"]].merge(
        after[[column, "covered", "covered_share"]], on=column, suffixes=("_before", "_after"))
    return [json_value({"threshold": float(r[column]), "population": r["population"],
                        "before": {"covered": r["covered_before"],
                                   "share": r["covered_share_before"]},
                        "after": {"covered": r["covered_after"],
                                  "share": r["covered_share_after"]},
                        "change": r["covered_after"] - r["covered_before"]})
            for r in merged.to_dict(orient="records")]


def _added_districts(study: StudyArea, lonlats: Sequence[Sequence[float]]) -> list[str]:
    if not lonlats:
        return []
    points = gpd.GeoDataFrame(geometry=[shapely.Point(*lonlat) for lonlat in lonlats],
                              crs=STORAGE_CRS)
    found = assign_districts(points, study.districts, metric_crs=study.config.metric_crs)
    return [str(name) if isinstance(name, str) else "" for name in found]


def scenario_outcome(study: StudyArea, plan: Plan, *, add: Sequence[Mapping[str, Any]] = (),
                     remove: Sequence[str] = (), district: str | None = None,
                     skip_missing: bool = False) -> dict[str, Any]:
    """
    The coverage a scenario gives, before and after, for the city and one district.

    Parameters
    ----------
    study, plan
        The study area and its plan (:class:`layers.analysis.Plan`).
    add
        Planned places: ``{"lonlat": [lon, lat], "label": "..."}``.
    remove
        Ids of places assumed closed.
    district
        The district to report besides the city (None: the city only).
    skip_missing
        Leave out (and list in ``missing``) removals whose place is no longer in the data,
        as for a scenario saved before the places were edited; otherwise they are an error.

    Returns
    -------
    dict
        ``method``, ``method_note``, ``basis`` and ``basis_label``, ``thresholds`` (value and
        label), ``city`` and ``district`` (rows per threshold: ``population``, ``before`` and
        ``after`` with ``covered`` and ``share``, ``change``; ``district`` is None without
        one), ``added`` and ``removed`` (the changes, named, with their districts) and
        ``missing``.

    Raises
    ------
    ValueError
        Unknown place, a point outside the study area, or no population layer.
    """
    missing: list[str] = []
    remove = list(dict.fromkeys(remove))
    if skip_missing:
        located = located_place_ids(study)
        missing = [place_id for place_id in remove if place_id not in located]
        remove = [place_id for place_id in remove if place_id in located]
    lonlats = [tuple(item["lonlat"]) for item in add]
    result = what_if_many(study, plan, add_lonlats=lonlats, remove_place_ids=remove)
    column = "minutes" if result["method"] == "network" else "radius_m"
    before, after = result["before"], result["after"]
    district_rows = None
    if district is not None:
        district_rows = _rows(
            before["districts"][before["districts"]["district"] == district],
            after["districts"][after["districts"]["district"] == district], column)
    places = study.places.set_index("place_id")
    added = [{"lonlat": list(item["lonlat"]), "label": str(item.get("label") or ""),
              "district": name}
             for item, name in zip(add, _added_districts(study, lonlats), strict=True)]
    removed = [{"place_id": place_id, "name": str(places.loc[place_id, "name"]),
                "district": str(places.loc[place_id, "district"] or "")}
               for place_id in remove]
    basis = plan.basis
    return {"method": result["method"], "method_note": method_note(study, plan),
            "basis": basis, "basis_label": basis_label(basis) if basis else None,
            "thresholds": threshold_labels(study, plan),
            "city": _rows(before["city"], after["city"], column),
            "district_name": district, "district": district_rows,
            "added": added, "removed": removed, "missing": missing}


def baseline_rows(study: StudyArea, plan: Plan) -> dict[str, Any]:
    """
    The coverage now, as :func:`scenario_outcome` gives it (``after`` equals ``before``), for
    the city (``city``) and every district (``districts``, by name), from one computation.
    """
    result = what_if_many(study, plan)
    column = "minutes" if result["method"] == "network" else "radius_m"
    table = result["before"]["districts"]
    return {"city": _rows(result["before"]["city"], result["before"]["city"], column),
            "districts": {name: _rows(table[table["district"] == name],
                                      table[table["district"] == name], column)
                          for name in study.district_names}}


def changes_summary(outcome: Mapping[str, Any]) -> str:
    """``新設2か所・廃止1か所``."""
    return _("新設{added}か所・廃止{removed}か所").format(added=len(outcome["added"]),
                                                  removed=len(outcome["removed"]))


class _SpreadsheetWriter:
    """A ``csv.writer`` whose cells pass :func:`layers.files.place_files.spreadsheet_cell`."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: Sequence[Any]) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])


def _percent(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{100 * float(value):.1f}"


def scenario_csv(name: str, outcome: Mapping[str, Any]) -> bytes:
    """
    The scenario's table as CSV in UTF-8 with a BOM (Excel then reads the Japanese right).

    First the scenario's name, method and population basis; then one row per area (the
    city, the scenario's district) and threshold, before and after; then the changes.
    Every cell passes :func:`layers.files.place_files.spreadsheet_cell`: text starting with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` so that a spreadsheet
    shows it as text and never runs it.
    """
    out = io.StringIO()
    writer = _SpreadsheetWriter(csv.writer(out, lineterminator="\r\n"))
    writer.writerow([_("計画案"), name])
    writer.writerow([_("計算方法"), outcome["method_note"]])
    writer.writerow([_("人口"), outcome["basis_label"] or _("人口データなし")])
    writer.writerow([])
    writer.writerow([_("範囲"), _("徒歩圏の目安"), _("人口"),
                     _("徒歩圏内の人（いま）"), _("徒歩圏内の人（この案）"), _("増減（人）"),
                     _("割合（いま・%）"), _("割合（この案・%）")])
    labels = {t["value"]: t["label"] for t in outcome["thresholds"]}
    areas = [(_("市全体"), outcome["city"])]
    if outcome["district"] is not None:
        areas.append((_("{district}地区").format(district=outcome["district_name"]),
                      outcome["district"]))
    for area, rows in areas:
        for row in rows:
            writer.writerow([area, labels.get(row["threshold"], row["threshold"]),
                             round(row["population"]), round(row["before"]["covered"]),
                             round(row["after"]["covered"]), round(row["change"]),
                             _percent(row["before"]["share"]), _percent(row["after"]["share"])])
    writer.writerow([])
    writer.writerow([_("変更"), _("名称"), _("地区"), _("経度"), _("緯度")])
    for item in outcome["added"]:
        writer.writerow([_("新設（計画）"), added_label(item), item["district"],
                         f"{item['lonlat'][0]:.6f}", f"{item['lonlat'][1]:.6f}"])
    for item in outcome["removed"]:
        writer.writerow([_("廃止を想定"), item["name"], item["district"], "", ""])
    return out.getvalue().encode("utf-8-sig")
