"""Downloading BODS bus timetables and Network Rail's CIF: against test_fetch's local server, never the internet."""

from __future__ import annotations

import base64
import gzip
import io
import json
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_fetch import Site, closed_port, serving

from geoaccess import defaults
from geoaccess._io import sha256_of
from geoaccess.cli.data import fetch
from geoaccess.downloads import DownloadError
from geoaccess.errors import BadInput
from geoaccess.transit.fetch import fetch_bods, fetch_rail

DATA = Path(__file__).parent / "data" / "gtfs"
FEED = (DATA / "gtfs_kit_sample_gtfs.zip").read_bytes()
NEWER_FEED = (DATA / "cairns_gtfs.zip").read_bytes()
CIF = (Path(__file__).parent / "fixtures" / "cif" / "small.cif").read_bytes()
ZIP = "bods_north_west_gtfs.zip"
NROD = "CifFileAuthenticate?type=CIF_ALL_FULL_DAILY&day=toc-full.CIF.gz"
USER, PASSWORD = "officer@example.org", "correct horse battery"
LOGIN = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


@pytest.fixture
def site() -> Iterator[Site]:
    yield from serving({})


def serve_feed(site: Site, body: bytes = FEED, etag: str | None = '"v1"') -> str:
    """Serve ``body`` as BODS's North West GTFS; the base URL to give fetch_bods."""
    site.files["north_west"] = body
    if etag is not None:
        site.etags["north_west"] = etag
    return f"{site.url}/timetable/download/gtfs-file"


def serve_rail(site: Site, cif: bytes = CIF) -> str:
    """Serve ``cif`` gzipped as Network Rail does (a login, then a redirect to a host that wants none); its URL."""
    site.logins[NROD] = LOGIN
    site.redirects[NROD] = "/files/toc-full.CIF.gz"
    site.files["toc-full.CIF.gz"] = gzip.compress(cif)
    site.etags["toc-full.CIF.gz"] = '"cif1"'
    return f"{site.url}/ntrod/{NROD}"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOACCESS_NROD_USERNAME", USER)
    monkeypatch.setenv("GEOACCESS_NROD_PASSWORD", PASSWORD)


def feed_requests(site: Site) -> list[str | None]:
    """The Range header of each request for the North West feed."""
    return [wanted for name, wanted in site.requests if name == "north_west"]


def without(member: str, body: bytes = FEED) -> bytes:
    """The feed zip with ``member`` left out."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            if info.filename != member:
                copy.writestr(info, source.read(info))
    return out.getvalue()


def corrupted(body: bytes = FEED) -> bytes:
    """The feed zip with a byte of stop_times.txt's stored data changed (its CRC-32 no longer matches)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        info = archive.getinfo("stop_times.txt")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    return body[:at] + bytes([body[at] ^ 0xFF]) + body[at + 1 :]


# --- BODS --------------------------------------------------------------------------------------


def test_bods_full_download_records_what_was_checked(site, tmp_path):
    base = serve_feed(site)
    result = fetch_bods("north_west", tmp_path, base_url=base)
    assert result.downloaded and result.record.path == tmp_path / ZIP
    assert (tmp_path / ZIP).read_bytes() == FEED
    record = json.loads((tmp_path / f"{ZIP}.json").read_text())
    assert record["url"] == f"{base}/north_west/" and record["bytes"] == len(FEED)
    assert record["sha256"] == sha256_of(tmp_path / ZIP) and record["etag"] == '"v1"'
    assert record["downloaded_at"].endswith("+00:00")
    assert sorted(path.name for path in tmp_path.iterdir()) == [ZIP, f"{ZIP}.json"]


def test_bods_resumes_a_partial_download(site, tmp_path):
    base = serve_feed(site, NEWER_FEED)
    (tmp_path / f"{ZIP}.part").write_bytes(NEWER_FEED[:100_000])
    fetch_bods("north_west", tmp_path, base_url=base)
    assert feed_requests(site) == ["bytes=100000-"]
    assert (tmp_path / ZIP).read_bytes() == NEWER_FEED


def test_bods_an_unchanged_copy_is_kept_after_asking_the_server(site, tmp_path):
    base = serve_feed(site)
    first = fetch_bods("north_west", tmp_path, base_url=base)
    again = fetch_bods("north_west", tmp_path, base_url=base)
    assert not again.downloaded and again.record == first.record
    assert site.headers[-1]["If-None-Match"] == '"v1"'  # answered 304: no body sent
    assert len(feed_requests(site)) == 2


def test_bods_a_copy_the_server_changed_is_replaced(site, tmp_path):
    base = serve_feed(site)
    fetch_bods("north_west", tmp_path, base_url=base)
    serve_feed(site, NEWER_FEED, '"v2"')
    result = fetch_bods("north_west", tmp_path, base_url=base)
    assert result.downloaded and result.record.etag == '"v2"'
    assert (tmp_path / ZIP).read_bytes() == NEWER_FEED


