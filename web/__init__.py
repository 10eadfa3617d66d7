"""The geoaccess web application (Flask), installed as ``geoaccess.web``.

Pages are served with every script, stylesheet and font from this server:
the app makes no external request and its pages reference no external URL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from geoaccess.venues import load_venues

from . import (
    admin_data,
    admin_users,
    admin_venues,
    api,
    auth,
    converters,
    data,
    manager,
    officer,
    security,
    vendor,
    views,
)


def create_app(test_config: Mapping[str, Any] | None = None, *, settings: Mapping[str, Any] | None = None) -> Flask:
    """Create the Flask app.

    Configuration comes from ``instance/config.py`` if present (skipped when
    ``test_config`` is given), then ``test_config``, then ``settings`` (the
    ``serve`` command's options). Keys:

    ``VENUE_LOADER``
        Zero-argument callable returning the venues to show (default
        :func:`geoaccess.venues.load_venues`: the pack's registry, merged with
        the file named by ``GEOACCESS_VENUES`` if set).

    ``DATABASE_URL``
        SQLAlchemy URL of the accounts/jobs database (default: the environment
        variable ``DATABASE_URL``, else ``instance/geoaccess.sqlite``);
        PostgreSQL as ``postgresql+psycopg://user:password@host/db``.
    ``VENUES_FILE``
        The user venue file admins' venue changes are written to, merged over
        the loaded venues at start-up when it exists (default:
        ``instance/venues.geojson``).
    ``BOOTSTRAP_ADMIN``
        Create the first-start ``admin`` when there are no users (default: on
        unless ``TESTING``).
    ``SECRET_KEY``
        Session-signing key (default: ``GEOACCESS_SECRET_KEY``, else a random
        key kept in ``instance/secret_key``).
    ``DATA_NETWORK``, ``DATA_GTFS``, ``DATA_CIF``, ``DATA_WARM``
        The road network folder and timetables every computation uses
        (default: ``GEOACCESS_NETWORK``, ``GEOACCESS_GTFS``, ``GEOACCESS_CIF``,
        else the pack's modelled ones), loaded here: see :mod:`geoaccess.web.data`.

    The venue loader and the data load run once, here, so a bad venue file or
    data path stops start-up with a message naming it, and requests share what
    was loaded.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters.update(converters.CONVERTERS)  # before any route that uses them
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # database, secret key: owner only
    app.config.from_mapping(
        VENUE_LOADER=load_venues,
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'geoaccess.sqlite'}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True,  # Chromium keeps Secure cookies on http://127.0.0.1 and localhost
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),  # a working day; sign in again after
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.from_mapping(settings or {})
    data.init_app(app)  # first: a bad data path stops start-up before the secret key or database is made
    if not app.config.get("SECRET_KEY"):  # Flask's default config holds SECRET_KEY=None
        app.config["SECRET_KEY"] = os.environ.get("GEOACCESS_SECRET_KEY") or _instance_secret(app)

    app.extensions["geoaccess"] = {"venues": app.config["VENUE_LOADER"]()}
    security.init_app(app)  # first: its nonce and headers apply to every response
    app.register_blueprint(vendor.bp)
    app.register_blueprint(views.bp)
    for part in (auth, admin_users, admin_venues, admin_data, officer, api, manager):
        part.init_app(app)
    return app


def _instance_secret(app: Flask) -> str:
    """The session-signing key kept in the instance folder, made on first start (never a fixed default)."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
