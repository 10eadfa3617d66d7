"""Persistence: SQLAlchemy 2 models and a per-app engine.

The database is named by ``app.config["DATABASE_URL"]``: a SQLite file in the
instance folder by default, PostgreSQL with e.g.
``postgresql+psycopg://user:pass@127.0.0.1/geoaccess``. The schema is created
and upgraded by :mod:`geoaccess.web.migrations` when the app starts.

Use :func:`session_scope` inside a request or app context (or pass the app,
e.g. from a background thread)::

    with session_scope() as db:
        db.add(SavedCheck(owner_id=user.id, label="Thu BBR", summary_json="{}"))

It commits when the block ends and rolls back if it raises. Objects stay
readable after the block (``expire_on_commit=False``).

Times are stored as UTC and read back as timezone-aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

JOB_STATUSES = ("queued", "running", "done", "failed")
EXTENSION = "geoaccess.db"


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A datetime stored as naive UTC (portable across SQLite and PostgreSQL), read back aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given: use timezone-aware UTC (geoaccess.web.db.utcnow())")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every geoaccess table."""


class User(Base):
    """A person who signs in: an officer, a manager or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # one of ROLES
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # schema version 2
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    # schema version 3
    #: Bumped by sign-out, a password change or reset and disabling: a session opened
    #: with another value is signed out (copies of a cookie included).
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    #: When the password was last changed or reset; API tokens made before it are refused.
    password_changed: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r}, role={self.role!r})"


@event.listens_for(User.disabled, "set")
def _disabling_ends_sessions(user: User, value: Any, oldvalue: Any, _initiator: Any) -> None:
    """Disabling an account (wherever it is done) ends its sessions: enabling it again does not revive them."""
    if value is True and oldvalue is False:
        user.session_version = (user.session_version or 0) + 1


class ApiToken(Base):
    """An API token: only its SHA-256 is kept; the token itself is shown once when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex sha256
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    expires: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)  # None: until revoked


class SavedCheck(Base):
    """An officer's saved journey check: only what the officer chose to save."""

    __tablename__ = "saved_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    label: Mapped[str] = mapped_column(String(200), default="")
    summary_json: Mapped[str] = mapped_column(Text, default="{}")


class Job(Base):
    """A background job (measures, siting, exports) and its persisted status."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # one of JOB_STATUSES
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    message: Mapped[str] = mapped_column(Text, default="")
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    result_json: Mapped[str | None] = mapped_column(Text, default=None)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    pool_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the job pool (process) running it
    heartbeat: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)  # its pool's last sign of life


def _sqlite_file(url: str) -> str | None:
    """The file of a SQLite ``url``, or ``None`` for an in-memory or URI-named database."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _make_private(path: str) -> None:
    """Create the SQLite file ``path`` owner-only (0600) if missing; make it, its -wal and -shm 0600.

    SQLite gives the -wal and -shm files the database file's mode, whatever the umask.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # an empty file is an empty database
        os.close(fd)
    except OSError:
        return  # let SQLite report the problem
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            mode = os.stat(name).st_mode
            if stat.S_IMODE(mode) & 0o077:
                os.chmod(name, 0o600)
        except OSError:  # not there (or not ours): nothing to tighten
            continue


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, WAL and a busy timeout (threads share it).

    A SQLite file and its -wal/-shm are readable by their owner only (0600).
    """
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            _make_private(path)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            if path is not None:
                _make_private(path)

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_db(app: Flask) -> None:
    """Make the app's engine and session factory and bring the schema up to date."""
    from .migrations import upgrade

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = {
        "engine": engine,
        "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
    }
    upgrade(engine)


def get_engine(app: Flask | None = None) -> Engine:
    """The engine of ``app`` (default: the current app)."""
    engine: Engine = (app or current_app).extensions[EXTENSION]["engine"]
    return engine


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session that commits at the end of the block and rolls back if it raises.

    Needs a request or app context, or ``app`` (for background threads).
    """
    factory = (app or current_app).extensions[EXTENSION]["sessionmaker"]
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
