"""Staff see how a schedule is read before residents do: in the place form (as it is typed,
through ``POST /admin/schedule-reading``) and in the import preview.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

import io
import re
from html import escape

from admin_helpers import csrf_token, place_fields, place_id_of, post_form, unique

LABEL = re.compile(r"^\d{1,2}月\d{1,2}日（[月火水木金土日]）")


def reading(client, text, *, token: str | None = None):
    token = csrf_token(client, "/admin/places") if token is None else token
    return client.post("/admin/schedule-reading", json={"schedule": text},
                       headers={"X-CSRFToken": token})


def test_a_schedule_read_as_dates_shows_the_next_five(admin_app, editor):
    body = reading(editor, "毎週水曜日 10時～12時").get_json()
    assert body["ok"] is True and body["status"] == "read"
    assert body["headline"] == "日付として読めます。次の5回："
    assert len(body["lines"]) == 5
    assert all(LABEL.match(line) and "（水）10:00～12:00" in line for line in body["lines"])


def test_a_declined_schedule_says_why(admin_app, viewer):
    body = reading(viewer, "毎月第4火曜日（予定）").get_json()
    assert body["status"] == "declined"
    assert "住民には原文と「日程は主催者にご確認ください」を表示します" in body["headline"]
    assert body["lines"] == ["「予定」：日程が変わることがあるため、日付を出しません"]
    partial = reading(viewer, "毎週金曜日 1時半から4時まで").get_json()
    assert partial["status"] == "partial" and len(partial["lines"]) == 6
    assert partial["lines"][-1].startswith("時刻「1時半から4時まで」が午前か午後か分かりません")
    assert reading(viewer, "不定期").get_json()["status"] == "irregular"
    assert reading(viewer, "").get_json() == {
        "ok": True, "status": "empty", "lines": [],
        "headline": "日程が空です。住民には「日程の情報がありません」と表示します。"}


def test_the_endpoint_needs_a_login_the_token_and_a_short_text(admin_app, editor):
    anonymous = admin_app.test_client()
    answer = reading(anonymous, "毎週水曜日", token=csrf_token(anonymous, "/admin/login"))
    assert answer.status_code == 401
    no_token = editor.post("/admin/schedule-reading", json={"schedule": "毎週水曜日"})
    assert no_token.status_code == 400
    too_long = reading(editor, "毎週水曜日" * 101)
    assert too_long.status_code == 400
    assert too_long.get_json() == {"ok": False, "status": 400, "error": "日程は500文字までです。"}
    token = csrf_token(editor, "/admin/places")
    for bad in ({"schedule": 5}, {"text": "毎週水曜日"}, ["毎週水曜日"]):
        answer = editor.post("/admin/schedule-reading", json=bad, headers={"X-CSRFToken": token})
        assert answer.status_code == 400 and answer.get_json()["ok"] is False


def test_the_form_shows_the_reading_of_the_stored_schedule(admin_app, editor):
    evil = "<script>alert(1)</script> 毎週水曜日"
    place_id = place_id_of(post_form(editor, "/admin/places/new",
                                     place_fields(unique("日程の読み"), schedule=evil)))
    page = editor.get(f"/admin/places/{place_id}").get_data(as_text=True)
    box = page[page.index('id="schedule-reading"'):]
    box = box[:box.index("</div>")]
    assert "schedule-declined" in page and "日付にしません" in box
    assert escape("読めない部分「<script>alert(1)</script>」があります", quote=False) in box
    assert "<script>alert" not in box
    assert 'src="/static/admin/schedule-reading.js?v=' in page


def test_the_import_preview_lists_schedules_not_read_as_dates(admin_app, editor):
    names = [unique("予定の会"), unique("毎週の会")]
    content = ("name,category,address,lon,lat,position_source,schedule\n"
               f"{names[0]},サロン,高崎市,139.00,36.32,exact: 地図,原則第2土曜日\n"
               f"{names[1]},サロン,高崎市,139.01,36.32,exact: 地図,毎週水曜日 10時～12時\n")
    response = post_form(editor, "/admin/import",
                         {"file": (io.BytesIO(content.encode("utf-8")), "日程.csv")},
                         token_from="/admin/import", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "2件を取り込めます" in page
    assert ("日程「原則第2土曜日」は日付にしません："
            "「原則」：日程が変わることがあるため、日付を出しません") in page
    assert "<td>2</td>" in page and "毎週水曜日 10時～12時」は" not in page
    post_form(editor, "/admin/import/cancel", {}, token_from="/admin/import")
