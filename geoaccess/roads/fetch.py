"""Download Geofabrik's OpenStreetMap extracts for Cumbria and Lancashire.

Each ``<region>-latest.osm.pbf`` is fetched into ``<name>.part``, resuming a
broken download with an HTTP Range request, and is renamed to its final name
only when its MD5 matches the ``<name>.md5`` file Geofabrik publishes beside
it. A copy already in the folder with the current checksum is kept as is.
Standard library only (urllib), with a progress bar on stderr.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from geoaccess import __version__
from geoaccess.errors import BadInput, GeoaccessError

GEOFABRIK_ENGLAND = "https://download.geofabrik.de/europe/united-kingdom/england"
REGIONS = ("cumbria", "lancashire")
TIMEOUT_S = 60
CHUNK = 1 << 20
_MD5 = re.compile(r"^[0-9a-f]{32}$")


class DownloadError(GeoaccessError):
    """A download failed: no connection, an HTTP error, or a checksum that does not match."""


class _NothingLeft(Exception):
    """A ranged request started at the end of the file: the partial download is whole."""


@dataclass(frozen=True)
class Fetched:
    """A region's extract on disk: where, its MD5, and whether it was downloaded just now."""

    region: str
    path: Path
    md5: str
    downloaded: bool


def md5_of(path: Path) -> str:
    """Hex MD5 of a file's bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_extract(region: str, dest: Path, *, base_url: str = GEOFABRIK_ENGLAND) -> Fetched:
    """Make ``dest`` hold the current ``<region>-latest.osm.pbf``, checked against its MD5.

    Raises
    ------
    DownloadError
        If the server cannot be reached or refuses, the download breaks off
        (run again to resume) or the checksum does not match (the download is deleted).
    """
    if region not in REGIONS:
        raise BadInput(f"unknown region {region!r}: choose from {', '.join(REGIONS)}")
    name = f"{region}-latest.osm.pbf"
    url = f"{base_url.rstrip('/')}/{name}"
    expected = _published_md5(url + ".md5")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    if target.is_file() and md5_of(target) == expected:
        return Fetched(region, target, expected, downloaded=False)
    part = dest / f"{name}.part"
    _download(url, part)
    actual = md5_of(part)
    if actual != expected:
        part.unlink()
        raise DownloadError(
            f"{name} failed its checksum (MD5 {actual}, {name}.md5 says {expected}); "
            "the download was deleted: run the command again"
        )
    part.replace(target)
    return Fetched(region, target, expected, downloaded=True)


def _open(url: str, start: int = 0) -> http.client.HTTPResponse:
    """The response for ``url`` from byte ``start`` on."""
    headers = {"User-Agent": f"geoaccess/{__version__} (urllib)"}
    if start:
        headers["Range"] = f"bytes={start}-"
    host = urlsplit(url).netloc
    try:
        # typeshed types urlopen's result as Any; for an http(s) URL it is an HTTPResponse
        response: http.client.HTTPResponse = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S
        )
        return response
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # Range Not Satisfiable
            raise _NothingLeft from exc
        raise DownloadError(f"{host} answered {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {host}: no internet connection? ({reason})") from exc


def _published_md5(url: str) -> str:
    """The checksum in a ``.md5`` file (``<hex>  <file name>``)."""
    with _open(url) as response:
        text = response.read(4096).decode("ascii", "replace")
    checksum = text.split()[0].lower() if text.split() else ""
    if not _MD5.match(checksum):
        raise DownloadError(f"{url} is not an MD5 checksum file")
    return checksum


def _download(url: str, part: Path) -> None:
    """Fetch ``url`` into ``part``, continuing from what ``part`` already holds."""
    start = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, start)
    except _NothingLeft:
        return
    with response:
        if response.status != 206:  # the server sent the whole file: start over
            start = 0
        size = start + int(response.headers.get("Content-Length") or 0)
        name = part.name.removesuffix(".part")
        received = start
        with part.open("ab" if start else "wb") as out:
            try:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    out.write(chunk)
                    received += len(chunk)
                    _show_progress(name, received, size)
            except (OSError, http.client.HTTPException) as exc:
                raise _broke_off(name, received, repr(exc)) from exc
            _show_progress(name, received, size, done=True)
    if received < size:  # the connection closed early
        raise _broke_off(name, received, f"{size / 1e6:.1f} MB expected")


def _show_progress(name: str, received: int, size: int, *, done: bool = False) -> None:
    """``name: 12.3 of 98.7 MB`` on one line of a terminal's stderr (nothing when stderr is not a terminal)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{name}: {received / 1e6:.1f} of {size / 1e6:.1f} MB" + ("\n" if done else ""))
        sys.stderr.flush()


def _broke_off(name: str, received: int, why: str) -> DownloadError:
    return DownloadError(
        f"the download of {name} broke off after {received / 1e6:.1f} MB ({why}): run the command again to resume it"
    )
