"""``ibasho users``: staff accounts of the staff pages (``/admin``).

Examples
--------
    ibasho users add sato --role editor        # asks for the password twice
    ibasho users list
    ibasho users passwd sato
    ibasho users role sato admin
    ibasho users disable sato
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from data import get_path
from layers.store.database import DatabaseUnavailableError, open_database
from layers.store.site import database_location
from layers.store.users import MIN_PASSWORD_LENGTH, ROLES, UserError, UserStore

__all__ = ["users"]

_CONFIG = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None, help="The study-area config whose database to use (default: the embedded "
                       "Takasaki one); its database is <config dir>/ibasho-data.gpkg.")
_DATABASE = click.option(
    "--database", default=None, metavar="PATH_OR_URL", envvar="IBASHO_DATABASE",
    help="A GeoPackage path or postgresql:// URL (default: IBASHO_DATABASE, as `ibasho serve` "
         "uses it, else IBASHO_DATABASE_URL, else the file beside the config).")


def _store(config_path: Path | None, database: str | None) -> UserStore:
    config_dir = (config_path or get_path("takasaki")).resolve().parent
    location = database_location(config_dir, configured=database)
    store = UserStore(open_database(location))
    try:
        store.migrate()
    except (DatabaseUnavailableError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    return store


@contextmanager
def _refused() -> Iterator[None]:
    """A change the store refuses ends the command with its message (it says what to do)."""
    try:
        yield
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


def _password_prompt() -> str:
    return click.prompt(f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
                        hide_input=True, confirmation_prompt="Repeat the password")


@click.group()
def users() -> None:
    """Staff accounts: viewer (reads the staff pages), editor (changes places), admin."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True,
              help="What the account may do.")
@_CONFIG
@_DATABASE
def add(name: str, role: str, config_path: Path | None, database: str | None) -> None:
    """Add the account NAME; the password is asked for twice and never echoed."""
    store = _store(config_path, database)
    if store.get(name) is not None:
        raise click.ClickException(f"There is already a user {name!r}; see `ibasho users list`.")
    password = _password_prompt()
    with _refused():
        account = store.create_user(name, password, role=role)
    click.echo(f"Added {account.name} ({account.role}) to {store.database.display_name}.")


@users.command("list")
@_CONFIG
@_DATABASE
def list_users(config_path: Path | None, database: str | None) -> None:
    """List the accounts: name, role, created, disabled."""
    store = _store(config_path, database)
    accounts = store.users()
    if not accounts:
        click.echo("No accounts yet. Add one with: ibasho users add NAME --role admin")
        return
    for account in accounts:
        state = f"disabled {account.disabled_at:%Y-%m-%d}" if account.disabled_at else "active"
        click.echo(f"{account.name:<24} {account.role:<7} created {account.created_at:%Y-%m-%d}"
                   f"  {state}")


@users.command("passwd")
@click.argument("name")
@_CONFIG
@_DATABASE
def passwd(name: str, config_path: Path | None, database: str | None) -> None:
    """Set a new password for NAME (asked for twice)."""
    store = _store(config_path, database)
    if store.get(name) is None:
        raise click.ClickException(f"There is no user {name!r}; see `ibasho users list`.")
    with _refused():
        store.set_password(name, _password_prompt())
    click.echo(f"Changed the password of {name}.")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@_CONFIG
@_DATABASE
def role(name: str, role: str, config_path: Path | None, database: str | None) -> None:
    """Give NAME another ROLE."""
    with _refused():
        _store(config_path, database).set_role(name, role)
    click.echo(f"{name} is now {role}.")


@users.command("disable")
@click.argument("name")
@_CONFIG
@_DATABASE
def disable(name: str, config_path: Path | None, database: str | None) -> None:
    """Disable NAME: it can no longer log in (its changes stay in the audit log)."""
    with _refused():
        _store(config_path, database).disable(name)
    click.echo(f"Disabled {name}.")


@users.command("enable")
@click.argument("name")
@_CONFIG
@_DATABASE
def enable(name: str, config_path: Path | None, database: str | None) -> None:
    """Enable NAME again."""
    with _refused():
        _store(config_path, database).enable(name)
    click.echo(f"Enabled {name}.")
