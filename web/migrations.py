"""Schema migrations: an ordered list of functions and a ``schema_version`` table.

Version 0 is a database without geoaccess tables (or without a
``schema_version`` table). :func:`upgrade` runs, in one transaction each, every
migration above the recorded version and records the new version, so running it
again does nothing. Each migration describes its own tables (a snapshot), never
the current models, so an old database always upgrades the same way.

To change the schema: change the model in :mod:`geoaccess.web.db` and append a
migration here that makes the same change (``tests/test_web_db.py`` checks the
migrated schema matches the models).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine

VERSION_TABLE = "schema_version"


def _v1_initial(conn: Connection) -> None:
    """Users, API tokens, saved checks and jobs."""
    meta = MetaData()
    Table(
        "users",
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(80), nullable=False, unique=True),
        Column("role", String(16), nullable=False),
        Column("password_hash", String(255), nullable=False),
        Column("created", DateTime, nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", DateTime, nullable=True),
    )
    Table(
        "api_tokens",
        meta,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created", DateTime, nullable=False),
        Column("last_used", DateTime, nullable=True),
    )
    Table(
        "saved_checks",
        meta,
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("created", DateTime, nullable=False),
        Column("label", String(200), nullable=False),
        Column("summary_json", Text, nullable=False),
    )
    Table(
        "jobs",
        meta,
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        Column("kind", String(40), nullable=False),
        Column("status", String(16), nullable=False),
        Column("progress", Float, nullable=False),
        Column("message", Text, nullable=False),
        Column("params_json", Text, nullable=False),
        Column("result_json", Text, nullable=True),
        Column("created", DateTime, nullable=False),
        Column("updated", DateTime, nullable=False),
    )
    meta.create_all(conn)


def _v2_account_state(conn: Connection) -> None:
    """Users: a forced password change (first-start admin, resets), disabling, last sign-in."""
    for ddl in (
        f"ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT {_false(conn)}",
        f"ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT {_false(conn)}",
        f"ALTER TABLE users ADD COLUMN last_login {_timestamp(conn)}",
    ):
        conn.execute(text(ddl))


def _v3_session_version(conn: Connection) -> None:
    """Users: a session version (sign-out and password changes end every session) and the last password change."""
    for ddl in (
        "ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0",
        f"ALTER TABLE users ADD COLUMN password_changed {_timestamp(conn)}",
    ):
        conn.execute(text(ddl))


def _v4_job_lease(conn: Connection) -> None:
    """Jobs: the pool (process) running each one and its last heartbeat, so only expired leases are failed."""
    for ddl in (
        "ALTER TABLE jobs ADD COLUMN pool_id VARCHAR(64)",
        f"ALTER TABLE jobs ADD COLUMN heartbeat {_timestamp(conn)}",
    ):
        conn.execute(text(ddl))


def _false(conn: Connection) -> str:
    return str(false().compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _v5_token_expiry(conn: Connection) -> None:
    """API tokens: an optional expiry."""
    conn.execute(text(f"ALTER TABLE api_tokens ADD COLUMN expires {_timestamp(conn)}"))


def _timestamp(conn: Connection) -> str:
    return DateTime().compile(dialect=conn.dialect)


#: The migrations, in order: version ``n`` is reached by running ``MIGRATIONS[n - 1]``.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_initial,
    _v2_account_state,
    _v3_session_version,
    _v4_job_lease,
    _v5_token_expiry,
]
LATEST = len(MIGRATIONS)

_version_meta = MetaData()
_version = Table(
    VERSION_TABLE, _version_meta, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False)
)


def current_version(conn: Connection) -> int:
    """The recorded schema version (0 when there is no ``schema_version`` table)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return 0
    return conn.execute(select(_version.c.version).where(_version.c.id == 1)).scalar_one_or_none() or 0


def upgrade(engine: Engine, target: int = LATEST) -> list[int]:
    """Apply every migration above the recorded version up to ``target``; returns the versions applied.

    Each migration and its version bump commit together (PostgreSQL runs DDL in
    the transaction, so a failed migration leaves the previous version intact).
    """
    applied: list[int] = []
    with engine.begin() as conn:
        _version_meta.create_all(conn)
        if conn.execute(select(_version.c.id)).first() is None:
            conn.execute(_version.insert().values(id=1, version=0))
    while True:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # one upgrader at a time (several workers may start)
                conn.execute(text("SELECT pg_advisory_xact_lock(7074257)"))
            version = current_version(conn)
            if version >= target:
                return applied
            MIGRATIONS[version](conn)
            conn.execute(_version.update().where(_version.c.id == 1).values(version=version + 1))
            applied.append(version + 1)
