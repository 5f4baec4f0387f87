"""Words of the resident page: both languages complete, numbers and dates, contacts, openings."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from layers.fields.contact import parse_contact
from layers.fields.schedule import parse_schedule
from webmap.i18n import LOCALES, gettext, placeholders, translations
from webmap.maps.style import CATEGORY_STYLES, day_type_labels
from webmap.web.resident.format import (
    JST,
    format_distance,
    format_opening,
    japan_now,
    join_sentences,
    round_minutes,
)
from webmap.web.resident.places import category_label, opening_info
from webmap.web.resident.views import script_text
from webmap.web.resident.whereami import compass_names


def test_both_languages_have_every_word_with_the_same_placeholders() -> None:
    """The page's words in English (the catalogue's completeness: test_catalogue.py)."""
    assert LOCALES[0] == "ja"
    ja, en = script_text("ja"), script_text("en")
    assert set(ja) == set(en)
    for key in ja:
        assert en[key] != ja[key] and en[key] == gettext(ja[key], locale="en"), key
        assert placeholders(ja[key]) == placeholders(en[key]), key
        assert "<" not in ja[key] and "<" not in en[key]  # words, not HTML
    for category in CATEGORY_STYLES:  # every known category has an English name
        assert category_label(category, "ja") == category != category_label(category, "en")
    for names in (compass_names, lambda lang: tuple(day_type_labels(locale=lang).values())):
        ja_names, en_names = names("ja"), names("en")
        assert len(set(en_names)) == len(ja_names) and not set(ja_names) & set(en_names)
    with pytest.raises(ValueError, match="not offered"):
        translations("fr")


def test_japanese_words_stay_in_the_text_modules() -> None:
    """
    Views and logic hold no Japanese of their own: every Japanese word in them is a msgid of
    the catalogue (the argument of ``_``, so it has its English), docstrings aside.
    """
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    for name in ("webmap/web/resident/views.py", "webmap/web/resident/places.py",
                 "webmap/web/resident/bus.py", "webmap/web/resident/whereami.py",
                 "webmap/web/resident/index.py", "webmap/web/resident/format.py",
                 "geo/streets/nearest.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        allowed = {id(node.body[0].value) for node in ast.walk(tree)  # docstrings
                   if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
                   and node.body and isinstance(node.body[0], ast.Expr)}
        allowed |= {id(node.args[0]) for node in ast.walk(tree)  # msgids
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in {"_", "gettext", "N_"} and node.args}
        own = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and id(node) not in allowed
               and re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", node.value)]
        assert not own, (name, own)


@pytest.mark.parametrize(("metres", "text"), [
    (0, "10 m"), (14, "10 m"), (83, "80 m"), (85, "80 m"), (86, "90 m"), (995, "1.0 km"),
    (1249, "1.2 km"), (12_345, "12.3 km"),
])
def test_distances_to_read_out(metres, text) -> None:
    assert format_distance(metres) == text


def test_minutes_round_up() -> None:
    assert [round_minutes(m) for m in (0.0, 1.0, 1.0000001, 2.01, 14.5)] == [1, 1, 1, 3, 15]


def test_japan_time_and_sentences() -> None:
    assert japan_now(dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)).date() == dt.date(2026, 12, 2)
    assert japan_now(dt.datetime(2026, 12, 1, 9)).tzinfo is JST
    assert japan_now().utcoffset() == dt.timedelta(hours=9)
    assert join_sentences(["a", "", "b。"]) == "a。b。"


def test_contact_numbers() -> None:
    contact = parse_contact("あんしんセンター関越中央 027-386-2270")
    assert contact.name == "あんしんセンター関越中央"
    assert [(p.text, p.href) for p in contact.phones] == [("027-386-2270", "tel:0273862270")]
    wide = parse_contact("TEL：０２７－３２１－１２３４（平日9時～17時）")
    assert wide.phones[0].digits == "0273211234"
    assert parse_contact("携帯 090 1234 5678").phones[0].digits == "09012345678"
    assert parse_contact("フリーダイヤル 0120-123-456").phones[0].href == "tel:0120123456"
    assert parse_contact("会場へ直接").phones == ()
    assert parse_contact("会員番号 12345-6789").phones == ()
    assert parse_contact(None).text == "" and parse_contact("").phones == ()


def test_openings_this_week_today_and_after_hours() -> None:
    schedule = parse_schedule("毎月第1水曜日・第3月曜日 10:00～12:00")
    monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=JST)
    assert opening_info(schedule, monday)["next"]["when"] == "this_week"
    wednesday_morning = dt.datetime(2026, 12, 2, 9, 0, tzinfo=JST)
    today = opening_info(schedule, wednesday_morning, "en")["next"]
    assert today == {"date": "2026-12-02", "label": "Wed 2 Dec, 10:00–12:00", "when": "today",
                     "when_label": "Open today"}
    after = opening_info(schedule, dt.datetime(2026, 12, 2, 12, 0, tzinfo=JST))["next"]
    assert after["date"] == "2026-12-21" and after["when"] == "later" and after["when_label"] == ""
    holiday = opening_info(parse_schedule("毎週月曜日 10:00～11:00"),
                           dt.datetime(2026, 11, 22, 9, 0, tzinfo=JST))
    assert holiday["next"]["date"] == "2026-11-23"  # 勤労感謝の日: shown, with a note to check
    assert holiday["next"]["label"] == ("11月23日（月）10:00～11:00"
                                        "（祝日です：開催をご確認ください）")
    english = opening_info(parse_schedule("毎週月曜日 10:00～11:00"),
                           dt.datetime(2026, 11, 22, 9, 0, tzinfo=JST), "en")
    assert english["next"]["label"] == ("Mon 23 Nov, 10:00–11:00 "
                                        "(public holiday: please check it is held)")
    off = opening_info(parse_schedule("毎週月曜日 10:00～11:00（祝日を除く）"),
                       dt.datetime(2026, 11, 22, 9, 0, tzinfo=JST))
    assert off["next"]["date"] == "2026-11-30" and off["note"] == ""


@pytest.mark.parametrize(("text", "note"), [
    ("不定期（モデル開催。定期開催を検討中）",
     "不定期開催です。日程は主催者にご確認ください"),
    ("毎月1回", "日程は主催者にご確認ください"),
    ("毎月第4火曜日（予定）", "日程は主催者にご確認ください"),
    ("令和7年4月～令和8年3月 毎週水曜日", "日程は主催者にご確認ください"),  # over by then
    ("", "日程の情報がありません"),
])
def test_schedules_without_dates_say_so(text, note) -> None:
    info = opening_info(parse_schedule(text), dt.datetime(2026, 12, 1, 9, tzinfo=JST))
    assert info["next"] is None and info["note"] == note and info["schedule"] == text


def test_english_opening_label() -> None:
    from layers.fields.schedule import Opening

    assert format_opening(Opening(dt.date(2027, 1, 6)), "en") == "Wed 6 Jan"
    assert format_opening(Opening(dt.date(2027, 1, 2), holiday="年末年始"), "en") == (
        "Sat 2 Jan (New Year break: please check it is held)")
    assert format_opening(Opening(dt.date(2027, 1, 6)), "ja") == "1月6日（水）"


def test_the_script_gets_every_word_it_uses() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[4] / "webmap/static/near/near.js").read_text(
        encoding="utf-8")
    used = set(re.findall(r"\bt\.([a-z_]+)", script))
    assert used == set(script_text("ja")) == set(script_text("en"))
