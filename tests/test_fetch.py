"""Downloading OSM extracts: against a local HTTP server with Range support, never the internet."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from geoaccess.cli.data import fetch
from geoaccess.roads.fetch import DownloadError, fetch_extract

NAME = "cumbria-latest.osm.pbf"
BODY = bytes(range(256)) * 4000  # about 1 MB: more than one read chunk


@dataclass
class Site:
    """What the fake server serves (Geofabrik, BODS, Network Rail and its file host), and the requests it received."""

    url: str
    files: dict[str, bytes]
    ranges: bool = True  # honour Range requests
    cut_after: int | None = None  # close the connection after this many body bytes
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    etags: dict[str, str] = field(default_factory=dict)  # a file's ETag (If-None-Match on it answers 304)
    logins: dict[str, str] = field(default_factory=dict)  # the Authorization header a file needs
    redirects: dict[str, str] = field(default_factory=dict)  # a file answered by a redirect to this path
    headers: list[dict[str, str]] = field(default_factory=list)  # every request's headers, in order


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site = self.server.site  # type: ignore[attr-defined]
        name = self.path.rstrip("/").rsplit("/", 1)[-1]
        site.requests.append((name, self.headers.get("Range")))
        site.headers.append(dict(self.headers))
        if not self._allowed(site, name):
            return
        if name in site.redirects:
            self.send_response(302)
            self.send_header("Location", site.redirects[name])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = site.files.get(name)
        if body is None:
            self.send_error(404, "Not Found")
            return
        etag = site.etags.get(name)
        if etag is not None and self.headers.get("If-None-Match") == etag:
            self._empty(304, etag)
            return
        self._send(site, body, etag)

    def _allowed(self, site: Site, name: str) -> bool:
        """Refuse a request without the login a file needs, or with a login for a file that needs none (as S3 does)."""
        given = self.headers.get("Authorization")
        if given != site.logins.get(name):
            self.send_error(401 if name in site.logins else 400, "Unauthorized" if name in site.logins else "Bad")
            return False
        return True

    def _send(self, site: Site, body: bytes, etag: str | None) -> None:
        wanted = self.headers.get("Range")
        start = int(wanted.removeprefix("bytes=").rstrip("-")) if wanted and site.ranges else 0
        if start >= len(body) > 0:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(body)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        if etag is not None:
            self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        sent = body[start:] if site.cut_after is None else body[start : start + site.cut_after]
        self.wfile.write(sent)

    def _empty(self, status: int, etag: str) -> None:
        self.send_response(status)
        self.send_header("ETag", etag)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def serving(files: dict[str, bytes], folder: str = "") -> Iterator[Site]:
    """A local server of ``files`` in a thread, while the caller's fixture lasts; its url is ``folder`` on it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    server.site = Site(url=f"http://{host}:{port}{folder}", files=files)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.site
    server.shutdown()
    server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    files = {NAME: BODY, f"{NAME}.md5": f"{hashlib.md5(BODY).hexdigest()}  {NAME}\n".encode()}
    yield from serving(files, "/europe/united-kingdom/england")


def downloads(site: Site) -> list[str | None]:
    """The Range header of each request for the extract itself."""
    return [wanted for name, wanted in site.requests if name == NAME]


def test_full_download(site, tmp_path):
    result = fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert result.path == tmp_path / NAME and result.downloaded
    assert result.path.read_bytes() == BODY
    assert result.md5 == hashlib.md5(BODY).hexdigest()
    assert not (tmp_path / f"{NAME}.part").exists()


def test_resumes_a_partial_download(site, tmp_path):
    (tmp_path / f"{NAME}.part").write_bytes(BODY[:300_000])
    fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert downloads(site) == ["bytes=300000-"]
    assert (tmp_path / NAME).read_bytes() == BODY


def test_a_complete_partial_file_is_just_checked(site, tmp_path):
    (tmp_path / f"{NAME}.part").write_bytes(BODY)
    assert fetch_extract("cumbria", tmp_path, base_url=site.url).downloaded
    assert (tmp_path / NAME).read_bytes() == BODY


