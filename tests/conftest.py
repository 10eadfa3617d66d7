"""Shared fixtures: the shipped pack, the raw sources (when present), and no network."""

from __future__ import annotations

import ipaddress
import os
import socket
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
