"""A scenario's results as words: shares, people, changes and planned places, in Japanese.

The planner's page (:mod:`webmap.web.planner`) and its printed sheet
(:mod:`webmap.prints.plan_sheet`) both write a scenario's outcome
(:func:`webmap.web.planner.results.scenario_outcome`) with these functions, so that the page
and the paper say the same. The words are in the app's catalogue (:mod:`webmap.i18n`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from webmap.i18n import gettext as _

logger = logging.getLogger(__name__)
__all__ = ["added_label", "change_text", "people_text", "share_text"]


def share_text(value: float | None) -> str:
    """
    A share as a percentage with one decimal (``42.5%``), ``—`` when unknown.

    Examples
    --------
    >>> share_text(0.4251), share_text(None)
    ('42.5%', '—')
    """
    if value is None or pd.isna(value):
        return "—"
    return f"{100 * float(value):.1f}%"


def people_text(value: float | None) -> str:
    """``12,345`` (whole people), ``—`` when unknown."""
    if value is None or pd.isna(value):
        return "—"
    return f"{round(float(value)):,}"


def change_text(people: float, points: float | None = None) -> str:
    """
    ``+1,234人（+0.8ポイント）``, or ``変わりません`` when nobody's reach changes.

    Examples
    --------
    >>> change_text(1234.4, 0.0081), change_text(0.2)
    ('+1,234人（+0.8ポイント）', '変わりません')
    """
    if round(people) == 0:
        return _("変わりません")
    sign = "+" if people > 0 else "−"
    text = _("{sign}{people}人").format(sign=sign, people=f"{abs(round(people)):,}")
    if points is not None and not pd.isna(points):
        text += "（" + _("{sign}{points}ポイント").format(
            sign="+" if points >= 0 else "−", points=f"{abs(100 * points):.1f}") + "）"
    return text


def added_label(item: Mapping[str, Any]) -> str:
    """A planned place's name: its label, or ``地図で選んだ地点（○○地区）``."""
    label = str(item.get("label") or "") or _("地図で選んだ地点")
    if item.get("district") and not item.get("label"):
        label += "（" + _("{district}地区").format(district=item["district"]) + "）"
    return label
