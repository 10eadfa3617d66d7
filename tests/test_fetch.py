"""Downloading OSM extracts: against a local HTTP server with Range support, never the internet."""

from __future__ import annotations

import hashlib
import json
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
    """What the fake Geofabrik serves, and the requests it received."""

    url: str
    files: dict[str, bytes]
    ranges: bool = True  # honour Range requests
    cut_after: int | None = None  # close the connection after this many body bytes
    requests: list[tuple[str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site = self.server.site  # type: ignore[attr-defined]
        wanted = self.headers.get("Range")
        site.requests.append((self.path.rsplit("/", 1)[-1], wanted))
        body = site.files.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.send_error(404, "Not Found")
            return
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
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        sent = body[start:] if site.cut_after is None else body[start : start + site.cut_after]
        self.wfile.write(sent)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    host, port = server.server_address[:2]
    files = {NAME: BODY, f"{NAME}.md5": f"{hashlib.md5(BODY).hexdigest()}  {NAME}\n".encode()}
    server.site = Site(url=f"http://{host}:{port}/europe/united-kingdom/england", files=files)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.site
    server.shutdown()
    server.server_close()


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


def _closed_port() -> int:
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
    host = host.format(closed=_closed_port())
    with pytest.raises(DownloadError, match=f"cannot reach {host}: no internet connection"):
        fetch_extract("cumbria", tmp_path, base_url=f"http://{host}/england")
    assert list(tmp_path.iterdir()) == []


def test_fetch_command(site, tmp_path):
    runner = CliRunner()
    result = runner.invoke(fetch, ["--region", "cumbria", "--dest", str(tmp_path), "--base-url", site.url, "--json"])
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert entry == {
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
