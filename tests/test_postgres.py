"""The database layer against a real PostgreSQL server (users, tokens, jobs, migrations).

Runs when ``GEOACCESS_TEST_POSTGRES_URL`` names an empty-able database, e.g.
``postgresql+psycopg://geoaccess:geoaccess@127.0.0.1:5432/geoaccess_test``
(``.ci/run`` installs Debian's postgresql and sets it). Every table in that
database's ``public`` schema is dropped before each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Engine

from geoaccess.web import create_app
from geoaccess.web.db import Base, User, make_engine, session_scope
from geoaccess.web.migrations import LATEST, current_version, upgrade
from geoaccess.web.users import issue_token

URL = os.environ.get("GEOACCESS_TEST_POSTGRES_URL", "")

pytestmark = pytest.mark.skipif(
    not URL,
    reason="set GEOACCESS_TEST_POSTGRES_URL=postgresql+psycopg://USER:PASS@127.0.0.1/DB "
    "to run against a real PostgreSQL server (.ci/run does)",
)


@pytest.fixture()
def engine() -> Iterator[Engine]:
    pytest.importorskip("psycopg", reason="needs the PostgreSQL driver: pip install 'psycopg[binary]'")
    engine = make_engine(URL)
    assert engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    yield engine
    engine.dispose()


def _app():
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": URL,
            "VENUE_LOADER": list,
            "SECRET_KEY": "test",
        }
    )


def test_models_round_trip_on_postgres(engine: Engine) -> None:
    from test_web_db import exercise_models

    exercise_models(_app())


def test_users_tokens_and_sign_in_on_postgres(engine: Engine) -> None:
    from test_web_accounts import _test_routes, login
    from web_support import PASSWORD, add_user

    app = _app()
    app.register_blueprint(_test_routes())
    add_user(app, "mo", "manager")
    with app.app_context(), session_scope() as db:
        token = issue_token(db, db.scalar(select(User).where(User.name == "mo")))
    client = app.test_client()
    assert client.get("/t/api", headers={"Authorization": f"Bearer {token}"}).get_json() == {"user": "mo"}
    assert login(client, "mo", PASSWORD).status_code == 302
    for _ in range(5):
        login(app.test_client(), "mo", "wrong wrong wrong")
    with app.app_context(), session_scope() as db:
        assert db.scalar(select(User).where(User.name == "mo")).locked_until is not None


def test_migrations_on_postgres(engine: Engine) -> None:
    assert upgrade(engine, target=1) == [1]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, role, password_hash, created, failed_logins) "
                "VALUES ('old', 'officer', 'h', now(), 0)"
            )
        )
    assert upgrade(engine) == list(range(2, LATEST + 1))
    assert upgrade(engine) == []
    with engine.connect() as conn:
        assert current_version(conn) == LATEST
        row = conn.execute(text("SELECT must_change_password, disabled FROM users WHERE name = 'old'")).one()
        assert tuple(row) == (False, False)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
