"""Participation figures per district and for the city, by month and by fiscal year (年度).

From the records staff keep (:mod:`layers.store.participation`), the places (for their name
and district) and the people of each district, this module makes the tables the pages, the
API, the GeoPackage and the yearly report share:

- **by month**: places reporting, participants (実人数), of them 65+, sessions, and the
  share of the district's residents taking part. That share is the national indicator
  通いの場への参加率 (65+ participants ÷ 65+ residents) when the population has 65+ counts;
  otherwise it is participants ÷ all residents, and :func:`share_label` says so. Places
  whose 65+ count was not recorded are left out of the 65+ numerator and counted in
  ``places_without_65``, so a page can say how many;
- **by fiscal year** (April to March, as municipalities report): the same, where a place's
  participants are its highest month (each person is counted once in a month, but the
  months cannot be added up without counting the regulars twelve times: the highest month
  is a lower bound of the people who took part that year), and its sessions are summed;
- **places by frequency and by activity** per fiscal year (a place's most frequent
  activity and frequency over its months; the latest one on a tie);
- **the yearly report**: one row per place (:func:`place_year_rows`).

The city's rows have the district :data:`CITY`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.coverage.by_distance import CoverageResult
from layers.fields.participation import ACTIVITIES, FREQUENCIES

logger = logging.getLogger(__name__)
__all__ = ["CITY", "ParticipationFigures", "district_population", "figures_tables",
           "fiscal_year", "participation_figures", "place_year_rows", "share_label",
           "study_participation"]

#: The district of the city's rows.
CITY = "市全体"

_COUNTS = ["places", "participants", "participants_65", "places_without_65", "sessions"]


def fiscal_year(month: str) -> int:
    """
    The fiscal year (年度, April to March) of a ``YYYY-MM`` month.

    Examples
    --------
    >>> fiscal_year("2026-03"), fiscal_year("2026-04")
    (2025, 2026)
    """
    year, number = int(month[:4]), int(month[5:7])
    return year if number >= 4 else year - 1


def share_label(basis: str | None) -> str:
    """What the share of residents taking part is, for headings and notes."""
    if basis == "age65":
        return "通いの場への参加率（65歳以上の参加者 ÷ 地区の65歳以上人口）"
    if basis is None:
        return "参加率（人口データなし）"
    return "参加者の割合（参加者 ÷ 地区の総人口。65歳以上人口のデータがないため）"


@dataclass(frozen=True)
class ParticipationFigures:
    """The participation tables of a study area (see the module notes)."""

    #: ``district``, ``month``, ``places``, ``participants``, ``participants_65``,
    #: ``places_without_65``, ``sessions``, ``population``, ``share``.
    months: pd.DataFrame
    #: The same by ``fiscal_year`` (participants: each place's highest month).
    years: pd.DataFrame
    #: ``district``, ``fiscal_year``, ``frequency``, ``places`` (every band, 0 included).
    by_frequency: pd.DataFrame
    #: ``district``, ``fiscal_year``, ``activity``, ``places`` (every activity, 0 included).
    by_activity: pd.DataFrame
    #: The population the share divides by: ``"age65"``, ``"total"``, or None without one.
    basis: str | None

    def district(self, name: str) -> ParticipationFigures:
        """The figures of one district (or :data:`CITY`)."""
        def own(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["district"] == name].reset_index(drop=True)

        return ParticipationFigures(months=own(self.months), years=own(self.years),
                                    by_frequency=own(self.by_frequency),
                                    by_activity=own(self.by_activity), basis=self.basis)


def _with_places(records: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Records with their place's ``name`` and ``district`` (unknown places are left out)."""
    lookup = places[["place_id", "name", "district"]].drop_duplicates("place_id")
    joined = records.merge(lookup, on="place_id", how="inner")
    joined["district"] = joined["district"].fillna("").astype(str)
    joined["fiscal_year"] = [fiscal_year(m) for m in joined["month"]]
    return joined


def _most_common(values: pd.Series, months: pd.Series) -> str:
    """The most frequent value; on a tie, the one of the latest month."""
    counts = values.value_counts()
    best = counts[counts == counts.max()].index
    latest = values[values.isin(best)].loc[months[values.isin(best)].idxmax()]
    return str(latest)