def test_bods_without_a_stamp_the_copy_is_kept_until_force(site, tmp_path):
    base = serve_feed(site, etag=None)
    fetch_bods("north_west", tmp_path, base_url=base)
    assert not fetch_bods("north_west", tmp_path, base_url=base).downloaded
    assert len(feed_requests(site)) == 1  # nothing to ask the server
    assert fetch_bods("north_west", tmp_path, base_url=base, force=True).downloaded
    assert len(feed_requests(site)) == 2


def test_bods_an_altered_copy_is_downloaded_again(site, tmp_path):
    base = serve_feed(site)
    fetch_bods("north_west", tmp_path, base_url=base)
    (tmp_path / ZIP).write_bytes(NEWER_FEED)  # no longer the bytes its record describes
    assert fetch_bods("north_west", tmp_path, base_url=base).downloaded
    assert (tmp_path / ZIP).read_bytes() == FEED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (FEED[:-200], f"{ZIP} is damaged or incomplete"),  # the server sent all it had: a truncated zip
        (corrupted(), f"{ZIP} is damaged or incomplete"),
        (b"<html>maintenance</html>", f"{ZIP} is damaged or incomplete"),
        (without("stop_times.txt"), f"{ZIP} is refused: it is not a GTFS feed \\(no stop_times.txt\\)"),
        (without("calendar.txt", without("calendar_dates.txt")), "no calendar.txt or calendar_dates.txt"),
    ],
    ids=["truncated", "bad-crc", "not-a-zip", "no-stop-times", "no-calendar"],
)
def test_bods_a_bad_zip_is_refused_and_nothing_left(site, tmp_path, body, message):
    base = serve_feed(site, body)
    with pytest.raises(DownloadError, match=message):
        fetch_bods("north_west", tmp_path, base_url=base)
    assert list(tmp_path.iterdir()) == []


def test_bods_a_bad_download_leaves_the_copy_in_place(site, tmp_path):
    base = serve_feed(site)
    fetch_bods("north_west", tmp_path, base_url=base)
    serve_feed(site, FEED[:-200], '"v2"')
    with pytest.raises(DownloadError, match="damaged or incomplete"):
        fetch_bods("north_west", tmp_path, base_url=base)
    assert (tmp_path / ZIP).read_bytes() == FEED
    assert sorted(path.name for path in tmp_path.iterdir()) == [ZIP, f"{ZIP}.json"]


