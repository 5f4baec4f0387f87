"""Staff accounts, their sessions and failed logins, in the same database as the places.

Passwords are kept only as salted hashes (``werkzeug.security``, scrypt); a password is never
stored, logged or returned.

Sessions are server-side (``user_sessions``, schema version 4): a login gets a random token
(the browser's cookie holds it, the database only its SHA-256) and its start time. A session
is good while its account is active and it is younger than the lifetime, counted from the
login, not from the last request. Logging out, a new password, a new role and disabling end
every session of the account at once, for every process on the database.

Login attempts are recorded in ``login_failures`` *before* the password is checked, in the
same transaction that counts the recent ones (:meth:`UserStore.reserve_login_attempt`), so
however many arrive at once no more than the limit are checked; a good login deletes them.
The limit thus holds across the threads and processes of a server (and across restarts).
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from layers.fields.schema import MAX_CHARS
from layers.store.database import Transaction
from layers.store.migrations import MigratedStore

logger = logging.getLogger(__name__)
__all__ = [
    "MAX_NAME_CHARS",
    "MIN_PASSWORD_LENGTH",
    "ROLES",
    "Account",
    "UserError",
    "UserStore",
]

#: Roles, from least to most allowed: viewer (read the staff pages), editor (change places and
#: routes), admin (also see the audit log of everyone).
ROLES = ("viewer", "editor", "admin")

#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 10

#: How passwords are hashed (werkzeug's scrypt: salted and memory-hard).
PASSWORD_METHOD = "scrypt"

#: The longest user name (:data:`layers.fields.schema.MAX_CHARS`).
MAX_NAME_CHARS = MAX_CHARS["users"]["name"]

_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_NAME_CHARS - 1}}}")

# What a session token looks like (``secrets.token_urlsafe(32)``: 43 of these characters).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")

_ACCOUNT_COLUMNS = "name, password_hash, role, created_at, disabled_at"

# A hash of a random password, checked when the name is unknown, so that a wrong name takes
# as long as a wrong password (no guessing names by timing).
_DUMMY_HASH = generate_password_hash("not a password: unknown user", method=PASSWORD_METHOD)


class UserError(ValueError):
    """An account cannot be made or changed as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class Account:
    """One staff account (without its password hash)."""

    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.disabled_at is None


def _attempt_key(text: object, *, length: int) -> str:
    """A name or address as a login attempt is recorded: printable characters, cut short."""
    return "".join(c for c in str(text) if c.isprintable())[:length]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
        too_long = isinstance(name, str) and len(name.strip()) > MAX_NAME_CHARS
        shown = f"{name[:20]!r}… ({len(name.strip()):,} characters)" if too_long else repr(name)
        msg = (f"The user name {shown} is not allowed: use 1-{MAX_NAME_CHARS} letters, "
               "digits, '.', '_', '-' or '@', starting with a letter or digit (e.g. sato or "
               "k.sato).")
        raise UserError(msg)
    return name.strip()


def _check_role(role: str) -> str:
    if role not in ROLES:
        msg = f"Unknown role {role!r}; use one of: {', '.join(ROLES)}."
        raise UserError(msg)
    return role


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        msg = f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        raise UserError(msg)
    return password


