"""Participation records on the staff pages, end to end to the district page and the API.

Runs on a GeoPackage and on PostGIS (``admin_database``). The places are Takasaki's real list;
every participation number and capacity here is made up for the tests.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from admin_helpers import csrf_token, place_fields, place_id_of, post_form, unique

from layers.fields.schedule import japan_today
from layers.store.participation import participation_records
from webmap.web.base import app_state

FORM = "/admin/participation/new"


def _month(back: int = 1) -> str:
    today = japan_today()
    index = today.year * 12 + today.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _new_place(editor, capacity: str = "") -> tuple[str, str]:
    """A new place (its own name: the app is shared by the module's tests); id, district."""
    name = unique("参加テスト")
    place_id = place_id_of(post_form(editor, "/admin/places/new",
                                     place_fields(name, capacity=capacity)))
    return place_id, name


def _record(place_id: str, **overrides: str) -> dict[str, str]:
    # a made-up month
    return {"place_id": place_id, "month": _month(), "participants": "18",
            "participants_65": "15", "sessions": "4", "activity": "体操",
            "frequency": "週1回以上", **overrides}


def _records(app, place_id: str):
    records = participation_records(app_state(app).places)
    return records[records["place_id"] == place_id]


def test_capacity_on_the_place_form(admin_app, editor):
    place_id, _ = _new_place(editor, capacity="２５")
    assert app_state(admin_app).places.place(place_id)["capacity"] == 25
    page = editor.get(f"/admin/places/{place_id}").get_data(as_text=True)
    assert 'id="capacity"' in page and 'value="25"' in page
    response = post_form(editor, f"/admin/places/{place_id}",
                         place_fields("x", capacity="-3", version="1"))
    assert response.status_code == 400 and "定員" in response.get_data(as_text=True)


def test_add_a_month_shows_on_the_district_page_and_api(admin_app, editor):
    place_id, name = _new_place(editor, capacity="20")
    district = app_state(admin_app).maps.study.places.set_index("place_id").loc[
        place_id, "district"]
    public = admin_app.test_client()
    row = f'<th scope="row">{_month()}</th>'  # the month's row of the participation table
    assert row not in public.get(f"/districts/{quote(district)}").get_data(as_text=True)
    public.get(f"/api/participation?district={quote(district)}")  # answers kept, if any
    page = editor.get(FORM).get_data(as_text=True)
    assert "体操" in page and "週1回以上" in page and name in page
    response = post_form(editor, FORM, _record(place_id), token_from=FORM)
    assert response.status_code == 302
    (record,) = _records(admin_app, place_id).itertuples()
    assert (record.participants, record.participants_65) == (18, 15)
    html = public.get(f"/districts/{quote(district)}").get_data(as_text=True)
    assert "通いの場への参加" in html and 'role="img"' in html and row in html
    body = public.get(f"/api/participation?district={quote(district)}").get_json()
    months = {row["month"]: row for row in body["months"]}
    assert months[_month()]["participants"] >= 18 and body["basis"] in ("age65", "total")
    city = public.get("/api/participation").get_json()
    assert city["district"] == "市全体" and city["years"]
    audit = app_state(admin_app).places.audit(record.record_id, layer="participation")
    assert [a["action"] for a in audit] == ["create"] and audit[0]["user"] == "henshu"


def test_bad_form_lists_every_field_and_stores_nothing(admin_app, editor):
    place_id, _ = _new_place(editor, capacity="10")
    response = post_form(editor, FORM, _record(place_id, participants="101",
                                               participants_65="abc", month="2999-01",
                                               frequency="毎日"), token_from=FORM)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for label in ("参加者数", "うち65歳以上", "月", "開催頻度"):
        assert f"<td>{label}</td>" in page, label
    assert "10倍" in page
    assert _records(admin_app, place_id).empty


def test_csrf_and_roles(admin_app, editor, viewer):
    place_id, _ = _new_place(editor)
    assert editor.post(FORM, data=_record(place_id)).status_code == 400  # no CSRF token
    token = csrf_token(viewer, "/admin/participation")
    assert viewer.post(FORM, data={**_record(place_id), "csrf_token": token}).status_code == 403
    assert admin_app.test_client().get("/admin/participation").status_code == 302  # login
    assert _records(admin_app, place_id).empty


def test_edit_with_version_and_conflict(admin_app, editor):
    place_id, _ = _new_place(editor)
    post_form(editor, FORM, _record(place_id), token_from=FORM)
    record_id = _records(admin_app, place_id)["record_id"].iloc[0]
    path = f"/admin/participation/{record_id}"
    assert post_form(editor, path, {**_record(place_id, participants="20"), "version": "1"},
                     token_from=path).status_code == 302
    stale = post_form(editor, path, {**_record(place_id, participants="21"), "version": "1"},
                      token_from=path)
    assert stale.status_code == 409
    assert int(_records(admin_app, place_id)["participants"].iloc[0]) == 20


def _upload(client, content: bytes, filename: str = "参加.csv"):
    return post_form(client, "/admin/participation/import",
                     {"file": (io.BytesIO(content), filename)},
                     token_from="/admin/participation/import",
                     content_type="multipart/form-data")


def test_csv_import_preview_confirm_and_export(admin_app, editor):
    place_id, _ = _new_place(editor, capacity="10")
    header = "居場所ID,月,参加者数,うち65歳以上,開催回数,主な活動,開催頻度\r\n"
    bad = (f"{place_id},{_month(2)},12,10,3,会食,月2回以上\r\n"
           f"{place_id},{_month(2)},200,10,3,会食,月2回以上\r\n"
           "p9999,2999-01,-1,,x,散歩,毎日\r\n")
    response = _upload(editor, (header + bad).encode("cp932"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "何も保存していません" in page
    assert "<td>3</td>" in page and "<td>4</td>" in page  # rows 3 and 4, by row
    assert _records(admin_app, place_id).empty
    good = (f"{place_id},{_month(2)},9,8,3,会食,月2回以上\r\n"
            f"{place_id},{_month(3)},=1+1,,3,会食,月2回以上\r\n")
    response = _upload(editor, (header + good).encode("utf-8-sig"))
    assert response.status_code == 400  # a formula is not a number
    response = _upload(editor, (header + good.replace("=1+1", "7")).encode("utf-8-sig"))
    assert response.status_code == 200 and "2件を取り込めます" in response.get_data(as_text=True)
    confirm = post_form(editor, "/admin/participation/import/confirm", {},
                        token_from="/admin/participation")
    assert confirm.status_code == 302
    assert sorted(_records(admin_app, place_id)["participants"].astype(int)) == [7, 9]

    exported = editor.get("/admin/participation/export.csv")
    assert exported.status_code == 200 and exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert {r["month"] for r in rows if r["place_id"] == place_id} == {_month(2), _month(3)}
    year = int(_month(2)[:4]) if int(_month(2)[5:]) >= 4 else int(_month(2)[:4]) - 1
    report = editor.get(f"/admin/participation/report.csv?year={year}")
    table = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))
    assert table[0] == ["年度", "地区", "通いの場の名称", "主な活動内容", "開催頻度", "参加実人数",
                        "うち65歳以上", "開催回数（年）"]
    assert editor.get("/admin/participation/report.csv?year=abc").status_code == 400


def test_planner_shows_places_over_capacity(admin_app, editor):
    study = app_state(admin_app).maps.study
    crowded = study.population.sort_values("age65", ascending=False).iloc[0]
    point = crowded.geometry.representative_point()
    name = unique("定員テスト")
    # a place of 1 seat (made up) at the 町丁 with the most older residents
    post_form(editor, "/admin/places/new", place_fields(
        name, capacity="1", lon=f"{point.x:.7f}", lat=f"{point.y:.7f}"))
    public = admin_app.test_client()
    page = public.get("/plan").get_data(as_text=True)
    assert "定員に対して徒歩圏の人が多い居場所" in page and name in page
    assert "prefer=relieve" in page
    body = public.get("/api/suggestions?prefer=relieve").get_json()
    assert body["prefer"] == "relieve" and body["features"]
    assert all("relieved" in f["properties"] for f in body["features"])
    ranks = [f["properties"]["rank"] for f in body["features"]]
    assert ranks == list(range(1, len(ranks) + 1))
    assert public.get("/api/suggestions?prefer=nearest").status_code == 400