def test_bods_limits_refuse_before_and_after_the_download(site, tmp_path, monkeypatch):
    base = serve_feed(site)
    monkeypatch.setattr(defaults, "GTFS_MAX_ZIP_BYTES", len(FEED) - 1)
    with pytest.raises(DownloadError, match=f"more than the limit of {len(FEED) - 1:,} bytes \\(GTFS_MAX_ZIP_BYTES\\)"):
        fetch_bods("north_west", tmp_path, base_url=base)
    monkeypatch.setattr(defaults, "GTFS_MAX_ZIP_BYTES", len(FEED))
    monkeypatch.setattr(defaults, "GTFS_MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(DownloadError, match="passes the limit GTFS_MAX_UNCOMPRESSED_BYTES"):
        fetch_bods("north_west", tmp_path, base_url=base)
    assert list(tmp_path.iterdir()) == []


def test_bods_unknown_region(tmp_path):
    with pytest.raises(BadInput, match="unknown BODS region 'cumbria': choose from north_west"):
        fetch_bods("cumbria", tmp_path)


# --- rail --------------------------------------------------------------------------------------


def test_rail_full_download_unpacks_the_cif(site, tmp_path, account):
    result = fetch_rail(tmp_path, url=serve_rail(site))
    assert result.downloaded and (tmp_path / "network_rail_full.CIF").read_bytes() == CIF
    assert result.record.sha256 == sha256_of(tmp_path / "network_rail_full.CIF") and result.record.etag == '"cif1"'
    assert sorted(path.name for path in tmp_path.iterdir()) == ["network_rail_full.CIF", "network_rail_full.CIF.json"]
    login, file_host = site.headers
    assert login["Authorization"] == LOGIN and "Authorization" not in file_host  # not forwarded on the redirect


def test_rail_resumes_and_keeps_an_unchanged_copy(site, tmp_path, account):
    url = serve_rail(site)
    packed = site.files["toc-full.CIF.gz"]
    (tmp_path / "network_rail_full.CIF.gz.part").write_bytes(packed[:200])
    fetch_rail(tmp_path, url=url)
    assert site.requests[-1] == ("toc-full.CIF.gz", "bytes=200-")
    assert not fetch_rail(tmp_path, url=url).downloaded
    assert site.headers[-1]["If-None-Match"] == '"cif1"'
    assert (tmp_path / "network_rail_full.CIF").read_bytes() == CIF


@pytest.mark.parametrize(
    ("packed", "message"),
    [
        (gzip.compress(CIF)[:-20], "network_rail_full.CIF.gz is damaged or incomplete"),
        (gzip.compress(CIF[: CIF.rindex(b"ZZ")]), "no ZZ trailer record at the end"),
        (gzip.compress(CIF[:46] + b"U" + CIF[47:]), "does not begin with the HD header of a full CIF extract"),
        (CIF, "network_rail_full.CIF.gz is damaged or incomplete"),  # not gzipped
    ],
    ids=["truncated", "no-trailer", "update-extract", "not-gzip"],
)
def test_rail_a_bad_file_is_refused_and_nothing_left(site, tmp_path, account, packed, message):
    url = serve_rail(site)
    site.files["toc-full.CIF.gz"] = packed
    with pytest.raises(DownloadError, match=message):
        fetch_rail(tmp_path, url=url)
    assert list(tmp_path.iterdir()) == []


def test_rail_unpacking_stops_at_the_limit(site, tmp_path, account, monkeypatch):
    url = serve_rail(site)
    monkeypatch.setattr(defaults, "CIF_MAX_FILE_BYTES", len(CIF) - 1)
    with pytest.raises(DownloadError, match=f"unpacks to more than {len(CIF) - 1:,} bytes \\(CIF_MAX_FILE_BYTES\\)"):
        fetch_rail(tmp_path, url=url)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("unset", ["GEOACCESS_NROD_USERNAME", "GEOACCESS_NROD_PASSWORD"])
def test_rail_missing_credentials_are_named(site, tmp_path, account, monkeypatch, unset):
    monkeypatch.delenv(unset)
    with pytest.raises(BadInput, match=f"Network Rail Open Data account .*: set {unset} in the environment$"):
        fetch_rail(tmp_path, url=serve_rail(site))
    assert site.requests == []


def test_rail_a_refused_account_never_shows_the_password(site, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOACCESS_NROD_USERNAME", USER)
    monkeypatch.setenv("GEOACCESS_NROD_PASSWORD", "wrong password")
    with pytest.raises(DownloadError, match="Network Rail refused the account in GEOACCESS_NROD_USERNAME") as refused:
        fetch_rail(tmp_path, url=serve_rail(site))
    assert "wrong password" not in str(refused.value) and "401" in str(refused.value)


# --- offline -----------------------------------------------------------------------------------


def test_offline_gives_one_clear_message(tmp_path, account):
    host = f"127.0.0.1:{closed_port()}"
    with pytest.raises(DownloadError, match=f"cannot reach {host}: no internet connection"):
        fetch_bods("north_west", tmp_path, base_url=f"http://{host}/gtfs-file")
    with pytest.raises(DownloadError, match=f"cannot reach {host}: no internet connection"):
        fetch_rail(tmp_path, url=f"http://{host}/ntrod/{NROD}")
    assert list(tmp_path.iterdir()) == []


# --- the command -------------------------------------------------------------------------------


def test_fetch_command_bods_and_rail(site, tmp_path, account):
    options = ["--bods-region", "north_west", "--rail", "--dest", str(tmp_path)]
    options += ["--bods-url", serve_feed(site), "--rail-url", serve_rail(site)]
    result = CliRunner().invoke(fetch, [*options, "--json"])
    assert result.exit_code == 0, result.output
    bus, rail = json.loads(result.stdout)
    assert {key: bus[key] for key in ("source", "region", "path", "bytes", "downloaded")} == {
        "source": "bods",
        "region": "north_west",
        "path": str(tmp_path / ZIP),
        "bytes": len(FEED),
        "downloaded": True,
    }
    assert rail["source"] == "rail" and rail["sha256"] == sha256_of(tmp_path / "network_rail_full.CIF")
    assert all(name.startswith(("north_west", "toc-full", "CifFile")) for name, _ in site.requests)  # no OSM
    text = CliRunner().invoke(fetch, options).stdout.splitlines()
    assert text[0].startswith(
        f"bods north_west: {tmp_path / ZIP} ({len(FEED):,} bytes, SHA-256 {bus['sha256']}, {bus['date']}"
    )
    assert text[0].endswith("already up to date)") and text[1].startswith("rail great_britain: ")
    assert PASSWORD not in result.output + "\n".join(text)


def test_fetch_command_without_credentials_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("GEOACCESS_NROD_USERNAME", raising=False)
    monkeypatch.delenv("GEOACCESS_NROD_PASSWORD", raising=False)
    result = CliRunner().invoke(fetch, ["--rail", "--dest", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "geoaccess: the rail timetable needs a free Network Rail Open Data account subscribed to the SCHEDULE "
        "feed: set GEOACCESS_NROD_USERNAME and GEOACCESS_NROD_PASSWORD in the environment"
    )


def test_fetch_command_offline_is_one_line(tmp_path, monkeypatch):
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)  # offline, and no DNS query leaves the machine
    result = CliRunner().invoke(fetch, ["--bods-region", "north_west", "--dest", str(tmp_path)])  # the real BODS URL
    assert result.exit_code == 2
    assert result.stderr.startswith("geoaccess: cannot reach data.bus-data.dft.gov.uk: no internet connection?")
    assert len(result.stderr.strip().splitlines()) == 1