class UserStore(MigratedStore):
    """
    Staff accounts, sessions and failed logins over a :class:`~layers.store.database.Database`.

    Every method opens its own transaction, so one store may be shared by the threads of a
    web server.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from layers.store.database import open_database
    >>> users = UserStore(open_database(Path(tempfile.mkdtemp()) / "ibasho.gpkg"))
    >>> _ = users.migrate()
    >>> users.create_user("sato", "correct horse battery", role="editor").role
    'editor'
    >>> users.verify("sato", "correct horse battery").name, users.verify("sato", "wrong")
    ('sato', None)

    A login is a session (:meth:`log_in`), found by its token until it ends:

    >>> account, token = users.log_in("sato", "correct horse battery",
    ...                               lifetime=timedelta(hours=8))
    >>> users.session_account(token, lifetime=timedelta(hours=8)).name
    'sato'
    >>> users.end_sessions("sato"), users.session_account(token, lifetime=timedelta(hours=8))
    (1, None)
    """

    # the users tables came with version 2, sessions with 4
    min_version = 4
    purpose = "the staff accounts"

    def _account(self, row: dict | None) -> Account:
        assert row is not None  # read back in the transaction that found or wrote it
        created_at = self.database.timestamp_value(row["created_at"])
        assert created_at is not None  # a NOT NULL column
        return Account(name=row["name"], role=row["role"], created_at=created_at,
                       disabled_at=self.database.timestamp_value(row["disabled_at"]))

    def _row(self, tx: Transaction, name: str, *, lock: bool = False) -> dict | None:
        lock_sql = self.database.for_update if lock else ""
        return tx.one(f"SELECT {_ACCOUNT_COLUMNS} FROM users WHERE name = :name{lock_sql}",
                      {"name": name})

    # -- accounts ------------------------------------------------------------------------

    def create_user(self, name: str, password: str, *, role: str = "viewer") -> Account:
        """
        Add an account.

        Raises
        ------
        UserError
            If the name is taken or not allowed, the role unknown or the password too short.
        """
        name, role = _check_name(name), _check_role(role)
        password_hash = generate_password_hash(_check_password(password),
                                               method=PASSWORD_METHOD)
        now = datetime.now(UTC)
        with self.database.transaction() as tx:
            self.database.lock_table(tx, "users")
            if self._row(tx, name) is not None:
                msg = (f"There is already a user {name!r}. Choose another name, or change "
                       "the password with `ibasho users passwd`.")
                raise UserError(msg)
            tx.execute("INSERT INTO users (name, password_hash, role, created_at) VALUES "
                       "(:name, :hash, :role, :now)",
                       {"name": name, "hash": password_hash, "role": role,
                        "now": self.database.timestamp_param(now)})
            row = self._row(tx, name)
        logger.info("Created user %s (%s) in %s", name, role, self.database.display_name)
        return self._account(row)

    def get(self, name: str) -> Account | None:
        """The account called ``name`` (disabled ones too), or None."""
        if not isinstance(name, str):
            return None
        with self.database.transaction(write=False) as tx:
            row = self._row(tx, name)
        return None if row is None else self._account(row)

    def users(self) -> list[Account]:
        """Every account, by name."""
        with self.database.transaction(write=False) as tx:
            rows = tx.rows(f"SELECT {_ACCOUNT_COLUMNS} FROM users ORDER BY name")
        return [self._account(row) for row in rows]

    def _update(self, name: str, sql: str, params: dict, *, end_sessions: bool) -> Account:
        with self.database.transaction() as tx:
            if self._row(tx, name, lock=True) is None:
                msg = f"There is no user {name!r}; see `ibasho users list`."
                raise UserError(msg)
            tx.execute(f"UPDATE users SET {sql} WHERE name = :name", {**params, "name": name})
            if end_sessions:
                ended = tx.execute("DELETE FROM user_sessions WHERE user_name = :name",
                                   {"name": name})
                logger.info("Ended %d session(s) of %s", max(ended, 0), name)
            row = self._row(tx, name)
        return self._account(row)

    def set_password(self, name: str, password: str) -> Account:
        """Replace the password of ``name``; every session of ``name`` ends."""
        password_hash = generate_password_hash(_check_password(password),
                                               method=PASSWORD_METHOD)
        account = self._update(name, "password_hash = :hash", {"hash": password_hash},
                               end_sessions=True)
        logger.info("Changed the password of %s", name)
        return account

    def set_role(self, name: str, role: str) -> Account:
        """Give ``name`` another role; every session of ``name`` ends."""
        account = self._update(name, "role = :role", {"role": _check_role(role)},
                               end_sessions=True)
        logger.info("%s is now %s", name, role)
        return account

    def disable(self, name: str) -> Account:
        """
        Disable an account: it can no longer log in and every session of it ends (it is kept
        for the audit log).
        """
        now = self.database.timestamp_param(datetime.now(UTC))
        account = self._update(name, "disabled_at = :now", {"now": now}, end_sessions=True)
        logger.info("Disabled user %s", name)
        return account

    def enable(self, name: str) -> Account:
        """Enable a disabled account again (its old sessions stay ended)."""
        return self._update(name, "disabled_at = NULL", {}, end_sessions=False)

    def verify(self, name: str, password: str) -> Account | None:
        """
        The account if ``password`` is right for the active account ``name``, else None.

        A wrong name, a wrong password and a disabled account all give None, after the same
        amount of hashing work.
        """
        row = self._checked_row(name, password)
        return None if row is None else self._account(row)

    def _checked_row(self, name: str, password: str) -> dict | None:
        """The row of the active account ``name`` if ``password`` is right, else None."""
        row = None
        if isinstance(name, str) and _NAME.fullmatch(name.strip()):
            with self.database.transaction(write=False) as tx:
                row = self._row(tx, name.strip())
        password = password if isinstance(password, str) else ""
        if row is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(row["password_hash"], password):
            return None
        return row if row["disabled_at"] is None else None

    # -- sessions ------------------------------------------------------------------------

    def log_in(self, name: str, password: str, *, lifetime: timedelta,
               now: datetime | None = None) -> tuple[Account, str] | None:
        """
        Check the password of ``name`` and start a session: the account and the session's
        token, or None (wrong name or password, or a disabled account).

        The session is stored only if the account is still active and its password unchanged
        when it is written (a password change or a disabling during the check wins).
        Sessions older than ``lifetime`` (of every account) are deleted on the way. The
        class's example logs in and out.
        """
        checked = self._checked_row(name, password)
        if checked is None:
            return None
        moment = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        with self.database.transaction() as tx:
            row = self._row(tx, checked["name"], lock=True)
            if row is None or row["disabled_at"] is not None or \
                    row["password_hash"] != checked["password_hash"]:
                return None
            tx.execute("DELETE FROM user_sessions WHERE started_at < :since",
                       {"since": self.database.timestamp_param(moment - lifetime)})
            tx.execute("INSERT INTO user_sessions (token_hash, user_name, started_at) VALUES "
                       "(:hash, :name, :at)",
                       {"hash": _token_hash(token), "name": row["name"],
                        "at": self.database.timestamp_param(moment)})
        return self._account(row), token

    def session_account(self, token: object, *, lifetime: timedelta,
                        now: datetime | None = None) -> Account | None:
        """
        The active account whose session has ``token``, if it started within ``lifetime``
        before now; else None (also for anything that is not a token).
        """
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return None
        since = (now or datetime.now(UTC)) - lifetime
        with self.database.transaction(write=False) as tx:
            row = tx.one("SELECT u.name, u.role, u.created_at, u.disabled_at "
                         "FROM user_sessions s JOIN users u ON u.name = s.user_name "
                         "WHERE s.token_hash = :hash AND s.started_at >= :since "
                         "AND u.disabled_at IS NULL",
                         {"hash": _token_hash(token),
                          "since": self.database.timestamp_param(since)})
        return None if row is None else self._account(row)

    def end_sessions(self, name: str) -> int:
        """End every session of ``name`` (logout); returns how many there were."""
        with self.database.transaction() as tx:
            ended = tx.execute("DELETE FROM user_sessions WHERE user_name = :name",
                               {"name": str(name)})
        logger.info("Ended %d session(s) of %s", max(ended, 0), name)
        return max(ended, 0)

    # -- login attempts (the rate limit) -------------------------------------------------

    def reserve_login_attempt(self, name: str, address: str, *, window: timedelta,
                              name_limit: int, address_limit: int,
                              now: datetime | None = None) -> bool:
        """
        Record a login attempt of ``name`` from ``address`` before its password is checked,
        unless the limit is reached: True when the password may be checked, False when the
        login must be refused (429).

        The limit is reached with ``name_limit`` attempts of ``name`` from ``address``, or
        ``address_limit`` of any names, within ``window``. Counting and recording are one
        transaction that keeps every other attempt out (``BEGIN IMMEDIATE`` on SQLite, a lock
        of ``login_failures`` on PostgreSQL), so parallel attempts cannot all see room for
        one more. A good login deletes the attempt (:meth:`clear_failures`); a failed one
        leaves it as the failure. Attempts older than ``window`` count no more and are
        deleted in the same transaction, so the table never grows past one window's attempts.
        """
        moment = now or datetime.now(UTC)
        params = {"name": _attempt_key(name, length=200),
                  "address": _attempt_key(address, length=100),
                  "since": self.database.timestamp_param(moment - window),
                  "at": self.database.timestamp_param(moment)}
        with self.database.transaction() as tx:
            self.database.lock_table(tx, "login_failures")
            tx.execute("DELETE FROM login_failures WHERE failed_at < :since", params)
            row = tx.one("SELECT COUNT(*) AS by_address, "
                         "COALESCE(SUM(CASE WHEN name = :name THEN 1 ELSE 0 END), 0) AS by_name "
                         "FROM login_failures WHERE address = :address AND failed_at >= :since",
                         params)
            assert row is not None  # an aggregate query always returns one row
            if int(row["by_name"]) >= name_limit or int(row["by_address"]) >= address_limit:
                return False
            tx.execute("INSERT INTO login_failures (name, address, failed_at) VALUES "
                       "(:name, :address, :at)", params)
        return True

    def record_failure(self, name: str, address: str, *, at: datetime | None = None) -> None:
        """Note a failed login of ``name`` from ``address`` (without the limit's check)."""
        moment = at or datetime.now(UTC)
        with self.database.transaction() as tx:
            tx.execute("INSERT INTO login_failures (name, address, failed_at) VALUES "
                       "(:name, :address, :at)",
                       {"name": _attempt_key(name, length=200),
                        "address": _attempt_key(address, length=100),
                        "at": self.database.timestamp_param(moment)})

    def recent_failures(self, name: str | None, address: str, *, window: timedelta,
                        now: datetime | None = None) -> int:
        """
        How many logins from ``address`` failed (or are being checked) within ``window``
        before now: those of ``name``, or of any name when ``name`` is None.
        """
        since = (now or datetime.now(UTC)) - window
        params = {"address": _attempt_key(address, length=100),
                  "since": self.database.timestamp_param(since)}
        sql = ("SELECT COUNT(*) AS n FROM login_failures WHERE address = :address "
               "AND failed_at >= :since")
        if name is not None:
            sql += " AND name = :name"
            params["name"] = _attempt_key(name, length=200)
        with self.database.transaction(write=False) as tx:
            row = tx.one(sql, params)
        return int(row["n"]) if row else 0

    def clear_failures(self, name: str, address: str) -> None:
        """Forget the failed logins of ``name`` from ``address`` (after a good login)."""
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM login_failures WHERE address = :address AND name = :name",
                       {"address": _attempt_key(address, length=100),
                        "name": _attempt_key(name, length=200)})

    def prune_failures(self, *, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete failure records older than ``older_than``; returns how many."""
        before = (now or datetime.now(UTC)) - older_than
        with self.database.transaction() as tx:
            return tx.execute("DELETE FROM login_failures WHERE failed_at < :before",
                              {"before": self.database.timestamp_param(before)})
