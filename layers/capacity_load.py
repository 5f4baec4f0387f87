"""Places whose walk-in older population is far above their capacity (定員), for the planner.

A place's walk-in population is the people (65+ when every area has the count, else
everyone: the plan's basis) whose nearest place it is within the planner's threshold, in a
straight line (:func:`geo.planning.capacity.walk_in_people`; a threshold in minutes is turned into
metres at the profile's pace and the detour factor). A place is **over capacity** when it has
more than :data:`RESIDENTS_PER_SEAT` such people per seat: at the national target of 8 % of
older residents taking part in 通いの場, that many residents fill one seat, so more means the
place cannot take its neighbourhood's share.

Suggested sites can then prefer relieving them (:func:`relieving_suggestions`): each site
counts the people of over-capacity places who would have it nearer, and the sites are
ranked by the people newly within reach plus those relieved.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.planning.capacity import relieved_people, walk_in_people
from layers.analysis import Plan
from layers.study import StudyArea

logger = logging.getLogger(__name__)
__all__ = ["RESIDENTS_PER_SEAT", "catchment_radius_m", "place_load", "relieving_suggestions"]

#: Walk-in residents per seat above which a place is over capacity: 1 / 8 %, the national
#: target share of older residents taking part in 通いの場.
RESIDENTS_PER_SEAT = 12.5


def catchment_radius_m(study: StudyArea, plan: Plan) -> float:
    """The planner's threshold as a straight-line radius in metres."""
    threshold = float(plan.suggestion_threshold or max(study.config.radii_m))
    if plan.method != "network":
        return threshold
    walking = study.config.walking
    return threshold * walking.speed_m_per_min / walking.detour_factor


def _people(study: StudyArea, basis: str) -> tuple[np.ndarray, np.ndarray]:
    population = study.population
    assert population is not None
    metric = population.to_crs(study.config.metric_crs)
    points = metric.geometry.representative_point()
    weights = metric[basis].astype(float).fillna(0.0).to_numpy()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()]), weights


def _located(study: StudyArea) -> gpd.GeoDataFrame:
    places = study.places
    return places[places.geometry.notna()].to_crs(study.config.metric_crs)


def place_load(study: StudyArea, plan: Plan) -> pd.DataFrame | None:
    """
    Every located place with a capacity: its walk-in people and whether it is over capacity.

    Returns
    -------
    DataFrame or None
        ``place_id``, ``name``, ``district``, ``capacity``, ``walk_in`` (people of the
        plan's basis), ``per_seat`` and ``over_capacity``, the most crowded first; None
        without population or without any capacity recorded.
    """
    if study.population is None or plan.basis is None or "capacity" not in study.places:
        return None
    located = _located(study)
    if not pd.to_numeric(located["capacity"], errors="coerce").notna().any():
        return None
    xy = np.column_stack([located.geometry.x.to_numpy(), located.geometry.y.to_numpy()])
    people_xy, weights = _people(study, plan.basis)
    walk_in = walk_in_people(xy, people_xy, weights, radius_m=catchment_radius_m(study, plan))
    table = pd.DataFrame({"place_id": located["place_id"].to_numpy(),
                          "name": located["name"].to_numpy(),
                          "district": located["district"].to_numpy(),
                          # numbers from the store, texts from a config's file
                          "capacity": pd.to_numeric(located["capacity"], errors="coerce")
                          .astype(float).to_numpy(),
                          "walk_in": walk_in})
    table = table[table["capacity"].notna() & (table["capacity"] > 0)].copy()
    table["capacity"] = table["capacity"].astype(int)
    table["per_seat"] = table["walk_in"] / table["capacity"]
    table["over_capacity"] = table["per_seat"] > RESIDENTS_PER_SEAT
    logger.info("Capacity: %d places with a capacity, %d over it", len(table),
                int(table["over_capacity"].sum()))
    return table.sort_values("per_seat", ascending=False).reset_index(drop=True)


def relieving_suggestions(study: StudyArea, plan: Plan,
                          sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """
    ``sites`` with ``relieved`` (people of over-capacity places who would have the site
    nearer) ranked again by ``newly_covered + relieved``; as they are, with ``relieved`` 0,
    when no place is over capacity.
    """
    sites = sites.copy()
    sites["relieved"] = 0.0
    load = place_load(study, plan)
    if load is None or not load["over_capacity"].any() or sites.empty:
        return sites
    located = _located(study)
    xy = np.column_stack([located.geometry.x.to_numpy(), located.geometry.y.to_numpy()])
    over = located["place_id"].isin(set(load.loc[load["over_capacity"], "place_id"]))
    site_points = sites.to_crs(study.config.metric_crs).geometry
    site_xy = np.column_stack([site_points.x.to_numpy(), site_points.y.to_numpy()])
    people_xy, weights = _people(study, str(plan.basis))
    sites["relieved"] = relieved_people(site_xy, xy, people_xy, weights, over.to_numpy(),
                                        radius_m=catchment_radius_m(study, plan))
    score = sites["newly_covered"].astype(float) + sites["relieved"]
    sites = sites.assign(score=score).sort_values("score", ascending=False, kind="stable")
    sites["rank"] = range(1, len(sites) + 1)
    return sites.drop(columns="score")
