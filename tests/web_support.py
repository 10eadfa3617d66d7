"""What the web tests share: an app on a private database, its users, signing a test client in, a page's
CSRF token, an API token."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "a long enough password 1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def app_for_tests(folder: Path, users: dict[str, str], **config: Any) -> Flask:
    """An app on a SQLite database in ``folder`` with ``users`` (name -> role, password :data:`PASSWORD`,
    no forced change); ``config`` adds to or overrides the test settings. Call
    ``background.shutdown(app)`` when done."""
    from geoaccess.web import create_app
    from geoaccess.web.db import session_scope
    from geoaccess.web.users import create_user

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "BOOTSTRAP_ADMIN": False,
            "SESSION_COOKIE_SECURE": False,
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite'}",
            "PLANNER_FOLDER": str(folder / "planner"),
            **config,
        }
    )
    with app.app_context(), session_scope() as db:
        for name, role in users.items():
            create_user(db, name, role, PASSWORD, must_change_password=False)
    return app


def add_user(app: Flask, name: str, role: str, password: str = PASSWORD, must_change: bool = False) -> int:
    """Add user ``name`` with ``role`` to ``app``'s database; returns its id."""
    from geoaccess.web.db import session_scope
    from geoaccess.web.users import create_user

    with app.app_context(), session_scope() as db:
        user, _ = create_user(db, name, role, password, must_change_password=must_change)
        return user.id


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``name`` (the sign-in must succeed)."""
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_of(client, "/login")})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def signed_in(app: Flask, name: str, password: str = PASSWORD) -> FlaskClient:
    """A test client signed in as ``name``."""
    client = app.test_client()
    sign_in(client, name, password)
    return client


def csrf_of(client: FlaskClient, url: str) -> str:
    """The CSRF token in the form of the page at ``url``."""
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)


def page_csrf(client: FlaskClient) -> str:
    """The CSRF token ``base.html`` puts in ``<meta name="csrf-token">``, from the home page (or where it leads)."""
    match = PAGE_CSRF.search(client.get("/", follow_redirects=True).get_data(as_text=True))
    assert match, "base.html carries the CSRF token"
    return match.group(1)


def token_for(app: Flask, name: str) -> str:
    """A new API token of user ``name``."""
    from sqlalchemy import select

    from geoaccess.web.db import User, session_scope
    from geoaccess.web.users import issue_token

    with app.app_context(), session_scope() as db:
        user = db.scalar(select(User).where(User.name == name))
        assert user is not None, name
        return issue_token(db, user)
