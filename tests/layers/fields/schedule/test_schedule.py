"""Schedules as coordinators write them: the real places, the forms of public lists, and what
is declined (with its reason) rather than read in part."""

from __future__ import annotations

import datetime as dt

import pytest

from data import get_path
from layers.config import load_config
from layers.fields.schedule import Opening, Session, next_openings, parse_schedule
from layers.files.places import load_places

TUESDAY = dt.date(2026, 11, 24)
NEW_YEAR = dt.date(2026, 1, 1)


def dates(text: str, count: int = 4, after: dt.date = TUESDAY) -> list[str]:
    return [o.date.isoformat() for o in next_openings(parse_schedule(text), after, count=count)]


def hours(text: str) -> list[str]:
    openings = next_openings(parse_schedule(text), NEW_YEAR, count=1)
    assert openings, text
    return [session.label for session in openings[0].sessions]


def test_real_schedules() -> None:
    config = load_config(get_path("takasaki"))
    places, _ = load_places(config.layers["places"], categories=config.categories)
    schedules = {name: parse_schedule(text)
                 for name, text in zip(places["name"], places["schedule"], strict=True) if text}
    assert len(schedules) == 3
    engawa = schedules["4区のえんがわ"]  # 毎月第1水曜日・第3月曜日 10:00～12:00
    assert engawa.status == "read" and engawa.reasons == ()
    assert (engawa.start, engawa.end) == (dt.time(10), dt.time(12))
    assert dates("毎月第1水曜日・第3月曜日 10:00～12:00") == [
        "2026-12-02", "2026-12-21", "2027-01-06", "2027-01-18"]
    francisco = schedules["フランシスコの町の居場所"]  # 不定期（モデル開催。定期開催を検討中）
    assert not francisco.dates_known and francisco.irregular
    assert "「不定期」：決まった日がありません" in francisco.reasons
    assert francisco.note == "不定期開催です。日程は主催者にご確認ください"
    monthly_once = schedules["個人宅カフェの居場所（寺尾）"]  # 毎月1回: no day given
    assert not monthly_once.dates_known and not monthly_once.irregular
    assert monthly_once.reasons == ("「毎月1回」：回数だけで、どの日か書かれていません",)
    assert monthly_once.note == "日程は主催者にご確認ください"
    assert next_openings(monthly_once, TUESDAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("毎週火曜日", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]),
        ("毎週月・木曜日 13:30～15:30", ["2026-11-26", "2026-11-30", "2026-12-03", "2026-12-07"]),
        ("第2・第4土曜日", ["2026-11-28", "2026-12-12", "2026-12-26", "2027-01-09"]),
        ("毎月15日", ["2026-12-15", "2027-01-15", "2027-02-15", "2027-03-15"]),
        ("毎日 ９：００～１７：００", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("平日", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("毎月第３金曜日", ["2026-12-18", "2027-01-15", "2027-02-19", "2027-03-19"]),
        # ordinals in kanji and full width, ranges, the last, 第N週の
        ("第二・第四木曜日", ["2026-11-26", "2026-12-10", "2026-12-24", "2027-01-14"]),
        ("毎月第１～３水曜日", ["2026-12-02", "2026-12-09", "2026-12-16", "2027-01-06"]),
        ("毎月最終金曜日", ["2026-11-27", "2026-12-25", "2027-01-29", "2027-02-26"]),
        ("毎月最後の土曜日", ["2026-11-28", "2026-12-26", "2027-01-30", "2027-02-27"]),
        ("第2週と第4週の土曜日", ["2026-11-28", "2026-12-12", "2026-12-26", "2027-01-09"]),
        # weekdays without 毎週
        ("火・金", ["2026-11-24", "2026-11-27", "2026-12-01", "2026-12-04"]),
        ("月～金曜日", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("毎火曜", ["2026-11-24", "2026-12-01", "2026-12-08", "2026-12-15"]),
        ("(土)", ["2026-11-28", "2026-12-05", "2026-12-12", "2026-12-19"]),
        ("月～金と第2土曜日", ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]),
        ("毎月曜日", ["2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21"]),
    ],
)
def test_common_forms(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


def test_weekdays_and_an_nth_saturday_mix() -> None:
    # 月～金と第2土曜日: Monday to Friday, and the second Saturday (12 December 2026)
    found = dates("月～金と第2土曜日", count=20)
    assert "2026-12-12" in found and "2026-12-05" not in found and "2026-12-19" not in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("奇数月の第3日曜日", ["2027-01-17", "2027-03-21", "2027-05-16", "2027-07-18"]),
        ("偶数月 第2火曜日", ["2026-12-08", "2027-02-09", "2027-04-13", "2027-06-08"]),
        ("4月～9月の毎週水曜日", ["2027-04-07", "2027-04-14", "2027-04-21", "2027-04-28"]),
        ("毎月第3木曜日（12月・1月は休み）",
         ["2027-02-18", "2027-03-18", "2027-04-15", "2027-05-20"]),
        ("2か月に1回 第2水曜日（4月から）",
         ["2026-12-09", "2027-02-10", "2027-04-14", "2027-06-09"]),
        ("2か月に1回（奇数月）第4土曜日", ["2026-11-28", "2027-01-23", "2027-03-27", "2027-05-22"]),
        # 12月は第3土曜日: the usual fourth Saturday gives way in December
        ("毎月第4土曜日（12月は第3土曜日）",
         ["2026-11-28", "2026-12-19", "2027-01-23", "2027-02-27"]),
        ("毎月第1木曜日 ※12月は第2木曜日",
         ["2026-12-10", "2027-01-07", "2027-02-04", "2027-03-04"]),
        ("令和9年1月～令和9年3月 毎週火曜日",
         ["2027-01-05", "2027-01-12", "2027-01-19", "2027-01-26"]),
        ("2027年2月10日（水）、3月10日（水）", ["2027-02-10", "2027-03-10"]),
        ("令和8年12月5日(土)・19日(土)", ["2026-12-05", "2026-12-19"]),
        ("R9.1.9(土) 10時～", ["2027-01-09"]),
        ("令和8年度 毎月第4金曜日", ["2026-11-27", "2026-12-25", "2027-01-22", "2027-02-26"]),
        # 1月は第2日曜日 is January's day, not a day off
        ("第1日曜日（1月は第2日曜日・8月は休み）", ["2026-12-06", "2027-01-10", "2027-02-07",
                                              "2027-03-07"]),
        ("毎月25日（12月は20日）", ["2026-11-25", "2026-12-20", "2027-01-25", "2027-02-25"]),
        ("毎週月曜日（祝日の時は翌日の火曜日）",
         ["2026-11-24", "2026-11-30", "2026-12-07", "2026-12-14"]),
    ],
)
def test_month_rules_and_dates(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


def test_holidays_follow_the_text() -> None:
    # 2027-01-11 is 成人の日 (the second Monday)
    after = dt.date(2027, 1, 1)
    flagged = next_openings(parse_schedule("毎月第2月曜日 10時～12時"), after, count=1)[0]
    assert flagged.date == dt.date(2027, 1, 11) and flagged.holiday == "成人の日"
    assert flagged.label == "1月11日（月）10:00～12:00（祝日です：開催をご確認ください）"
    assert dates("毎月第2月曜日（祝日を除く）", count=1, after=after) == ["2027-02-08"]
    moved = next_openings(parse_schedule("毎月第2月曜日（祝日の場合は翌週）"), after, count=1)[0]
    assert moved.date == dt.date(2027, 1, 18) and moved.moved_from == dt.date(2027, 1, 11)
    assert moved.holiday == ""
    assert dates("毎月第2月曜日（祝日の場合は第3月曜日）", count=1, after=after) == ["2027-01-18"]
    assert dates("毎月第2月曜日（祝日も開催）", count=1, after=after) == ["2027-01-11"]
    assert next_openings(parse_schedule("毎月第2月曜日（祝日も開催）"), after)[0].holiday == ""
    # the year-end break: shown with a note unless the text says it is off
    tuesdays = parse_schedule("毎週火曜日 13時半～")
    year_end = next_openings(tuesdays, dt.date(2026, 12, 28), count=1)[0]
    assert year_end.label == "12月29日（火）13:30～（年末年始です：開催をご確認ください）"
    assert dates("毎週火曜日（年末年始・祝日を除く）", count=1, after=dt.date(2026, 12, 28)) == [
        "2027-01-05"]
    # 土日祝: public holidays are opening days too, without a note
    holiday = next_openings(parse_schedule("土日祝"), dt.date(2026, 11, 23), count=1)[0]
    assert holiday.date == dt.date(2026, 11, 23) and holiday.holiday == ""


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("毎週水曜日 10:00～12:00", ["10:00～12:00"]),
        ("毎週水曜日 午後1時半～3時", ["13:30～15:00"]),
        ("毎週水曜日 午前10時から正午まで", ["10:00～12:00"]),
        ("毎週水曜日 正午～午後2時", ["12:00～14:00"]),
        ("毎週水曜日 13時半～", ["13:30～"]),
        ("毎週水曜日 9～12時", ["09:00～12:00"]),
        ("毎週水曜日 ①10時～ ②13時～", ["10:00～", "13:00～"]),
        ("毎週水曜日 １０：３０〜１１：４５", ["10:30～11:45"]),
        ("毎週水曜日 10ー12時", ["10:00～12:00"]),
        ("毎週水曜日 10時-12時", ["10:00～12:00"]),
        ("毎週水曜日 午後4:30~午後7:30", ["16:30～19:30"]),
        ("毎週水曜日 午前9時~12時", ["09:00～12:00"]),
        ("毎週水曜日 夕方5時～7時", ["17:00～19:00"]),
        ("毎週水曜日 10時～2時", ["10:00～14:00"]),
        ("毎週水曜日 午前十時～正午", ["10:00～12:00"]),
        ("毎週水曜日 10:00～(受付9:30～)", ["10:00～"]),
        ("毎週水曜日 午後", ["午後"]),
        ("毎週水曜日の午前中", ["午前"]),
        ("第1水曜日 10時～12時、第3水曜日 13時～15時", ["10:00～12:00"]),
    ],
)
def test_times(text: str, labels: list[str]) -> None:
    assert hours(text) == labels


