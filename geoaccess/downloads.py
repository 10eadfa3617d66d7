"""Resumable HTTP downloads for ``geoaccess data fetch``: one place for every source (standard library only).

:func:`download` fetches a URL into a ``.part`` file, continuing what that file already holds with an
HTTP Range request (a server that answers 200 rather than 206 sends the whole file, which replaces the
part), with a progress bar on a terminal's stderr. A connection that breaks off keeps the part for the
next run; no connection at all is one line saying so; a server offering more than the caller's limit is
refused before or while reading, and the part deleted. Credentials travel in headers that urllib does not
forward when the server redirects (a Network Rail download is redirected to another host) and are never
put in a message.

:func:`fetch_checked` is the whole fetch for a source that publishes no checksum: it keeps a copy whose
sidecar record (``<file>.json``: URL, size, SHA-256, download time, the server's ETag and Last-Modified)
still matches the file's bytes unless the server says the file changed, otherwise downloads, lets the
caller check (and perhaps unpack) what arrived, and moves it into place only then.
"""

from __future__ import annotations

import http.client
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from geoaccess import __version__
from geoaccess._io import sha256_of, write_atomically
from geoaccess.errors import GeoaccessError

TIMEOUT_S = 60
CHUNK = 1 << 20
RECORD_MAX_BYTES = 64 * 1024
"""Largest sidecar record read; a larger one is ignored (and the file downloaded again)."""


class DownloadError(GeoaccessError):
    """A download failed: no connection, an HTTP error, a file over its limit or one that fails its check."""

    def __init__(self, message: str, *, answered: int | None = None) -> None:
        super().__init__(message)
        self.answered = answered
        """The HTTP status the server answered with, if it answered with an error."""


@dataclass(frozen=True)
class Limit:
    """The most bytes a download may hold, and the :mod:`geoaccess.defaults` setting that says so."""

    most: int
    setting: str


@dataclass(frozen=True)
class Source:
    """Where a file is downloaded from."""

    url: str
    limit: Limit
    secret: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Headers (credentials) sent to ``url`` only: not forwarded on a redirect, never shown."""


@dataclass(frozen=True)
class Stamp:
    """What the server said identifies the file's version (either may be missing)."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, headers: Message) -> Stamp:
        return cls(headers.get("ETag"), headers.get("Last-Modified"))


@dataclass(frozen=True)
class Record:
    """A downloaded file as its sidecar ``<file>.json`` describes it."""

    path: Path
    url: str
    bytes: int
    sha256: str
    downloaded_at: str
    """When the download finished, ISO 8601 in UTC."""
    etag: str | None = None
    last_modified: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True)
class Fetched:
    """A file in place, and whether it was downloaded just now (``False``: an unchanged copy was kept)."""

    record: Record
    downloaded: bool


class _NothingLeft(Exception):
    """A ranged request started at the end of the file: the partial download is whole."""

    def __init__(self, stamp: Stamp) -> None:
        super().__init__()
        self.stamp = stamp


class _NotModified(Exception):
    """The server answered 304 to a conditional request."""


class _OverLimit(Exception):
    """More bytes arrived, or were announced, than the source's limit."""


def open_url(
    url: str, *, start: int = 0, headers: Mapping[str, str] | None = None, secret: Mapping[str, str] | None = None
) -> http.client.HTTPResponse:
    """The response for ``url`` from byte ``start`` on; ``secret`` headers are not forwarded on a redirect.

    Raises
    ------
    DownloadError
        If the server cannot be reached (one line: no internet connection?) or answers with an error.
    """
    agent = {"User-Agent": f"geoaccess/{__version__} (urllib)"}
    request = urllib.request.Request(url, headers={**agent, **(headers or {})})
    if start:
        request.add_header("Range", f"bytes={start}-")
    for name, value in (secret or {}).items():
        request.add_unredirected_header(name, value)
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # messages never show a user name or password
    shown = parts._replace(netloc=host).geturl()
    try:
        # typeshed types urlopen's result as Any; for an http(s) URL it is an HTTPResponse
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=TIMEOUT_S)
        return response
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            raise _NotModified from exc
        if exc.code == 416 and start:  # Range Not Satisfiable
            raise _NothingLeft(Stamp.of(exc.headers)) from exc
        raise DownloadError(f"{host} answered {exc.code} {exc.reason} for {shown}", answered=exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"cannot reach {host}: no internet connection? ({reason})") from exc


