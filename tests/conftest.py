"""Shared fixtures: the shipped pack, the raw sources (when present), and no network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from geoaccess.pack import Pack, load_pack
from geoaccess.settings import REPO_ROOT

SHARED = Path(os.environ.get("GEOACCESS_SHARED", REPO_ROOT.parent / "shared"))


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to reach beyond this machine."""
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            raise OSError(f"tests may not use the network (tried {address!r})")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True, scope="session")
def private_instance_folders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every Flask app a test makes gets a fresh instance folder of its own, and no test reads the
    developer's DATABASE_URL, secret key or venue file.

    Left to Flask, every app shares the checkout's instance/ folder: its SQLite database, secret_key,
    venues.geojson and planner/ (uploads, and job maps by job id, which restart at 1 in each test's
    database). Under pytest-xdist two workers then wrote the same instance/planner/jobs/1/ at once.
    """
    from flask import Flask

    from geoaccess.web.data import SETTINGS as DATA_SETTINGS

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "auto_find_instance_path", lambda app: str(tmp_path_factory.mktemp("instance")))
        for name in ("DATABASE_URL", "GEOACCESS_SECRET_KEY", "GEOACCESS_VENUES", *DATA_SETTINGS.values()):
            patch.delenv(name, raising=False)
        patch.setenv("GEOACCESS_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def pack() -> Pack:
    """The shipped default pack."""
    return load_pack()


@pytest.fixture(scope="session")
def shared_source() -> Path:
    """The raw open data folder (../shared); skipped where it is absent, as on a user's machine."""
    if not (SHARED / "data").is_dir() or not (SHARED / "facts").is_dir():
        pytest.skip(
            f"raw sources not found at {SHARED} (set GEOACCESS_SHARED); they are only needed to rebuild the pack"
        )
    return SHARED


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium for the browser tests (skipped, saying why, where it is absent)."""
    from browser_support import launch_chromium

    yield from launch_chromium()