@pytest.mark.parametrize("text", ["毎週金曜日 1時半から4時まで", "毎週金曜日 6:30～",
                                  "毎週金曜日 午前10時～2時"])
def test_hours_that_could_be_morning_or_afternoon_are_not_guessed(text: str) -> None:
    schedule = parse_schedule(text)
    assert schedule.status == "partial" and schedule.dates_known
    assert "午前か午後か分かりません" in schedule.reasons[0]
    assert all(o.sessions == () for o in next_openings(schedule, NEW_YEAR))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("原則第2土曜日", "「原則」"),
        ("毎月第4火曜日（予定）", "「予定」"),
        ("毎月第1水曜日 10:00～12:00（変更あり）", "「変更あり」"),
        ("毎月第2火曜日（変動有）", "「変動有」"),
        ("毎月第3土曜日 等", "「等」"),
        ("第2日曜日または第3日曜日", "「または」"),
        ("第2か第3日曜日", "「か」"),
        ("毎週金曜日 10時～ ※雨天中止", "「雨天」"),
        ("令和6年度 毎月第2土曜日", "期間（～2025年3月31日）は終わっています"),
        ("令和7年7月16日(水)", "2025年7月16日"),
        ("9月28日(水)10:00~13:00", "年の書かれていない日付"),
        ("2026年1月10日（金）", "曜日が合いません"),
        ("毎月(土曜日)", "第何週か書かれていません"),
        ("毎月第1水曜日、金曜日", "「金曜日」が毎週か"),
        ("月に1回、水曜10:00~", "「月に1回」と日の書き方が合いません"),
        ("2か月に1回 第2水曜日", "どの月か書かれていません"),
        ("隔週木曜日", "「隔週」"),
        ("4月から毎週水曜日", "「4月から」"),
        ("毎週水曜日（お盆は休み）", "「お盆」"),
        ("毎月第1・第3土曜日 ただし8月は第1土曜日のみ", "「のみ」：何に限るのか読めません"),
        ("毎週月曜日 10時～12時、第2土曜日", "「第2土曜日」の時刻が書かれていません"),
        ("毎週月曜日・第2土曜日(4月～9月)", "どの日にかかるか分かりません"),
        ("月曜休館(祝日の場合は翌日)", "どちらの話か分かりません"),
        ("毎月第2水曜日（祝日の場合は翌週月曜日）", "振替先の曜日"),
        ("1時半から4時まで", "曜日や日付が書かれていません"),
        ("第4日曜日 11時～13時（子ども食堂）", "読めない部分「(子ども食堂)」"),
        ("毎月15日（土日祝の場合は前日）", "曜日による振替には対応していません"),
        ("第2水曜日と金曜日", "「金曜日」が毎週か"),
        ("毎週水曜日 ※第1水曜日は午後", "時刻がどの日のものか分かりません"),
        ("毎週月曜日（祝日の時は翌日の水曜日）", "振替先の曜日"),
        ("毎月第1・3月~金 火曜日", "「火曜日」が毎週か"),
    ],
)
def test_declined_with_the_reason(text: str, reason: str) -> None:
    schedule = parse_schedule(text, today=NEW_YEAR)
    assert not schedule.dates_known
    assert next_openings(schedule, NEW_YEAR) == []
    assert any(reason in why for why in schedule.reasons), schedule.reasons


