"""Adding, editing and retiring places on the staff pages, end to end to the public map.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

from html import escape

from admin_helpers import (
    csrf_token,
    place_fields,
    place_id_of,
    post_form,
    public_place,
    unique,
)

from webmap.web.base import app_state

EVIL = "<script>alert(1)</script>"


def test_add_edit_retire_reaches_the_public_map(admin_app, editor):
    live = app_state(admin_app).live
    public = admin_app.test_client()
    name = unique("サロンあさひ")
    refreshes = live.refreshes
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(name)))
    assert live.refreshes == refreshes + 1  # recomputed once, in the request that changed it
    feature = public_place(public, name)
    assert feature is not None and feature["properties"]["place_id"] == place_id
    assert feature["geometry"]["coordinates"] == [139.0035, 36.3219]
    assert feature["properties"]["district"]  # filled from the position, as load_study_area does
    assert name in public.get("/").get_data(as_text=True)
    health = public.get("/api/health").get_json()
    assert health["layers"]["places"] == len(app_state(admin_app).maps.study.places)

    page = editor.get(f"/admin/places/{place_id}").get_data(as_text=True)
    assert 'name="version" value="1"' in page and "サロン" in page
    response = post_form(editor, f"/admin/places/{place_id}",
                         place_fields(name, schedule="毎週金曜 13:00～", lon="139.01",
                                      lat="36.33", version="1"))
    assert response.status_code == 302
    assert "保存しました" in editor.get(response.headers["Location"]).get_data(as_text=True)
    feature = public_place(public, name)
    assert feature["properties"]["schedule"] == "毎週金曜 13:00～"
    assert feature["geometry"]["coordinates"] == [139.01, 36.33]

    response = post_form(editor, f"/admin/places/{place_id}/retire", {"version": "2"})
    assert response.status_code == 302
    assert public_place(public, name) is None
    listing = editor.get("/admin/places?retired=1&q=" + name).get_data(as_text=True)
    assert "廃止済み" in listing
    store = app_state(admin_app).places
    assert [e["action"] for e in store.audit(place_id)] == ["create", "update", "retire"]


def test_form_problems_are_listed_and_nothing_is_stored(admin_app, editor):
    name = unique("問題")
    places_before = len(app_state(admin_app).maps.study.places)
    response = post_form(editor, "/admin/places/new",
                         place_fields(name, category="喫茶店", lon="abc"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "入力に問題があります" in page
    assert "unknown category 喫茶店" in page and "&#39;abc&#39; is not a number" in page
    assert "種別" in page and "経度" in page  # fields named in Japanese
    assert f'value="{name}"' in page  # what was typed is kept
    assert len(app_state(admin_app).maps.study.places) == places_before
    response = post_form(editor, "/admin/places/new", place_fields(name, lon="150.0"))
    assert response.status_code == 400  # outside the study area


def test_a_malicious_name_is_shown_as_text(admin_app, editor):
    public = admin_app.test_client()
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(EVIL)))
    listing = editor.get("/admin/places").get_data(as_text=True)
    assert EVIL not in listing and escape(EVIL) in listing
    form = editor.get(f"/admin/places/{place_id}").get_data(as_text=True)
    assert EVIL not in form and escape(EVIL) in form
    assert public_place(public, EVIL)["properties"]["name"] == EVIL  # JSON keeps the text
    city = public.get("/").get_data(as_text=True)
    assert EVIL not in city and "\\u003cscript\\u003ealert(1)" in city
    audit = editor.get("/admin/audit?id=" + place_id).get_data(as_text=True)
    assert EVIL not in audit and escape(EVIL) in audit
    post_form(editor, f"/admin/places/{place_id}/retire", {"version": "1"})


def test_version_conflict_shows_the_message_and_current_values(admin_app, editor):
    other = admin_app.test_client()
    from admin_helpers import login

    login(other, "admin")
    name = unique("競合")
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(name)))
    # both open the form at version 1; the other saves first
    response = post_form(other, f"/admin/places/{place_id}",
                         place_fields(name, notes="先に保存", version="1"))
    assert response.status_code == 302
    response = post_form(editor, f"/admin/places/{place_id}",
                         place_fields(name, notes="後から保存", version="1"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "この居場所は他の人が先に更新しました（版 1 → 2）" in page
    assert "先に保存" in page  # the current values fill the form
    assert 'name="version" value="2"' in page
    assert "あなたの入力（まだ保存されていません）" in page and "後から保存" in page
    store = app_state(admin_app).places
    assert store.place(place_id)["notes"] == "先に保存"  # nothing overwritten


def test_audit_page_lists_who_when_before_after(admin_app, editor, viewer):
    name = unique("履歴")
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(name)))
    post_form(editor, f"/admin/places/{place_id}",
              place_fields(name, contact="027-000-0000", version="1"))
    page = viewer.get("/admin/audit?id=" + place_id).get_data(as_text=True)
    assert page.count("henshu") >= 2
    assert "追加" in page and "変更" in page and "027-000-0000" in page
    assert "変更履歴" in viewer.get("/admin/audit").get_data(as_text=True)
    entries = app_state(admin_app).places.audit(place_id)
    assert entries[-1]["user"] == "henshu"
    assert entries[-1]["before"]["contact"] == "" and entries[-1]["after"]["contact"] \
        == "027-000-0000"


def test_unknown_and_malformed_ids(editor):
    assert editor.get("/admin/places/p9999999").status_code == 404
    assert editor.get("/admin/places/..%2F..%2Fetc").status_code == 404
    assert post_form(editor, "/admin/places/p0001", {"name": "x"}).status_code == 400  # no version


def test_saving_unchanged_recomputes_nothing(admin_app, editor):
    live = app_state(admin_app).live
    name = unique("不変")
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(name)))
    refreshes = live.refreshes
    response = post_form(editor, f"/admin/places/{place_id}", place_fields(name, version="1"))
    assert response.status_code == 302 and live.refreshes == refreshes


def test_csrf_token_is_on_every_form(editor):
    for path in ("/admin/places/new", "/admin/places/p0001", "/admin/import",
                 "/admin/routes/new"):
        assert csrf_token(editor, path)
