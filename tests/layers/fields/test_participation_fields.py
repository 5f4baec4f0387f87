"""The checks of a participation record: every problem named by field, never an exception.

The participation numbers here are made up for the tests (no place reported them).
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from layers.fields.participation import (
    ACTIVITIES,
    CAPACITY_FACTOR,
    COUNT_FIELDS,
    FREQUENCIES,
    PARTICIPATION_LIMITS,
    check_capacity,
    check_participation,
    parse_count,
    parse_month,
)

TODAY = dt.date(2026, 11, 28)
PLACES = {"p0001": 20, "p0002": None}
# made-up numbers of one month of a salon
GOOD = {"place_id": "p0001", "month": "2026-10", "participants": "18", "participants_65": "15",
        "sessions": "4", "activity": "体操", "frequency": "週1回以上"}


def _fields(values: dict, places: dict = PLACES) -> dict[str, list[str]]:
    _, problems = check_participation(values, places=places, today=TODAY, label="t.csv", row=2)
    found: dict[str, list[str]] = {}
    for problem in problems:
        assert problem.row == 2 and problem.path == "t.csv"
        found.setdefault(problem.field, []).append(problem.problem)
    return found


def test_a_good_record_is_stored_as_numbers() -> None:
    record, problems = check_participation(GOOD, places=PLACES, today=TODAY, label="form")
    assert problems == []
    assert record == {"place_id": "p0001", "month": "2026-10", "participants": 18,
                      "participants_65": 15, "sessions": 4, "activity": "体操",
                      "frequency": "週1回以上"}


def test_every_bad_field_is_named_at_once() -> None:
    found = _fields({"place_id": "p0404", "month": "2027-01", "participants": "-3",
                     "participants_65": "多い", "sessions": "", "activity": "散歩",
                     "frequency": "毎日"})
    assert set(found) == {"place_id", "month", "participants", "participants_65", "sessions",
                          "activity", "frequency"}
    assert "負の数" in found["participants"][0]
    assert "まだ来ていない月" in found["month"][0]


def test_plausible_bounds() -> None:
    over_capacity = _fields({**GOOD, "participants": str(CAPACITY_FACTOR * 20 + 1)})
    assert "定員20人の10倍" in over_capacity["participants"][0]
    assert _fields({**GOOD, "participants": str(CAPACITY_FACTOR * 20)}) == {}
    assert "participants_65" in _fields({**GOOD, "participants_65": "19"})
    no_capacity = {**GOOD, "place_id": "p0002"}
    assert _fields({**no_capacity, "participants": "300"}) == {}
    assert "participants" in _fields({**no_capacity, "participants": str(
        PARTICIPATION_LIMITS["participants"] + 1)})
    assert "sessions" in _fields({**GOOD, "sessions": "0"})  # people but no session
    assert "sessions" in _fields({**GOOD, "sessions": "94"})
    assert _fields({**GOOD, "participants": "0", "participants_65": "0", "sessions": "0"}) == {}


def test_months_as_staff_write_them() -> None:
    assert parse_month("2026年4月") == "2026-04"
    assert parse_month("２０２６／４") == "2026-04"  # full-width, as typed with an IME
    assert parse_month("2026/4") == "2026-04"
    assert parse_month("2026-13") is None
    assert _fields({**GOOD, "month": "2026年11月"}) == {}  # this month is fine
    assert "month" in _fields({**GOOD, "month": "1999-12"})


def test_capacity() -> None:
    assert check_capacity("３０", label="f") == (30, None)
    assert check_capacity(None, label="f") == (None, None)
    for bad in ("0", "-5", "三十", "2.5", str(PARTICIPATION_LIMITS["capacity"] + 1)):
        value, problem = check_capacity(bad, label="f", row=4)
        assert value is None and problem is not None and problem.field == "capacity", bad


@given(st.one_of(st.text(max_size=30), st.integers(-10**12, 10**12),
                 st.floats(allow_nan=True, allow_infinity=False), st.none(), st.booleans()))
def test_parse_count_never_raises_and_never_gives_a_negative(value: object) -> None:
    parsed = parse_count(value)
    assert parsed is None or isinstance(parsed, str) or (isinstance(parsed, int) and parsed >= 0)


@given(st.fixed_dictionaries(
    {name: st.one_of(st.text(max_size=12), st.integers(-50, 500), st.none())
     for name in ("place_id", "month", *COUNT_FIELDS, "activity", "frequency")}))
def test_any_input_gives_problems_by_field_or_a_record_within_bounds(values: dict) -> None:
    record, problems = check_participation(values, places=PLACES, today=TODAY, label="t.csv",
                                           row=7)
    assert all(p.row == 7 and p.field for p in problems)
    if problems:
        return
    # a record without problems keeps every bound
    assert record["place_id"] in PLACES
    assert "2000-01" <= record["month"] <= "2026-11"
    assert 0 <= record["participants"] <= PARTICIPATION_LIMITS["participants"]
    capacity = PLACES[record["place_id"]]
    assert capacity is None or record["participants"] <= CAPACITY_FACTOR * capacity
    assert record["participants_65"] is None or record["participants_65"] <= \
        record["participants"]
    assert 0 <= record["sessions"] <= PARTICIPATION_LIMITS["sessions"]
    assert record["activity"] in ACTIVITIES and record["frequency"] in FREQUENCIES


@given(participants=st.integers(0, 400), aged=st.integers(0, 400), sessions=st.integers(0, 100))
def test_numbers_within_bounds_pass_and_others_are_named(participants: int, aged: int,
                                                         sessions: int) -> None:
    found = _fields({**GOOD, "participants": participants, "participants_65": aged,
                     "sessions": sessions})
    assert ("participants" in found) == (participants > CAPACITY_FACTOR * 20)
    assert ("participants_65" in found) == (aged > participants)
    assert ("sessions" in found) == (sessions > 93 or (sessions == 0 and participants > 0))