@pytest.mark.parametrize("text", ["", "要問合せ", "随時", "月2回程度", "不定期"])
def test_no_dates_are_invented(text: str) -> None:
    schedule = parse_schedule(text)
    assert not schedule.dates_known
    assert next_openings(schedule, TUESDAY) == []
    assert schedule.note and schedule.reasons


def test_an_ended_period_has_no_next_opening_even_without_today() -> None:
    schedule = parse_schedule("令和7年4月～令和8年3月 毎週水曜日")
    assert schedule.dates_known  # read, but over
    assert next_openings(schedule, dt.date(2026, 4, 1)) == []
    assert dates("令和7年4月～令和8年3月 毎週水曜日", count=2, after=dt.date(2026, 3, 23)) == [
        "2026-03-25"]


def test_places_in_parentheses_and_fees_say_nothing_about_dates() -> None:
    for text in ("毎月第3水曜日 10:00～11:30（公民館）", "毎週水曜日(〇〇集会所にて)",
                 "毎月第3水曜日 10:00～ ※参加費100円"):
        assert parse_schedule(text).status == "read", text


def test_label() -> None:
    opening = next_openings(parse_schedule("毎月第1水曜日 10:00～12:00"), TUESDAY)[0]
    assert opening.label == "12月2日（水）10:00～12:00"
    two = Opening(dt.date(2026, 12, 2), (Session(dt.time(10)), Session(dt.time(13))))
    assert two.label == "12月2日（水）10:00～、13:00～"
    assert (two.start, two.end) == (dt.time(10), None)
