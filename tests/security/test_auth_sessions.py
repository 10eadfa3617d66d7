"""Sessions, CSRF and credentials: Authorization headers never skip CSRF for a session, sign-out ends
copies of the cookie, password changes end API tokens, weak passwords, private database files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from web_support import PASSWORD, add_user, app_for_tests, page_csrf, sign_in, signed_in, token_for
from werkzeug.test import TestResponse

from geoaccess.errors import BadInput
from geoaccess.web import background, create_app
from geoaccess.web.db import User, session_scope
from geoaccess.web.migrations import LATEST, upgrade
from geoaccess.web.users import create_user, find_user, password_problem, reset_password

FOREIGN_HEADERS = ("Basic Zm9vOmJhcg==", "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag", "Bearer junk-token")


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    app = app_for_tests(tmp_path, {}, VENUE_LOADER=list)
    yield app
    background.shutdown(app)


def user_names(app: Flask) -> set[str]:
    with app.app_context(), session_scope() as db:
        return set(db.scalars(text("SELECT name FROM users")).all())


def change_password(client: FlaskClient, new: str) -> TestResponse:
    """Post the signed-in user's password-change form: from :data:`PASSWORD` to ``new``, typed twice."""
    data = {"current_password": PASSWORD, "new_password": new, "confirm_password": new, "csrf_token": page_csrf(client)}
    return client.post("/account/password", data=data)


# --- 1. an Authorization header never skips CSRF or the forced password change for a session --------


@pytest.mark.parametrize("header", FOREIGN_HEADERS)
def test_authorization_header_with_session_cookie_still_needs_csrf(app: Flask, header: str) -> None:
    add_user(app, "root", "admin")
    client = signed_in(app, "root")
    response = client.post("/admin/users", data={"name": "mallory", "role": "admin"}, headers={"Authorization": header})
    assert response.status_code == 400
    assert "mallory" not in user_names(app)