def place_year_rows(records: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """
    One row per place and fiscal year: the layout of the city's yearly report on 通いの場.

    Returns
    -------
    DataFrame
        ``fiscal_year``, ``district``, ``place_id``, ``name``, ``activity`` and
        ``frequency`` (the most frequent over the year's months), ``participants`` and
        ``participants_65`` (the highest month; ``<NA>`` when 65+ was never recorded),
        ``sessions`` (summed) and ``months`` (how many months were recorded), sorted by year,
        district and name.
    """
    joined = _with_places(records, places)
    rows = []
    for (year, place_id), group in joined.groupby(["fiscal_year", "place_id"], sort=False):
        aged = group["participants_65"].dropna()
        rows.append({"fiscal_year": int(year), "district": group["district"].iloc[0],
                     "place_id": place_id, "name": group["name"].iloc[0],
                     "activity": _most_common(group["activity"], group["month"]),
                     "frequency": _most_common(group["frequency"], group["month"]),
                     "participants": int(group["participants"].max()),
                     "participants_65": int(aged.max()) if len(aged) else pd.NA,
                     "sessions": int(group["sessions"].sum()), "months": len(group)})
    columns = ["fiscal_year", "district", "place_id", "name", "activity", "frequency",
               "participants", "participants_65", "sessions", "months"]
    table = pd.DataFrame(rows, columns=columns)
    table["participants_65"] = table["participants_65"].astype("Int64")
    return table.sort_values(["fiscal_year", "district", "name"]).reset_index(drop=True)


def _sums(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Places, participants, 65+ (known ones), places without 65+, sessions per ``keys``."""
    grouped = frame.groupby(keys, sort=True)
    table = pd.DataFrame({
        "places": grouped["place_id"].nunique(),
        "participants": grouped["participants"].sum(),
        "participants_65": grouped["participants_65"].sum(min_count=0),
        "places_without_65": grouped["participants_65"].apply(lambda s: int(s.isna().sum())),
        "sessions": grouped["sessions"].sum()}).reset_index()
    return table


def _with_share(table: pd.DataFrame, people: Mapping[str, float],
                basis: str | None) -> pd.DataFrame:
    table = table.copy()
    table["population"] = [float(people.get(d, np.nan)) for d in table["district"]]
    numerator = table["participants_65" if basis == "age65" else "participants"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = numerator / table["population"].where(table["population"] > 0)
    if basis == "age65":  # no 65+ count recorded at all: the share is not known
        share = share.where(table["places_without_65"] < table["places"])
    table["share"] = share
    for column in _COUNTS:
        table[column] = table[column].astype("int64")
    return table


def _bands(frame: pd.DataFrame, column: str, values: tuple[str, ...]) -> pd.DataFrame:
    """Places per ``column`` value, district and fiscal year, every value listed (0 too)."""
    rows = []
    for (district, year), group in frame.groupby(["district", "fiscal_year"], sort=True):
        counts = group[column].value_counts()
        rows += [{"district": district, "fiscal_year": int(year), column: value,
                  "places": int(counts.get(value, 0))} for value in values]
    return pd.DataFrame(rows, columns=["district", "fiscal_year", column, "places"])


def participation_figures(records: pd.DataFrame, places: pd.DataFrame,
                          population: Mapping[str, float], *,
                          basis: str | None) -> ParticipationFigures:
    """
    Every participation table of a study area.

    Parameters
    ----------
    records
        The open records (:func:`layers.store.participation.participation_records`).
    places
        ``place_id``, ``name``, ``district`` of every place a record may name (retired
        ones too: their past months still count); records of other places are left out.
    population
        People per district name (and :data:`CITY`) of the ``basis`` count.
    basis
        ``"age65"`` when ``population`` counts 65+ residents, ``"total"`` for everyone,
        None without population (the share is then NaN).
    """
    joined = _with_places(records, places)
    city = joined.assign(district=CITY)
    both = pd.concat([joined, city], ignore_index=True)
    months = _with_share(_sums(both, ["district", "month"]), population, basis)
    # a year: each place's highest month of participants, its sessions summed
    yearly = place_year_rows(records, places)
    yearly_both = pd.concat([yearly, yearly.assign(district=CITY)], ignore_index=True)
    years = _with_share(_sums(yearly_both, ["district", "fiscal_year"]), population, basis)
    logger.info("Participation figures: %d records of %d places, %d months", len(joined),
                joined["place_id"].nunique(), joined["month"].nunique())
    return ParticipationFigures(
        months=months, years=years,
        by_frequency=_bands(yearly_both, "frequency", FREQUENCIES),
        by_activity=_bands(yearly_both, "activity", ACTIVITIES), basis=basis)


def district_population(coverage: CoverageResult) -> dict[str, float]:
    """
    People per district (and :data:`CITY`) of the coverage's basis, from its tables.

    The share of residents taking part divides by these; ``coverage.basis`` says whether
    they are 65+ residents or everyone.
    """
    people: dict[str, float] = {}
    if coverage.basis is None:
        return people
    for district, group in coverage.table.groupby("district", sort=False):
        people[str(district)] = float(group["population"].iloc[0])
    if len(coverage.city):
        people[CITY] = float(coverage.city["population"].iloc[0])
    return people


def study_participation(coverage: CoverageResult, records: pd.DataFrame,
                        places: pd.DataFrame) -> ParticipationFigures:
    """:func:`participation_figures` of a study area: its districts' people of the coverage's
    basis (65+ when every area has them, else everyone)."""
    if coverage.basis not in ("age65", "total"):  # none, or 75+/85+: no share to give
        return participation_figures(records, places, {}, basis=None)
    return participation_figures(records, places, district_population(coverage),
                                 basis=coverage.basis)


def figures_tables(figures: ParticipationFigures) -> dict[str, pd.DataFrame]:
    """The tables of ``figures`` by GeoPackage layer name, each row saying its ``basis``."""
    basis = figures.basis or ""
    return {"participation_months": figures.months.assign(basis=basis),
            "participation_years": figures.years.assign(basis=basis),
            "participation_by_frequency": figures.by_frequency,
            "participation_by_activity": figures.by_activity}