def test_starts_over_when_the_server_ignores_ranges(site, tmp_path):
    site.ranges = False
    (tmp_path / f"{NAME}.part").write_bytes(b"stale bytes")
    fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert (tmp_path / NAME).read_bytes() == BODY


def test_a_broken_connection_keeps_the_part_for_resuming(site, tmp_path):
    site.cut_after = 400_000
    with pytest.raises(DownloadError, match="broke off after 0.4 MB.*run the command again to resume"):
        fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert (tmp_path / f"{NAME}.part").stat().st_size == 400_000
    assert not (tmp_path / NAME).exists()
    site.cut_after = None
    fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert downloads(site)[-1] == "bytes=400000-"
    assert (tmp_path / NAME).read_bytes() == BODY


def test_checksum_mismatch_deletes_the_download(site, tmp_path):
    site.files[f"{NAME}.md5"] = f"{'0' * 32}  {NAME}\n".encode()
    with pytest.raises(DownloadError, match=f"{NAME} failed its checksum"):
        fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert list(tmp_path.iterdir()) == []


def test_an_up_to_date_copy_is_not_downloaded_again(site, tmp_path):
    (tmp_path / NAME).write_bytes(BODY)
    result = fetch_extract("cumbria", tmp_path, base_url=site.url)
    assert not result.downloaded
    assert downloads(site) == []


def test_an_outdated_copy_is_replaced(site, tmp_path):
    (tmp_path / NAME).write_bytes(b"last week's extract")
    assert fetch_extract("cumbria", tmp_path, base_url=site.url).downloaded
    assert (tmp_path / NAME).read_bytes() == BODY


def test_server_errors_and_bad_checksum_files(site, tmp_path):
    with pytest.raises(DownloadError, match=r"answered 404 Not Found for .*lancashire-latest.osm.pbf.md5"):
        fetch_extract("lancashire", tmp_path, base_url=site.url)
    site.files[f"{NAME}.md5"] = b"<html>maintenance</html>"
    with pytest.raises(DownloadError, match="is not an MD5 checksum file"):
        fetch_extract("cumbria", tmp_path, base_url=site.url)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "host",
    [
        "192.0.2.1",  # beyond this machine: the test guard refuses it, as no network would
        "127.0.0.1:{closed}",  # nothing listening
    ],
)
def test_offline_gives_one_clear_message(tmp_path, host):
    host = host.format(closed=closed_port())
    with pytest.raises(DownloadError, match=f"cannot reach {host}: no internet connection"):
        fetch_extract("cumbria", tmp_path, base_url=f"http://{host}/england")
    assert list(tmp_path.iterdir()) == []


def test_fetch_command(site, tmp_path):
    runner = CliRunner()
    result = runner.invoke(fetch, ["--region", "cumbria", "--dest", str(tmp_path), "--base-url", site.url, "--json"])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", entry.pop("date"))  # when it was written, UTC
    assert entry == {
        "source": "osm",
        "region": "cumbria",
        "path": str(tmp_path / NAME),
        "bytes": len(BODY),
        "md5": hashlib.md5(BODY).hexdigest(),
        "downloaded": True,
    }
    again = runner.invoke(fetch, ["--region", "cumbria", "--dest", str(tmp_path), "--base-url", site.url])
    assert "cumbria: " in again.stdout and "already up to date" in again.stdout


def test_fetch_command_offline_is_one_line(tmp_path, monkeypatch):
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # offline, and no DNS query leaves the machine
    monkeypatch.setenv("GEOACCESS_CACHE", str(tmp_path))
    result = CliRunner().invoke(fetch, ["--region", "lancashire"])  # the real Geofabrik URL
    assert result.exit_code == 2
    assert result.stderr.startswith("geoaccess: cannot reach download.geofabrik.de: no internet connection?")
    assert len(result.stderr.strip().splitlines()) == 1
