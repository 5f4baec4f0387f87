"""Participation figures for the pages and the API, kept with the maps served.

Records are not map rows: saving one does not redraw the maps. The figures are made from the
records and kept with the state served, under the records' stamp
(:func:`layers.store.participation.participation_stamp`: one indexed read per request that
shows them), so every process shows a change at its next request.
"""

from __future__ import annotations

import pandas as pd

from layers.participation_figures import ParticipationFigures, study_participation
from layers.store.participation import participation_records, participation_stamp
from webmap.web.base import app_state

__all__ = ["figure_places", "participation_now"]


def figure_places() -> pd.DataFrame:
    """``place_id``, ``name``, ``district`` of every stored place, retired ones too; the
    district found from the position (as the maps do) where none was written."""
    stored = app_state().places.places(include_retired=True)[["place_id", "name", "district"]]
    drawn = app_state().maps.study.places
    found = dict(zip(drawn["place_id"], drawn["district"], strict=True))
    stored["district"] = [d or found.get(p, "") for p, d in
                          zip(stored["place_id"], stored["district"], strict=True)]
    return stored


def participation_now() -> tuple[str, ParticipationFigures | None]:
    """
    The records' stamp as text (for page cache keys), and the figures of the study area
    (None without records), counting 65+ residents when every area has them.
    """
    state = app_state().maps
    store = app_state().places
    count, latest = participation_stamp(store)
    stamp = f"{count}:{latest}"
    holder: dict[str, ParticipationFigures | None] = state.kept("participation.figures", dict)
    if stamp not in holder:
        records = participation_records(store)
        figures = None if records.empty else study_participation(state.coverage, records,
                                                                 figure_places())
        holder.clear()  # only the latest stamp's figures are kept
        holder[stamp] = figures
    return stamp, holder.get(stamp)
