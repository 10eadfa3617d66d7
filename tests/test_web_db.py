"""The database layer: models, session_scope, migrations (an old schema upgrades; re-running is a no-op)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from geoaccess.errors import BadInput
from geoaccess.web import create_app
from geoaccess.web.db import ApiToken, Base, Job, SavedCheck, User, make_engine, session_scope, utcnow
from geoaccess.web.migrations import LATEST, current_version, upgrade
from geoaccess.web.users import check_password, create_user, issue_token, token_hash


def _app(url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "VENUE_LOADER": list,
            "SECRET_KEY": "test",
        }
    )


@pytest.fixture()
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def exercise_models(app: Flask) -> None:
    """Users, tokens, saved checks and jobs round-trip (shared with tests/test_postgres.py)."""
    with app.app_context():
        with session_scope() as db:
            user, password = create_user(db, "olive", "officer")
            token = issue_token(db, user)
            db.add(SavedCheck(owner_id=user.id, label="Thu BBR", summary_json=json.dumps({"minutes": 95})))
            db.add(Job(owner_id=user.id, kind="access", params_json="{}"))
        with session_scope() as db:
            row = db.scalar(select(User).where(User.name == "olive"))
            assert row.role == "officer" and row.must_change_password and not row.disabled
            assert check_password(row.password_hash, password) and row.password_hash.startswith("scrypt:")
            assert row.created.tzinfo is dt.UTC and abs(utcnow() - row.created) < dt.timedelta(minutes=1)
            assert db.scalar(select(ApiToken.user_id).where(ApiToken.token_hash == token_hash(token))) == row.id
            check = db.scalar(select(SavedCheck).where(SavedCheck.owner_id == row.id))
            assert json.loads(check.summary_json) == {"minutes": 95}
            job = db.scalar(select(Job).where(Job.owner_id == row.id))
            assert (job.status, job.progress, job.result_json) == ("queued", 0.0, None)
            job.status, job.progress, job.result_json = "done", 1.0, '{"ok": true}'
            created = job.created
        with session_scope() as db:
            job = db.scalar(select(Job))
            assert job.status == "done" and job.updated >= created
        with pytest.raises(RuntimeError), session_scope() as db:  # rolled back
            db.add(Job(owner_id=row.id, kind="site"))
            raise RuntimeError("boom")
        with session_scope() as db:
            assert len(db.scalars(select(Job)).all()) == 1
        with pytest.raises(BadInput, match="already exists"), session_scope() as db:
            create_user(db, "OLIVE", "manager")


def test_models_round_trip(url: str) -> None:
    exercise_models(_app(url))


def test_session_scope_with_an_explicit_app_outside_a_context(url: str) -> None:
    app = _app(url)
    with session_scope(app) as db:  # as from a background job thread
        db.add(User(name="x", role="admin", password_hash="h"))
    with session_scope(app) as db:
        assert db.scalar(select(User.name)) == "x"


def test_naive_datetimes_are_refused(url: str) -> None:
    app = _app(url)
    with pytest.raises(Exception, match="naive"), session_scope(app) as db:
        db.add(User(name="x", role="admin", password_hash="h", created=dt.datetime(2025, 1, 1)))


def test_migrations_fresh_database_and_rerun(url: str) -> None:
    engine = make_engine(url)
    assert upgrade(engine) == list(range(1, LATEST + 1))
    assert upgrade(engine) == []
    with engine.connect() as conn:
        assert current_version(conn) == LATEST
        assert conn.execute(text("SELECT COUNT(*) FROM schema_version")).scalar_one() == 1


def _columns(engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def test_migrated_schema_matches_the_models(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    migrated = _columns(engine)
    for table in Base.metadata.sorted_tables:
        assert migrated[table.name] == {c.name for c in table.columns}, table.name
    assert set(migrated) == {t.name for t in Base.metadata.sorted_tables} | {"schema_version"}


def test_an_old_schema_upgrades_keeping_its_rows(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        assert current_version(conn) == 0  # version 0: nothing there
    assert upgrade(engine, target=1) == [1]  # a database made by the first release
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, role, password_hash, created, failed_logins) "
                "VALUES ('old', 'manager', 'h', '2025-01-02 03:04:05', 2)"
            )
        )
    assert upgrade(engine) == list(range(2, LATEST + 1))
    app = _app(url)  # starting the app on it is fine and changes nothing
    with session_scope(app) as db:
        old = db.scalar(select(User).where(User.name == "old"))
        assert (old.role, old.failed_logins, old.must_change_password, old.disabled, old.last_login) == (
            "manager",
            2,
            False,
            False,
            None,
        )
        assert old.created == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_create_app_applies_migrations(url: str) -> None:
    _app(url)
    with make_engine(url).connect() as conn:
        assert current_version(conn) == LATEST
