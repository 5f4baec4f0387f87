"""Who is logged in, what they may do, and CSRF protection for every form.

The contract other pages build on (keep it stable):

- :func:`current_user` → :class:`User` (``name``, ``role``) or None;
- :func:`login_required` (``role="viewer"``, ``"editor"`` or ``"admin"``): an HTML request
  without a login is sent to ``/admin/login?next=…``, a JSON request (``/api/…``, a JSON body
  or an ``Accept: application/json``) gets 401 ``{"ok": false, …}``; a login with too small a
  role gets 403;
- :func:`has_role` (roles are ordered: viewer < editor < admin);
- :data:`csrf` (Flask-WTF ``CSRFProtect``), set up for the whole app by :func:`init_auth`:
  every POST/PUT/PATCH/DELETE needs the token, from a form field ``csrf_token`` (templates call
  ``{{ csrf_token() }}``) or the ``X-CSRFToken`` header (JSON posts); a missing or wrong token
  is a 400. The public ``POST /api/what-if`` changes nothing and is exempt.

Accounts and sessions live in the database (:class:`layers.store.users.UserStore`, the
app state's :attr:`~webmap.web.state.AppState.users`). :func:`login_user` checks the password
and starts a server-side session; the signed cookie keeps only that session's random token.
Every request looks the token up (one indexed query, with the account): the session is good
while its account is active and the login is younger than ``PERMANENT_SESSION_LIFETIME`` (8 hours,
:mod:`webmap.web.security`), however recently it was used. :func:`logout_user`, a new password, a
new role and ``ibasho users disable`` end every session of the account at once, in every
process on the database, so a copied cookie is worthless afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import Flask, current_app, g, redirect, request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import Forbidden, Unauthorized

from layers.store.users import ROLES
from webmap.web.base import app_state

logger = logging.getLogger(__name__)
__all__ = [
    "ROLES",
    "SESSION_KEY",
    "User",
    "csrf",
    "current_user",
    "has_role",
    "init_auth",
    "login_required",
    "login_user",
    "logout_user",
]

#: The session key holding the token of the server-side session.
SESSION_KEY = "session_token"

#: Where HTML requests without a login are sent.
LOGIN_PATH = "/admin/login"

#: CSRF protection for the whole app (:func:`init_auth` installs it).
csrf = CSRFProtect()

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class User:
    """A logged-in staff member."""

    name: str
    role: str

    @property
    def can_edit(self) -> bool:
        """Whether the user may change places and routes (editor or admin)."""
        return has_role(self, "editor")


def has_role(user: User | None, role: str) -> bool:
    """
    Whether ``user`` has ``role`` or a larger one (viewer < editor < admin).

    Raises
    ------
    ValueError
        If ``role`` is not one of :data:`ROLES`.

    Examples
    --------
    >>> has_role(User("sato", "editor"), "viewer"), has_role(User("sato", "editor"), "admin")
    (True, False)
    >>> has_role(None, "viewer")
    False
    """
    if role not in ROLES:
        msg = f"Unknown role {role!r}; use one of: {', '.join(ROLES)}."
        raise ValueError(msg)
    if user is None or user.role not in ROLES:
        return False
    return ROLES.index(user.role) >= ROLES.index(role)


def current_user() -> User | None:
    """
    The user logged in on this request: None without a session, or when its session has
    ended (logout, account change, lifetime) or its account is disabled.
    """
    if "ibasho_user" in g:
        return g.ibasho_user
    user = None
    token = session.get(SESSION_KEY)
    if token is not None:
        account = app_state().users.session_account(
            token, lifetime=current_app.permanent_session_lifetime)
        if account is not None:
            user = User(name=account.name, role=account.role)
        else:
            session.pop(SESSION_KEY, None)
    g.ibasho_user = user
    return user


def login_user(name: str, password: str) -> User | None:
    """
    Check ``password`` and start a session for the account ``name``: the user, or None for
    a wrong name or password or a disabled account.

    The session is a fresh one (nothing from before the login is kept, the CSRF token
    neither); the cookie holds only the new session's token.

    """
    started = app_state().users.log_in(name, password,
                                       lifetime=current_app.permanent_session_lifetime)
    if started is None:
        return None
    account, token = started
    session.clear()
    session[SESSION_KEY] = token
    session.permanent = True
    user = User(name=account.name, role=account.role)
    g.ibasho_user = user
    logger.info("%s logged in (%s)", user.name, user.role)
    return user


def logout_user() -> None:
    """End every session of the logged-in account (in every browser) and clear this one."""
    user = current_user()
    session.clear()
    g.ibasho_user = None
    if user is not None:
        app_state().users.end_sessions(user.name)
        logger.info("%s logged out", user.name)


def _wants_json() -> bool:
    if request.path == "/api" or request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def login_required(role: str = "viewer") -> Callable[[_F], _F]:
    """
    A view decorator: the view runs only for a logged-in user with at least ``role``.

    Without a login, HTML requests are redirected to ``/admin/login?next=<this page>`` and
    JSON requests get 401; with too small a role the answer is 403.

    Examples
    --------
    >>> @login_required("editor")  # doctest: +SKIP
    ... def edit_place(place_id): ...
    """
    if role not in ROLES:
        msg = f"Unknown role {role!r}; use one of: {', '.join(ROLES)}."
        raise ValueError(msg)

    def decorate(view: _F) -> _F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if _wants_json():
                    raise Unauthorized(description="ログインが必要です。 Log in first.")
                target = request.full_path.rstrip("?")
                return redirect(f"{LOGIN_PATH}?{urlencode({'next': target})}")
            if not has_role(user, role):
                raise Forbidden(description=f"この操作には「{role}」以上の権限が必要です。 "
                                            f"This needs the {role} role.")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def init_auth(app: Flask) -> None:
    """
    Install CSRF protection and make :func:`current_user` available in templates.

    The public ``POST /api/what-if`` (it answers a question and stores nothing) is exempt.
    """
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid as long as the session
    csrf.init_app(app)
    # by name: works before or after the blueprint is registered
    csrf.exempt("webmap.web.public.plan_api.api_what_if")
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["has_role"] = has_role
