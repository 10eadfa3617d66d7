"""``geoaccess users``: add and list web app users, issue API tokens, reset passwords.

The commands use the web app's database (its ``DATABASE_URL``, by default the
SQLite file in the instance folder): they build the app with
:func:`geoaccess.web.create_app` and work inside its app context.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from geoaccess.errors import BadInput
from geoaccess.roles import ROLES

ROLE_CHOICE = click.Choice(ROLES)


@contextmanager
def _app_context() -> Iterator[Any]:
    """The app's context; tests pass ``obj={"app_factory": ...}`` to use their own app."""
    ctx = click.get_current_context()
    factory: Callable[[], Any] | None = (ctx.obj or {}).get("app_factory") if isinstance(ctx.obj, dict) else None
    if factory is None:
        from geoaccess.web import create_app

        def factory() -> Any:  # accounts need no network or timetable: paths are checked, nothing loaded
            return create_app(settings={"DATA_WARM": False})

    app = factory()
    with app.app_context():
        yield app


@click.group("users")
def users() -> None:
    """Web app users: add, list, API tokens, password resets."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="officer, manager or admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of generating a one-time one.",
)
def add(name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME; prints a generated one-time password once (they must change it at first sign-in)."""
    from geoaccess.web.db import session_scope
    from geoaccess.web.users import create_user

    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    with _app_context():
        try:
            with session_scope() as db:
                user, password = create_user(db, name, role, password)
        except BadInput as exc:
            raise click.UsageError(str(exc)) from exc
    if password_stdin:
        click.echo(f"added {user.name} ({user.role})")
    else:
        click.echo(
            f"added {user.name} ({user.role}) with the one-time password (shown only now; "
            f"it must be changed at first sign-in):\n{password}"
        )


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def list_users(as_json: bool) -> None:
    """Every user: name, role, state, created, last sign-in."""
    from sqlalchemy import func, select

    from geoaccess.web.db import User, session_scope, utcnow

    with _app_context(), session_scope() as db:
        rows = db.scalars(select(User).order_by(func.lower(User.name))).all()
        now = utcnow()
    records = [
        {
            "name": u.name,
            "role": u.role,
            "state": "disabled" if u.disabled else "locked" if u.locked_until and u.locked_until > now else "active",
            "must_change_password": bool(u.must_change_password),
            "created": u.created.isoformat(timespec="seconds"),
            "last_login": u.last_login.isoformat(timespec="seconds") if u.last_login else None,
        }
        for u in rows
    ]
    if as_json:
        click.echo(json.dumps(records, indent=1))
        return
    if not records:
        click.echo("no users")
        return
    width = max(len(r["name"]) for r in records)
    for r in records:
        flags = " (must change password)" if r["must_change_password"] else ""
        click.echo(
            f"{r['name']:<{width}}  {r['role']:<7}  {r['state']:<8}  last sign-in {r['last_login'] or 'never'}{flags}"
        )


@users.command("token")
@click.argument("name")
@click.option(
    "--list", "list_", is_flag=True, help="List NAME's tokens (id, created, last used, hash ending); never a token."
)
@click.option("--revoke", "revoke_id", type=int, metavar="ID", help="Revoke (delete) NAME's token ID (see --list).")
@click.option("--revoke-all", is_flag=True, help="Revoke (delete) every token of NAME.")
@click.option("--days", type=int, help="The new token expires after this many days (default: when revoked).")
def token(name: str, list_: bool, revoke_id: int | None, revoke_all: bool, days: int | None) -> None:
    """Print a new API token for NAME, once (only its SHA-256 is stored). Use: Authorization: Bearer TOKEN.

    With --list, --revoke ID or --revoke-all: list or revoke NAME's tokens instead.
    """
    from geoaccess.web.db import session_scope
    from geoaccess.web.users import (
        find_user,
        issue_token,
        revoke_all_tokens,
        revoke_token,
        token_hint,
        user_tokens,
    )

    if sum((list_, revoke_id is not None, revoke_all)) > 1:
        raise click.UsageError("use only one of --list, --revoke and --revoke-all")
    with _app_context(), session_scope() as db:
        user = find_user(db, name)
        if user is None:
            raise click.UsageError(f"no user named {name!r}")
        if list_:
            rows = user_tokens(db, user)
            if not rows:
                click.echo(f"{user.name} has no API tokens")
            for row in rows:
                used = row.last_used.isoformat(timespec="seconds") if row.last_used else "never"
                click.echo(
                    f"{row.id}  created {row.created.isoformat(timespec='seconds')}  "
                    f"last used {used}  hash ...{token_hint(row)}"
                )
            return
        if revoke_id is not None:
            if not revoke_token(db, user, revoke_id):
                raise click.UsageError(f"{user.name} has no API token {revoke_id}")
            click.echo(f"revoked API token {revoke_id} of {user.name}")
            return
        if revoke_all:
            count = revoke_all_tokens(db, user)
            click.echo(f"revoked {count} API token(s) of {user.name}")
            return
        if user.disabled:
            raise click.UsageError(f"{user.name} is disabled")
        try:
            value = issue_token(db, user, days)
        except BadInput as exc:
            raise click.UsageError(str(exc)) from exc
    click.echo(value)


@users.command("reset-password")
@click.argument("name")
def reset(name: str) -> None:
    """Give NAME a new one-time password (printed once; unlocks the account; must be changed at sign-in)."""
    from geoaccess.web.db import session_scope
    from geoaccess.web.users import find_user, reset_password

    with _app_context(), session_scope() as db:
        user = find_user(db, name)
        if user is None:
            raise click.UsageError(f"no user named {name!r}")
        password = reset_password(user)
    click.echo(f"new one-time password for {user.name} (shown only now):\n{password}")