def test_valid_bearer_token_with_session_cookie_still_needs_csrf(app: Flask) -> None:
    add_user(app, "root", "admin")
    token = token_for(app, "root")
    client = signed_in(app, "root")
    response = client.post(
        "/admin/users", data={"name": "mallory", "role": "admin"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert "mallory" not in user_names(app)


def test_valid_bearer_token_without_session_is_exempt_from_csrf(app: Flask) -> None:
    add_user(app, "olive", "officer")
    token = token_for(app, "olive")
    response = app.test_client().post(
        "/api/v1/geocode", json={"query": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code not in (401, 403)
    assert "CSRF" not in response.get_data(as_text=True)


@pytest.mark.parametrize("header", FOREIGN_HEADERS)
def test_authorization_header_does_not_skip_the_forced_password_change(app: Flask, header: str) -> None:
    add_user(app, "olive", "officer", must_change=True)
    client = signed_in(app, "olive")
    page = client.get("/officer", headers={"Authorization": header})
    assert page.status_code == 302 and page.headers["Location"].startswith("/account/password")


# --- 2. anonymous API calls are 401 before CSRF is judged ----------------------------------------


def test_anonymous_api_post_is_401_with_www_authenticate_not_csrf_400(app: Flask) -> None:
    response = app.test_client().post("/api/v1/journey", json={})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "CSRF" not in response.get_json()["detail"]
    basic = app.test_client().post("/api/v1/journey", json={}, headers={"Authorization": FOREIGN_HEADERS[0]})
    assert basic.status_code == 401 and basic.headers["WWW-Authenticate"].startswith("Bearer")


# --- 3. signing out ends the session, copies of the cookie included ------------------------------


def test_logout_ends_copies_of_the_session_cookie(app: Flask) -> None:
    add_user(app, "olive", "officer")
    client = signed_in(app, "olive")
    assert client.get("/officer").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/officer").status_code == 200
    assert client.post("/logout", data={"csrf_token": page_csrf(client)}).status_code == 302
    response = copy.get("/officer")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_reset_and_disabling_end_sessions(app: Flask) -> None:
    add_user(app, "olive", "officer")
    add_user(app, "mo", "manager")
    olive, mo = app.test_client(), app.test_client()
    sign_in(olive, "olive")
    sign_in(mo, "mo")
    with app.app_context(), session_scope() as db:
        row = find_user(db, "olive")
        assert row is not None
        reset_password(row)
        mo_row = find_user(db, "mo")
        assert mo_row is not None
        mo_row.disabled = True
    assert olive.get("/officer").status_code == 302
    with app.app_context(), session_scope() as db:  # enabling again does not revive the old session
        mo_row = find_user(db, "mo")
        assert mo_row is not None
        mo_row.disabled = False
    assert mo.get("/planner").status_code == 302


# --- 4. a password change or reset ends older API tokens ----------------------------------------


def test_api_tokens_issued_before_a_password_change_are_refused(app: Flask) -> None:
    add_user(app, "olive", "officer")
    old = token_for(app, "olive")
    headers = {"Authorization": f"Bearer {old}"}
    client = app.test_client()
    assert client.get("/api/v1/venues", headers=headers).status_code == 200
    sign_in(client, "olive")
    new = "a brand new passphrase"
    response = change_password(client, new)
    assert response.status_code == 302
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/venues", headers=headers).status_code == 401
    fresh = token_for(app, "olive")
    assert anonymous.get("/api/v1/venues", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_api_tokens_issued_before_a_password_reset_are_refused(app: Flask) -> None:
    add_user(app, "olive", "officer")
    old = token_for(app, "olive")
    with app.app_context(), session_scope() as db:
        row = find_user(db, "olive")
        assert row is not None
        reset_password(row)
        row.must_change_password = False  # only the token's age matters here
    assert app.test_client().get("/api/v1/venues", headers={"Authorization": f"Bearer {old}"}).status_code == 401


# --- 5. weak passwords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        " " * 12,
        "\t" * 6 + " " * 6,
        "a" * 12,
        "abababababab",
        "abcabcabcabc",
        "password1234",
        "Password 2024!",
        "qwertyuiop12",
        "123456789012",
        "iloveyou1234",
        "Olive.Hunter",
    ],
)
def test_weak_passwords_are_refused_without_repeating_them(app: Flask, password: str) -> None:
    problem = password_problem(password, "olive.hunter")
    assert problem is not None
    assert password.strip() == "" or password not in problem
    with app.app_context(), pytest.raises(BadInput) as raised, session_scope() as db:
        create_user(db, "olive.hunter", "officer", password)
    assert password.strip() == "" or password not in str(raised.value)


def test_reasonable_passwords_are_accepted() -> None:
    for password in ("correct horse battery", "a brand new passphrase", "Tr4in-Bus-Ferry-9", "kq7V-3mPz-x8Rt-Lw2n"):
        assert password_problem(password, "olive") is None, password


def test_change_password_form_refuses_a_weak_password(app: Flask) -> None:
    add_user(app, "olive", "officer")
    client = signed_in(app, "olive")
    weak = " " * 12
    response = change_password(client, weak)
    assert response.status_code == 400


# --- 6. the database and instance folder are private ---------------------------------------------


@pytest.fixture()
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_sqlite_database_wal_and_instance_folder_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loose_umask: None
) -> None:
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _app: str(instance))
    app = create_app({"TESTING": True, "VENUE_LOADER": list, "SECRET_KEY": "x"})  # default DATABASE_URL
    add_user(app, "olive", "officer")
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    database = instance / "geoaccess.sqlite"
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    assert all(f.exists() for f in files)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path, loose_umask: None) -> None:
    database = tmp_path / "old.sqlite"
    database.touch(mode=0o644)
    database.chmod(0o644)
    app = create_app(
        {"TESTING": True, "VENUE_LOADER": list, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{database}"}
    )
    add_user(app, "olive", "officer")
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_migration_adds_session_version_to_old_users(tmp_path: Path) -> None:
    from geoaccess.web.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine, target=LATEST - 1)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, role, password_hash, created, failed_logins) "
                "VALUES ('old', 'manager', 'h', '2025-01-02 03:04:05', 0)"
            )
        )
    assert upgrade(engine) == [LATEST]
    app = create_app(
        {
            "TESTING": True,
            "VENUE_LOADER": list,
            "SECRET_KEY": "x",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        }
    )
    with session_scope(app) as db:
        row = db.get(User, 1)
        assert row is not None and (row.name, row.session_version, row.password_changed) == ("old", 0, None)


def test_forced_password_change_applies_to_api_with_session_and_foreign_header(app: Flask) -> None:
    add_user(app, "olive", "officer", must_change=True)
    client = signed_in(app, "olive")
    for header in FOREIGN_HEADERS[:2]:
        response = client.get("/api/v1/venues", headers={"Authorization": header})
        assert response.status_code in (401, 403), header  # never the session's data
