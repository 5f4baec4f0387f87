"""Concurrent edits of one place through the staff pages lose no change.

Threads read the edit form, append their token to the notes and save with the version they
read; a 409 (someone saved first) makes them read again and retry. Every token must end up in
the notes, and the version must count every save. Runs on a GeoPackage and on PostGIS.
"""

from __future__ import annotations

import html
import re
import threading

from admin_helpers import csrf_token, login, place_fields, place_id_of, post_form, unique

from webmap.web.base import app_state

THREADS = 4
EDITS_PER_THREAD = 3


def read_form(client, place_id: str) -> tuple[int, dict[str, str], str]:
    page = client.get(f"/admin/places/{place_id}").get_data(as_text=True)
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    notes = html.unescape(re.search(r'<textarea id="notes"[^>]*>(.*?)</textarea>', page,
                                    re.S).group(1))
    return version, {"notes": notes}, csrf_token(client, f"/admin/places/{place_id}")


def test_concurrent_read_modify_write_loses_nothing(admin_app, editor):
    name = unique("同時編集")
    place_id = place_id_of(post_form(editor, "/admin/places/new", place_fields(name)))
    conflicts: list[int] = []
    errors: list[str] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        client = admin_app.test_client()
        login(client, "editor")
        start.wait()
        for edit in range(EDITS_PER_THREAD):
            token_text = f"t{number}-{edit}"
            for _attempt in range(50):
                version, values, token = read_form(client, place_id)
                notes = (values["notes"] + " " + token_text).strip()
                response = client.post(f"/admin/places/{place_id}", data={
                    **place_fields(name, notes=notes, version=str(version)),
                    "csrf_token": token})
                if response.status_code == 302:
                    break
                if response.status_code != 409:
                    errors.append(f"{token_text}: {response.status_code}")
                    return
                conflicts.append(number)
            else:
                errors.append(f"{token_text}: gave up")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors
    store = app_state(admin_app).places
    place = store.place(place_id)
    tokens = place["notes"].split()
    expected = {f"t{n}-{e}" for n in range(THREADS) for e in range(EDITS_PER_THREAD)}
    assert sorted(tokens) == sorted(expected)  # every change kept, none twice
    assert place["version"] == 1 + THREADS * EDITS_PER_THREAD
    updates = [e for e in store.audit(place_id) if e["action"] == "update"]
    assert len(updates) == THREADS * EDITS_PER_THREAD
    # the public data shows the last state
    public = admin_app.test_client().get("/api/places").get_json()
    mine = next(f for f in public["features"] if f["properties"]["place_id"] == place_id)
    assert sorted(mine["properties"]["notes"].split()) == sorted(expected)
