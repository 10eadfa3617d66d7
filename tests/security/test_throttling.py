"""Sign-in throttling cannot lock a user out from elsewhere: lockouts are per account and address,
the per-address ceiling still answers 429, and failures go to an audit log without the password."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web_support import PASSWORD, app_for_tests
from werkzeug.test import TestResponse

from geoaccess.web import background
from geoaccess.web.db import session_scope, utcnow
from geoaccess.web.users import find_user, reset_password

WRONG = "wrong horse battery staple"
ATTACKER = "203.0.113.66"
ADMIN_HOME = "198.51.100.7"
TOKEN_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
AUDIT = "geoaccess.web.auth.audit"


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """An app with the user ``admin``; ``config`` adds to the test settings."""
    return app_for_tests(tmp_path, {"admin": "admin"}, VENUE_LOADER=list, **config)


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(tmp_path)
    yield app
    background.shutdown(app)


def shown_locked_for(app: Flask) -> dt.timedelta:
    """How much longer the admin pages and CLI show the account ``admin`` as locked."""
    with app.app_context(), session_scope() as db:
        admin = find_user(db, "admin")
        assert admin is not None and admin.locked_until is not None
        return admin.locked_until - utcnow()


def attempt(client: FlaskClient, address: str, name: str, password: str) -> TestResponse:
    env = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=env).get_data(as_text=True)
    match = TOKEN_META.search(page)
    assert match
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": match.group(1)},
        environ_base=env,
    )


def lock_out(app: Flask, address: str = ATTACKER, name: str = "admin") -> FlaskClient:
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert attempt(attacker, address, name, WRONG).status_code == 401
    return attacker


def test_admin_signs_in_from_a_new_address_while_an_attackers_address_is_locked_out(app: Flask) -> None:
    lock_out(app)
    admin = app.test_client()
    assert attempt(admin, ADMIN_HOME, "admin", PASSWORD).status_code == 302
    assert admin.get("/").status_code == 200


def test_attackers_address_stays_locked_for_that_account_even_with_the_right_password(app: Flask) -> None:
    attacker = lock_out(app)
    assert attempt(app.test_client(), ADMIN_HOME, "admin", PASSWORD).status_code == 302  # admin gets in...
    assert attempt(attacker, ATTACKER, "admin", PASSWORD).status_code == 401  # ...the locked pair does not
    assert attempt(attacker, ATTACKER, "ADMIN", PASSWORD).status_code == 401  # nor by changing the case
    assert shown_locked_for(app) > dt.timedelta(0)  # still shown as locked to the admin pages and CLI


def test_lockout_of_a_pair_lasts_15_minutes_and_then_doubles(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [time.monotonic()]
    monkeypatch.setattr("geoaccess.web.auth.time.monotonic", lambda: clock[0])
    attacker = lock_out(app)
    assert dt.timedelta(minutes=14) < shown_locked_for(app) <= dt.timedelta(minutes=15)
    clock[0] += 14 * 60
    assert attempt(attacker, ATTACKER, "admin", PASSWORD).status_code == 401
    clock[0] += 2 * 60
    for _ in range(5):  # lock expired: five more failures lock it again, now for 30 minutes
        assert attempt(attacker, ATTACKER, "admin", WRONG).status_code == 401
    assert dt.timedelta(minutes=29) < shown_locked_for(app) <= dt.timedelta(minutes=30)
    clock[0] += 29 * 60
    assert attempt(attacker, ATTACKER, "admin", PASSWORD).status_code == 401
    clock[0] += 2 * 60
    assert attempt(attacker, ATTACKER, "admin", PASSWORD).status_code == 302


def test_a_password_reset_lifts_every_addresss_lockout_of_the_account(app: Flask) -> None:
    attacker = lock_out(app)
    with app.app_context(), session_scope() as db:
        admin = find_user(db, "admin")
        assert admin is not None
        one_time = reset_password(admin)
    assert attempt(attacker, ATTACKER, "admin", one_time).status_code == 302


def test_per_address_ceiling_still_gives_429_and_spares_other_addresses(tmp_path: Path) -> None:
    app = make_app(tmp_path, LOGIN_IP_MAX_FAILURES=8)
    client = app.test_client()
    for name in ("admin",) * 5 + ("a", "b", "c"):  # one pair locked out, then other names up to the ceiling
        assert attempt(client, ATTACKER, name, WRONG).status_code == 401
    assert attempt(client, ATTACKER, "someone", WRONG).status_code == 429
    assert attempt(client, ATTACKER, "admin", PASSWORD).status_code == 429
    assert attempt(app.test_client(), ADMIN_HOME, "admin", PASSWORD).status_code == 302


def test_failures_and_lockouts_are_audited_without_the_password(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    secret = "hunter2 very secret guess"
    with caplog.at_level(logging.INFO, logger=AUDIT):
        client = app.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            attempt(client, ATTACKER, "admin", secret)
        attempt(client, ATTACKER, "admin", PASSWORD)
        attempt(client, ATTACKER, "nobody", secret)
    records = [r for r in caplog.records if r.name == AUDIT]
    lines = [r.getMessage() for r in records]
    assert all(secret not in line and PASSWORD not in line for line in lines)
    assert all("hunter2" not in repr(r.args) and PASSWORD not in repr(r.args) for r in records)
    failed = [line for line in lines if line.startswith("sign-in failed")]
    assert len(failed) == app.config["LOGIN_MAX_FAILURES"] + 2
    assert all("name='admin'" in line and f"address={ATTACKER}" in line for line in failed[:-1])
    assert "wrong password" in failed[0] and "locked out" in failed[-2] and "unknown name" in failed[-1]
    assert sum(line.startswith("sign-in lockout") and f"address={ATTACKER}" in line for line in lines) == 1
