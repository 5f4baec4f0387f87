"""Staff login, roles, CSRF, the login rate limit, cookies, keys and security headers.

Runs on a GeoPackage and on PostGIS (``admin_database``).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from admin_helpers import ACCOUNTS, PASSWORD, csrf_token, login, place_fields, post_form, unique
from flask import Flask

from webmap.web.admin.login import LOGIN_FAILURE_LIMIT
from webmap.web.auth import User, current_user, has_role, login_required
from webmap.web.base import app_state


def test_pages_need_a_login(admin_app):
    client = admin_app.test_client()
    response = client.get("/admin/places?q=a")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/login?next=%2Fadmin%2Fplaces%3Fq%3Da"


def test_login_and_logout(admin_app):
    client = admin_app.test_client()
    response = login(client, "editor")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/places"
    page = client.get("/admin/places").get_data(as_text=True)
    assert "henshu（編集）" in page and "居場所の一覧" in page
    response = post_form(client, "/admin/logout", {})
    assert response.status_code == 302
    assert client.get("/admin/places").status_code == 302


def test_login_goes_on_to_next_but_never_off_site(admin_app):
    client = admin_app.test_client()
    token = csrf_token(client)
    for target, expected in [("/admin/routes", "/admin/routes"),
                             ("https://evil.example/", "/admin/places"),
                             ("//evil.example/x", "/admin/places"),
                             ("/\\evil.example", "/admin/places")]:
        response = client.post("/admin/login", data={"name": "miru", "password": PASSWORD,
                                                     "csrf_token": token, "next": target})
        assert response.headers["Location"] == expected
        token = csrf_token(client, "/admin/routes")  # a login starts a new session


def test_wrong_password_is_refused(admin_app):
    client = admin_app.test_client()
    response = login(client, "editor", password="wrong password!")
    assert response.status_code == 401
    assert "ユーザー名またはパスワードが違います" in response.get_data(as_text=True)
    assert client.get("/admin/places").status_code == 302


def test_disabled_account_is_logged_out(admin_app):
    users = app_state(admin_app).users
    name = unique("temp")
    users.create_user(name, PASSWORD, role="editor")
    client = admin_app.test_client()
    assert login(client, name).status_code == 302
    assert client.get("/admin/places").status_code == 200
    users.disable(name)
    assert client.get("/admin/places").status_code == 302
    assert login(client, name).status_code == 401


def test_viewer_cannot_edit(admin_app, viewer):
    assert viewer.get("/admin/places").status_code == 200
    assert viewer.get("/admin/places/new").status_code == 403
    assert post_form(viewer, "/admin/places/new", place_fields(unique("見"))).status_code == 403
    page = viewer.get("/admin/places/p0001").get_data(as_text=True)
    assert "閲覧の権限では変更できません" in page and "<fieldset disabled" in page
    before = app_state(admin_app).maps.study.places
    response = post_form(viewer, "/admin/places/p0001", {"version": "1", "notes": "x"})
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)
    assert app_state(admin_app).maps.study.places is before
    assert viewer.get("/admin/import").status_code == 403
    assert viewer.get("/admin/users").status_code == 403
    assert viewer.get("/admin/audit").status_code == 200


def test_admin_sees_the_accounts(admin_client):
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert all(name in page for name in ACCOUNTS.values())
    assert "管理者" in page


def test_post_without_csrf_token_is_refused(admin_app, editor):
    name = unique("CSRF")
    response = editor.post("/admin/places/new", data=place_fields(name))
    assert response.status_code == 400
    assert "フォームの有効期限が切れたか" in response.get_data(as_text=True)
    response = editor.post("/admin/places/new",
                           data={**place_fields(name), "csrf_token": "forged"})
    assert response.status_code == 400
    assert editor.get("/admin/places?q=" + name).get_data(as_text=True).count(name) == 1
    # the login form and logout are protected too
    assert admin_app.test_client().post("/admin/login", data={
        "name": "henshu", "password": PASSWORD}).status_code == 400
    assert editor.post("/admin/logout").status_code == 400


def test_json_post_takes_the_token_from_the_header(admin_app, editor):
    token = csrf_token(editor, "/admin/places")
    response = editor.post("/admin/places/new", data=place_fields(unique("H")),
                           headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_public_what_if_is_exempt(admin_app):
    response = admin_app.test_client().post("/api/what-if", json={"remove": "p0001"})
    assert response.status_code == 200


def test_rate_limit_after_repeated_failures(admin_app):
    address = "10.9.0.1"
    client = admin_app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for _ in range(LOGIN_FAILURE_LIMIT):
        assert login(client, "admin", password="not the password").status_code == 401
    response = login(client, "admin")  # even the right password now waits
    assert response.status_code == 429
    assert "しばらくログインできません" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    other = admin_app.test_client()  # another address is not affected
    other.environ_base["REMOTE_ADDR"] = "10.8.0.1"
    assert login(other, "admin").status_code == 302


def test_failures_are_stored_per_name_and_address(admin_app):
    from datetime import timedelta

    users = app_state(admin_app).users
    name = unique("rl")
    for _ in range(3):
        users.record_failure(name, "192.0.2.7")
    assert users.recent_failures(name, "192.0.2.7", window=timedelta(minutes=15)) == 3
    assert users.recent_failures(name, "192.0.2.8", window=timedelta(minutes=15)) == 0
    assert users.recent_failures(name, "192.0.2.7", window=timedelta(0)) == 0


@pytest.mark.parametrize("path", ["/", "/admin/login", "/api/places", "/districts",
                                  "/static/site.css", "/no/such/page"])
def test_security_headers_on_every_response(admin_app, path):
    response = admin_app.test_client().get(path)
    response.close()  # a static file is streamed
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Permissions-Policy"] == "geolocation=(self)"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "https://cyberjapandata.gsi.go.jp" in policy
    if path.startswith("/admin"):
        assert "script-src 'self';" in policy
        assert headers["Cache-Control"] == "no-store"
    else:
        assert "script-src 'self' 'unsafe-inline'" in policy  # the folium map pages


def test_session_cookie_flags(admin_app):
    client = admin_app.test_client()
    response = login(client, "viewer")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert admin_app.config["SESSION_COOKIE_SECURE"] is False  # TESTING over http


def test_production_defaults(tmp_path, monkeypatch):
    """Outside tests: Secure cookies, and a random key kept beside the database (0600)."""
    from webmap.web.app import create_app

    monkeypatch.delenv("IBASHO_SECRET_KEY", raising=False)
    database = tmp_path / "site.gpkg"
    app = create_app({"DATABASE": str(database)})
    key_file = tmp_path / "ibasho-secret.key"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= 64
    again = create_app({"DATABASE": str(database), "SESSION_COOKIE_SECURE": False})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]  # sessions survive restarts
    assert again.config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("IBASHO_SECRET_KEY", "k" * 40)
    assert create_app({"DATABASE": str(database)}).config["SECRET_KEY"] == "k" * 40


def test_no_hard_coded_secret_key():
    root = Path(__file__).resolve().parents[4] / "webmap"
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "SECRET_KEY=\"" not in text and "SECRET_KEY = \"" not in text, path


def test_auth_contract_for_other_pages():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x" * 40, TESTING=True)

    @app.get("/plan-ish")
    @login_required("editor")
    def plan_ish():
        return "ok"

    @app.get("/api/plan-ish")
    @login_required()
    def api_plan_ish():
        return {"ok": True}

    client = app.test_client()
    assert client.get("/plan-ish").headers["Location"].startswith("/admin/login?next=")
    assert client.get("/api/plan-ish").status_code == 401
    with app.test_request_context():
        assert current_user() is None
    assert has_role(User("a", "admin"), "editor") and not has_role(User("a", "viewer"), "editor")
    with pytest.raises(ValueError, match="Unknown role"):
        login_required("owner")
