"""Participation records and capacity in the store, on a GeoPackage and on PostGIS.

Every participation number here is made up for the tests; the places are Takasaki's real
list (data/takasaki), the 定員 given to them is made up too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from layers.errors import LayerError
from layers.files.participation_files import read_participation_csv, write_participation_csv
from layers.participation_figures import CITY, participation_figures, place_year_rows
from layers.store.features import VersionConflict
from layers.store.participation import (
    add_participation,
    import_participation,
    participation_records,
    preview_participation,
    retire_participation,
    update_participation,
)
from layers.store.places import PlaceStore

TODAY = dt.date(2026, 11, 28)
SALON = {"name": "テストサロン", "category": "サロン", "district": "中央", "capacity": "20"}
# a made-up month of the salon
MONTH = {"place_id": "p0001", "month": "2026-10", "participants": "18",
         "participants_65": "15", "sessions": "4", "activity": "体操",
         "frequency": "週1回以上"}


@pytest.fixture
def salon_store(store: PlaceStore) -> PlaceStore:
    store.add_place(SALON, user="suzuki")
    store.add_place({"name": "第二サロン", "category": "サロン", "district": "北"}, user="suzuki")
    return store


def _count(store: PlaceStore) -> int:
    return len(participation_records(store, include_retired=True))


def test_capacity_is_stored_checked_and_edited(salon_store: PlaceStore) -> None:
    assert salon_store.place("p0001")["capacity"] == 20
    assert salon_store.place("p0002")["capacity"] is None
    with pytest.raises(LayerError) as caught:
        salon_store.update_place("p0001", {"capacity": "二十"}, expected_version=1, user="s")
    assert [p.field for p in caught.value.problems] == ["capacity"]
    changed = salon_store.update_place("p0001", {"capacity": "３０"}, expected_version=1,
                                       user="sato")
    assert (changed["capacity"], changed["version"]) == (30, 2)
    assert salon_store.audit("p0001")[-1]["after"]["capacity"] == 30
    assert list(salon_store.places()["capacity"].astype("object").fillna(0)) == [30, 0]


def test_add_edit_retire_are_versioned_and_audited(salon_store: PlaceStore) -> None:
    record = add_participation(salon_store, MONTH, user="suzuki", today=TODAY)
    assert (record["record_id"], record["version"], record["participants"]) == ("m0001", 1, 18)
    changed = update_participation(salon_store, "m0001", {"participants": "19"},
                                   expected_version=1, user="sato", today=TODAY)
    assert changed["version"] == 2
    with pytest.raises(VersionConflict):
        update_participation(salon_store, "m0001", {"participants": "17"},
                             expected_version=1, user="tanaka", today=TODAY)
    retire_participation(salon_store, "m0001", expected_version=2, user="sato")
    assert participation_records(salon_store).empty
    audit = salon_store.audit(layer="participation")
    assert [(a["action"], a["user"]) for a in audit] == [
        ("create", "suzuki"), ("update", "sato"), ("retire", "sato")]
    assert (audit[1]["before"]["participants"], audit[1]["after"]["participants"]) == (18, 19)


def test_one_open_record_per_place_and_month(salon_store: PlaceStore) -> None:
    add_participation(salon_store, MONTH, user="suzuki", today=TODAY)
    with pytest.raises(LayerError) as caught:
        add_participation(salon_store, {**MONTH, "month": "2026年10月"}, user="s", today=TODAY)
    assert "m0001" in caught.value.problems[0].fix
    assert _count(salon_store) == 1


def test_bad_input_stores_nothing(salon_store: PlaceStore) -> None:
    with pytest.raises(LayerError) as caught:
        add_participation(salon_store, {**MONTH, "participants": "201", "month": "2027-01"},
                          user="suzuki", today=TODAY)
    assert {p.field for p in caught.value.problems} == {"participants", "month"}
    salon_store.retire_place("p0002", expected_version=1, user="suzuki")
    with pytest.raises(LayerError) as caught:  # a retired place takes no new month
        add_participation(salon_store, {**MONTH, "place_id": "p0002"}, user="s", today=TODAY)
    assert [p.field for p in caught.value.problems] == ["place_id"]
    assert _count(salon_store) == 0
    assert salon_store.audit(layer="participation") == []


def test_an_import_stores_all_rows_or_none(salon_store: PlaceStore, tmp_path: Path) -> None:
    csv = tmp_path / "参加.csv"
    csv.write_text("居場所ID,月,参加者数,うち65歳以上,開催回数,主な活動,開催頻度\r\n"
                   "p0001,2026-09,16,14,4,体操,週1回以上\r\n"
                   "p0002,2026/9,8,,2,茶話会,月2回以上\r\n"
                   "p0001,2026-09,16,14,4,体操,週1回以上\r\n"  # the same month again
                   "p0009,2026-09,-1,2,x,体操,毎週\r\n", encoding="cp932")
    rows = read_participation_csv(csv, name="参加.csv")
    problems = preview_participation(salon_store, rows, source="参加.csv", today=TODAY)
    assert {(p.row, p.field) for p in problems} == {
        (4, "month"), (5, "place_id"), (5, "participants"), (5, "sessions"),
        (5, "frequency")}
    with pytest.raises(LayerError):
        import_participation(salon_store, rows, user="suzuki", source="参加.csv", today=TODAY)
    assert _count(salon_store) == 0  # nothing half-stored
    ids = import_participation(salon_store, rows[:2], user="suzuki", source="参加.csv",
                               today=TODAY)
    assert ids == ["m0001", "m0002"]
    assert {a["action"] for a in salon_store.audit(layer="participation")} == {"import"}


def test_export_reads_back_and_neutralises_formulas(salon_store: PlaceStore,
                                                    tmp_path: Path) -> None:
    salon_store.update_place("p0001", {"name": "=HYPERLINK(\"x\")"}, expected_version=1,
                             user="suzuki")
    add_participation(salon_store, MONTH, user="suzuki", today=TODAY)
    out = write_participation_csv(participation_records(salon_store),
                                  dict(zip(salon_store.places()["place_id"],
                                           salon_store.places()["name"], strict=True)),
                                  tmp_path / "out.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Excel: BOM and CRLF
    assert "'=HYPERLINK" in raw.decode("utf-8-sig")
    rows = read_participation_csv(out)
    assert rows[0]["participants"] == "18" and rows[0]["row"] == 2
    problems = preview_participation(salon_store, rows, source="out.csv", today=TODAY)
    assert [p.field for p in problems] == ["month"]  # the month is stored already


def test_figures_by_district_month_and_year(salon_store: PlaceStore) -> None:
    for month, people, aged in (("2026-03", 10, 9), ("2026-04", 12, 10), ("2026-05", 14, 11)):
        add_participation(salon_store, {**MONTH, "month": month, "participants": people,
                                        "participants_65": aged}, user="s", today=TODAY)
    add_participation(salon_store, {**MONTH, "place_id": "p0002", "month": "2026-05",
                                    "participants": 6, "participants_65": "",
                                    "activity": "茶話会", "frequency": "月1回以上"},
                      user="s", today=TODAY)
    records, places = participation_records(salon_store), salon_store.places()
    # made-up 65+ residents per district
    figures = participation_figures(records, places, {"中央": 200, "北": 50, CITY: 250},
                                    basis="age65")
    may = figures.months[(figures.months["district"] == CITY)
                         & (figures.months["month"] == "2026-05")].iloc[0]
    assert (may["places"], may["participants"], may["participants_65"],
            may["places_without_65"]) == (2, 20, 11, 1)
    assert may["share"] == pytest.approx(11 / 250)
    north = figures.district("北").months.iloc[0]
    assert pd.isna(north["share"])  # no 65+ count recorded: the share is not known
    years = figures.district("中央").years
    assert list(years["fiscal_year"]) == [2025, 2026]  # 2026-03 is in 年度 2025
    assert list(years["participants"]) == [10, 14]  # the highest month of the year
    report = place_year_rows(records, places)
    assert list(report[report["fiscal_year"] == 2026]["frequency"]) == ["週1回以上", "月1回以上"]
    bands = figures.district(CITY).by_frequency
    assert bands[bands["fiscal_year"] == 2026].set_index("frequency")["places"].to_dict() == {
        "週1回以上": 1, "月2回以上": 0, "月1回以上": 1, "それ以下": 0}


WRITE = settings(max_examples=25, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@WRITE
@given(values=st.fixed_dictionaries(
    {"place_id": st.sampled_from(["p0001", "p0002", "p0404", " p0001 ", ""]),
     "month": st.one_of(st.sampled_from(["2026-10", "2026年9月", "2030-01", "2026-00"]),
                        st.text(max_size=8)),
     "participants": st.one_of(st.integers(-5, 300), st.text(max_size=5)),
     "participants_65": st.one_of(st.integers(-5, 300), st.none(), st.text(max_size=4)),
     "sessions": st.one_of(st.integers(-1, 100), st.text(max_size=4)),
     "activity": st.sampled_from(["体操", "会食", "散歩", "", "=1+1"]),
     "frequency": st.sampled_from(["週1回以上", "週１回以上", "それ以下", "毎日"])}))
def test_the_write_path_stores_a_whole_checked_record_or_nothing(salon_store: PlaceStore,
                                                                 values: dict) -> None:
    before = participation_records(salon_store, include_retired=True)
    try:
        record = add_participation(salon_store, values, user="fuzz", today=TODAY)
    except LayerError as exc:
        assert all(p.field for p in exc.problems)
        after = participation_records(salon_store, include_retired=True)
        assert len(after) == len(before)  # nothing half-stored
        return
    stored = participation_records(salon_store).set_index("record_id").loc[record["record_id"]]
    assert 0 <= stored["participants"] <= 200  # p0001's 定員 20 × 10, p0002's limit is higher
    assert pd.isna(stored["participants_65"]) or \
        stored["participants_65"] <= stored["participants"]
    assert stored["month"] <= "2026-11"
    retire_participation(salon_store, record["record_id"], expected_version=1, user="fuzz")
