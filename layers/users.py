"""Staff accounts and failed logins, in the same database as the places.

Passwords are kept only as salted hashes (``werkzeug.security``, scrypt); a password is never
stored, logged or returned. Failed logins are recorded in ``login_failures`` so that the login
rate limit holds across the threads and processes of a server (and across restarts).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from layers.database import Database, Transaction
from layers.migrations import migrate
from layers.place_fields import MAX_CHARS

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

#: The longest user name (:data:`layers.place_fields.MAX_CHARS`).
MAX_NAME_CHARS = MAX_CHARS["users"]["name"]

_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._@-]{{0,{MAX_NAME_CHARS - 1}}}")

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


class UserStore:
    """
    Staff accounts and failed logins over a :class:`~layers.database.Database`.

    Every method opens its own transaction, so one store may be shared by the threads of a
    web server.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from layers.database import open_database
    >>> users = UserStore(open_database(Path(tempfile.mkdtemp()) / "ibasho.gpkg"))
    >>> _ = users.migrate()
    >>> users.create_user("sato", "correct horse battery", role="editor").role
    'editor'
    >>> users.verify("sato", "correct horse battery").name, users.verify("sato", "wrong")
    ('sato', None)
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def __repr__(self) -> str:
        return f"UserStore({self.database!r})"

    def migrate(self) -> list[int]:
        """Apply the missing migrations (the users tables come with version 2)."""
        return migrate(self.database)

    def _account(self, row: dict) -> Account:
        return Account(name=row["name"], role=row["role"],
                       created_at=self.database.timestamp_value(row["created_at"]),
                       disabled_at=self.database.timestamp_value(row["disabled_at"]))

    def _row(self, tx: Transaction, name: str) -> dict | None:
        return tx.one("SELECT name, password_hash, role, created_at, disabled_at FROM users "
                      "WHERE name = :name", {"name": name})

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
            rows = tx.rows("SELECT name, password_hash, role, created_at, disabled_at "
                           "FROM users ORDER BY name")
        return [self._account(row) for row in rows]

    def _update(self, name: str, sql: str, params: dict) -> Account:
        with self.database.transaction() as tx:
            if self._row(tx, name) is None:
                msg = f"There is no user {name!r}; see `ibasho users list`."
                raise UserError(msg)
            tx.execute(f"UPDATE users SET {sql} WHERE name = :name", {**params, "name": name})
            row = self._row(tx, name)
        return self._account(row)

    def set_password(self, name: str, password: str) -> Account:
        """Replace the password of ``name``."""
        password_hash = generate_password_hash(_check_password(password),
                                               method=PASSWORD_METHOD)
        account = self._update(name, "password_hash = :hash", {"hash": password_hash})
        logger.info("Changed the password of %s", name)
        return account

    def set_role(self, name: str, role: str) -> Account:
        """Give ``name`` another role."""
        account = self._update(name, "role = :role", {"role": _check_role(role)})
        logger.info("%s is now %s", name, role)
        return account

    def disable(self, name: str) -> Account:
        """Disable an account (it can no longer log in; it is kept for the audit log)."""
        now = self.database.timestamp_param(datetime.now(UTC))
        account = self._update(name, "disabled_at = :now", {"now": now})
        logger.info("Disabled user %s", name)
        return account

    def enable(self, name: str) -> Account:
        """Enable a disabled account again."""
        return self._update(name, "disabled_at = NULL", {})

    def verify(self, name: str, password: str) -> Account | None:
        """
        The account if ``password`` is right for the active account ``name``, else None.

        A wrong name, a wrong password and a disabled account all give None, after the same
        amount of hashing work.
        """
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
        account = self._account(row)
        return account if account.active else None

    # -- failed logins (the rate limit) --------------------------------------------------

    def record_failure(self, name: str, address: str, *, at: datetime | None = None) -> None:
        """Note a failed login of ``name`` from ``address``."""
        moment = at or datetime.now(UTC)
        with self.database.transaction() as tx:
            tx.execute("INSERT INTO login_failures (name, address, failed_at) VALUES "
                       "(:name, :address, :at)",
                       {"name": str(name)[:200], "address": str(address)[:100],
                        "at": self.database.timestamp_param(moment)})

    def recent_failures(self, name: str | None, address: str, *, window: timedelta,
                        now: datetime | None = None) -> int:
        """
        How many logins from ``address`` failed within ``window`` before now: those of
        ``name``, or of any name when ``name`` is None.
        """
        since = (now or datetime.now(UTC)) - window
        params = {"address": str(address)[:100], "since": self.database.timestamp_param(since)}
        sql = ("SELECT COUNT(*) AS n FROM login_failures WHERE address = :address "
               "AND failed_at >= :since")
        if name is not None:
            sql += " AND name = :name"
            params["name"] = str(name)[:200]
        with self.database.transaction(write=False) as tx:
            row = tx.one(sql, params)
        return int(row["n"]) if row else 0

    def clear_failures(self, name: str, address: str) -> None:
        """Forget the failed logins of ``name`` from ``address`` (after a good login)."""
        with self.database.transaction() as tx:
            tx.execute("DELETE FROM login_failures WHERE address = :address AND name = :name",
                       {"address": str(address)[:100], "name": str(name)[:200]})

    def prune_failures(self, *, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete failure records older than ``older_than``; returns how many."""
        before = (now or datetime.now(UTC)) - older_than
        with self.database.transaction() as tx:
            return tx.execute("DELETE FROM login_failures WHERE failed_at < :before",
                              {"before": self.database.timestamp_param(before)})
