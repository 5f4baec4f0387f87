"""The words the staff pages (``/admin``) show for coded values: fields, roles, audit actions.

The words are msgids of the app's one catalogue (:mod:`webmap.i18n`); the staff pages are
Japanese. Their error pages' words are in :mod:`webmap.web.base`.
"""

from __future__ import annotations

from webmap.i18n import gettext as _

__all__ = ["action_label", "field_label", "role_label"]


def role_label(role: str) -> str:
    """
    A role as staff read it; an unknown role as it is.

    Examples
    --------
    >>> role_label("editor"), role_label("guest")
    ('編集', 'guest')
    """
    return {"viewer": _("閲覧"), "editor": _("編集"), "admin": _("管理者")}.get(role, role)


def action_label(action: str) -> str:
    """
    An audit-log action; an unknown action as it is.

    Examples
    --------
    >>> action_label("retire")
    '廃止'
    """
    return {"create": _("追加"), "update": _("変更"), "retire": _("廃止"),
            "import": _("取り込み")}.get(action, action)


def field_label(field: str) -> str:
    """
    The label of a field of a place or a route (and of a problem's ``field``) in forms and
    tables; an unknown field as it is.

    Examples
    --------
    >>> field_label("position_quality"), field_label("")
    ('位置の確かさ', '')
    """
    return {
        "place_id": _("番号"),
        "name": _("名前"),
        "category": _("種別"),
        "district": _("地区"),
        "address": _("住所"),
        "schedule": _("日時"),
        "contact": _("連絡先"),
        "notes": _("備考"),
        "position_source": _("位置の根拠"),
        "position_quality": _("位置の確かさ"),
        "source": _("出典"),
        "serves": _("対象地域"),
        "lon": _("経度"),
        "lat": _("緯度"),
        "geometry": _("位置"),
        "version": _("版"),
        "updated_at": _("更新日時"),
        "retired_at": _("廃止日時"),
        "kind": _("種類"),
        "line": _("コースの線"),
        "benches": _("ベンチ"),
        "capacity": _("定員"),
        "month": _("月"),
        "participants": _("参加者数"),
        "participants_65": _("うち65歳以上"),
        "sessions": _("開催回数"),
        "activity": _("主な活動"),
        "frequency": _("開催頻度"),
    }.get(field, field)