def download(source: Source, part: Path) -> Stamp:
    """Fetch ``source`` into ``part``, continuing from what ``part`` already holds; the server's stamp.

    Raises
    ------
    DownloadError
        If the server cannot be reached or refuses, the download breaks off (``part`` is kept: run again to
        resume) or the file is larger than ``source.limit`` (``part`` is deleted).
    """
    start = part.stat().st_size if part.is_file() else 0
    name = part.name.removesuffix(".part")
    try:
        response = open_url(source.url, start=start, secret=source.secret)
    except _NothingLeft as whole:
        return whole.stamp
    try:
        with response:
            if response.status != 206:  # the server sent the whole file: start over
                start = 0
            size = start + int(response.headers.get("Content-Length") or 0)
            if size > source.limit.most:
                raise _OverLimit
            received = _receive(response, part, start, (size, source.limit.most))
            stamp = Stamp.of(response.headers)
    except _OverLimit:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{name} is refused: it holds more than the limit of {source.limit.most:,} bytes "
            f"({source.limit.setting}); nothing was kept"
        ) from None
    if received < size:  # the connection closed early
        raise _broke_off(name, received, f"{size / 1e6:.1f} MB expected")
    return stamp


def _receive(response: http.client.HTTPResponse, part: Path, start: int, sizes: tuple[int, int]) -> int:
    """Append the body to ``part`` (from ``start``), up to the limit ``sizes[1]``; the bytes ``part`` holds."""
    size, most = sizes
    name = part.name.removesuffix(".part")
    received = start
    with part.open("ab" if start else "wb") as out:
        try:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                if received + len(chunk) > most:
                    raise _OverLimit
                out.write(chunk)
                received += len(chunk)
                _show_progress(name, received, size)
        except (OSError, http.client.HTTPException) as exc:
            raise _broke_off(name, received, repr(exc)) from exc
        _show_progress(name, received, size, done=True)
    return received


def fetch_checked(
    source: Source, target: Path, part: Path, *, prepare: Callable[[Path], Path], force: bool = False
) -> Fetched:
    """Make ``target`` hold the file at ``source``, checked by ``prepare``, with its sidecar record.

    A copy whose record names the same URL and still matches the file's size and SHA-256 is kept, unless
    ``force`` or the server says the file changed: asked with ``If-None-Match``/``If-Modified-Since``, it
    answers 200 with another ETag or Last-Modified than recorded (a copy whose server gave neither is kept
    until ``force``). Otherwise the file is downloaded into ``part`` (resuming it), ``prepare(part)`` checks
    it and returns the file to put in place (``part`` itself, or what it unpacked from it), which replaces
    ``target``. Whatever ``prepare`` raises deletes ``part`` and leaves ``target`` as it was (so a part
    resumed across a change on the server, spliced from two versions, is refused by the check and deleted).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not force and (kept := _kept(source, target)) is not None:
        return Fetched(kept, downloaded=False)
    stamp = download(source, part)
    try:
        ready = prepare(part)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    ready.replace(target)
    part.unlink(missing_ok=True)
    record = Record(
        path=target,
        url=source.url,
        bytes=target.stat().st_size,
        sha256=sha256_of(target),
        downloaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        etag=stamp.etag,
        last_modified=stamp.last_modified,
    )
    write_atomically(record_path(target), lambda path: path.write_text(json.dumps(record.to_json(), indent=2)))
    return Fetched(record, downloaded=True)


def record_path(target: Path) -> Path:
    """The sidecar record of a downloaded file: ``<file>.json`` beside it."""
    return target.with_name(f"{target.name}.json")


def _kept(source: Source, target: Path) -> Record | None:
    """The record of ``target`` if the copy can be kept: same URL, same bytes, unchanged on the server."""
    record = _read_record(target)
    if record is None or record.url != source.url or not target.is_file():
        return None
    if target.stat().st_size != record.bytes or sha256_of(target) != record.sha256:
        return None
    return None if _changed(source, record) else record


def _read_record(target: Path) -> Record | None:
    """The sidecar record, or ``None`` when it is missing, too large or not one."""
    path = record_path(target)
    try:
        if path.stat().st_size > RECORD_MAX_BYTES:
            return None
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Record(**{**fields, "path": target})
    except (OSError, ValueError, TypeError):
        return None


def _changed(source: Source, record: Record) -> bool:
    """Whether the server says the file is no longer the one recorded (it is asked only if it gave a stamp)."""
    recorded = Stamp(record.etag, record.last_modified)
    conditions = {"If-None-Match": recorded.etag, "If-Modified-Since": recorded.last_modified}
    headers = {name: value for name, value in conditions.items() if value}
    if not headers:
        return False
    try:
        with open_url(source.url, headers=headers, secret=source.secret) as response:
            return Stamp.of(response.headers) != recorded
    except _NotModified:
        return False


def _show_progress(name: str, received: int, size: int, *, done: bool = False) -> None:
    """``name: 12.3 of 98.7 MB`` on one line of a terminal's stderr (nothing when stderr is not a terminal)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r{name}: {received / 1e6:.1f} of {size / 1e6:.1f} MB" + ("\n" if done else ""))
        sys.stderr.flush()


def _broke_off(name: str, received: int, why: str) -> DownloadError:
    return DownloadError(
        f"the download of {name} broke off after {received / 1e6:.1f} MB ({why}): run the command again to resume it"
    )
