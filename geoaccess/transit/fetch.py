"""Download public transport timetables: a Bus Open Data Service region's GTFS and Network Rail's full CIF.

Both go through :func:`geoaccess.downloads.fetch_checked`: resumed with HTTP Range where the server allows
it, over their size limit refused, a kept copy re-used unless ``force`` or the server says it changed, and
a sidecar ``<file>.json`` recording the URL, size, SHA-256, download time and the server's ETag and
Last-Modified. Neither source publishes a checksum, so what is checked is the file itself:

- **BODS** (Department for Transport, England): ``<base>/<region>/`` gives the region's timetables as one
  GTFS zip, rebuilt daily, without an API key. The zip must open within the GTFS limits of
  :mod:`geoaccess.defaults` (``GTFS_MAX_ZIP_BYTES``, ``GTFS_MAX_MEMBERS``, ``GTFS_MAX_UNCOMPRESSED_BYTES``,
  ``GTFS_MAX_RATIO``, checked by :mod:`geoaccess.bounded_zip` before any member is read), hold every file
  :func:`~geoaccess.transit.gtfs.read_gtfs` requires and a calendar, and every member must unpack whole with
  its CRC-32 right. The rows are not read: ``read_gtfs`` checks them when the feed is used.
- **Network Rail Open Data**, SCHEDULE feed, ``CIF_ALL_FULL_DAILY`` as CIF (``toc-full.CIF.gz``): every
  operator's full extract, which :func:`~geoaccess.transit.cif.read_cif` reads. It needs a free account, given
  as HTTP basic auth from the environment only (:data:`USER_VARIABLE`, :data:`PASSWORD_VARIABLE`); Network
  Rail redirects to the file's host, which is not sent the credentials. The gzip is unpacked as a stream,
  refused beyond ``CIF_MAX_FILE_BYTES`` (the most ``read_cif`` reads), and must end whole (gzip's CRC-32
  and length), begin with an HD header marked as a full extract and end with the ZZ trailer.
"""

from __future__ import annotations

import base64
import gzip
import os
import zipfile
import zlib
from pathlib import Path

from geoaccess import defaults
from geoaccess.bounded_zip import ZipLimits, ZipOverLimit, open_checked
from geoaccess.downloads import CHUNK, DownloadError, Fetched, Limit, Source, fetch_checked
from geoaccess.errors import BadInput

BODS_GTFS = "https://data.bus-data.dft.gov.uk/timetable/download/gtfs-file"
BODS_REGIONS = (
    "north_west",
    "north_east",
    "yorkshire",
    "east_midlands",
    "west_midlands",
    "east_anglia",
    "south_east",
    "south_west",
    "london",
    "england",
    "scotland",
    "wales",
    "all",
)
"""The regions BODS publishes a GTFS zip for (``north_west`` holds Cumbria and Lancashire)."""
NETWORK_RAIL_CIF = (
    "https://publicdatafeeds.networkrail.co.uk/ntrod/CifFileAuthenticate?type=CIF_ALL_FULL_DAILY&day=toc-full.CIF.gz"
)
RAIL_FILE = "network_rail_full.CIF"
USER_VARIABLE = "GEOACCESS_NROD_USERNAME"
"""The environment variable holding the Network Rail Open Data account's user name (its e-mail address)."""
PASSWORD_VARIABLE = "GEOACCESS_NROD_PASSWORD"
"""The environment variable holding that account's password."""
_ZIP_SETTINGS = {
    "members": "GTFS_MAX_MEMBERS",
    "member": "GTFS_MAX_UNCOMPRESSED_BYTES",
    "total": "GTFS_MAX_UNCOMPRESSED_BYTES",
    "ratio": "GTFS_MAX_RATIO",
}
_CIF_HEAD_BYTES = 80
"""The HD record's length: all that is checked of the start."""
_CIF_TAIL_BYTES = 1024


def fetch_bods(region: str, dest: Path, *, base_url: str = BODS_GTFS, force: bool = False) -> Fetched:
    """Make ``dest/bods_<region>_gtfs.zip`` hold BODS's current GTFS for ``region``, checked as the module says.

    Raises
    ------
    BadInput
        For a region BODS does not publish.
    DownloadError
        If the server cannot be reached or refuses, the download breaks off (run again to resume), or the
        file is over a limit or fails its check (the download is deleted; a copy already in place stays).
    """
    if region not in BODS_REGIONS:
        raise BadInput(f"unknown BODS region {region!r}: choose from {', '.join(BODS_REGIONS)}")
    target = Path(dest) / f"bods_{region}_gtfs.zip"
    source = Source(f"{base_url.rstrip('/')}/{region}/", Limit(defaults.GTFS_MAX_ZIP_BYTES, "GTFS_MAX_ZIP_BYTES"))
    return fetch_checked(source, target, target.with_name(f"{target.name}.part"), prepare=check_gtfs_zip, force=force)


def fetch_rail(dest: Path, *, url: str = NETWORK_RAIL_CIF, force: bool = False) -> Fetched:
    """Make ``dest/network_rail_full.CIF`` hold Network Rail's current full CIF, checked as the module says.

    Raises
    ------
    BadInput
        If :data:`USER_VARIABLE` or :data:`PASSWORD_VARIABLE` is not set.
    DownloadError
        As :func:`fetch_bods`; also when Network Rail refuses the account.
    """
    source = Source(url, Limit(defaults.CIF_MAX_FILE_BYTES, "CIF_MAX_FILE_BYTES"), secret=rail_login())
    target = Path(dest) / RAIL_FILE
    try:
        return fetch_checked(source, target, target.with_name(f"{RAIL_FILE}.gz.part"), prepare=unpack_cif, force=force)
    except DownloadError as error:
        if error.answered not in (401, 403):
            raise
        raise DownloadError(
            f"Network Rail refused the account in {USER_VARIABLE} and {PASSWORD_VARIABLE} ({error}): "
            "check them, and that the account is subscribed to the SCHEDULE feed",
            answered=error.answered,
        ) from None


def rail_login() -> dict[str, str]:
    """The Authorization header for the Network Rail account in the environment; :class:`BadInput` naming
    what is unset (call it first to refuse before any download)."""
    user, password = os.environ.get(USER_VARIABLE, ""), os.environ.get(PASSWORD_VARIABLE, "")
    missing = [name for name, value in ((USER_VARIABLE, user), (PASSWORD_VARIABLE, password)) if not value]
    if missing:
        raise BadInput(
            f"the rail timetable needs a free Network Rail Open Data account subscribed to the SCHEDULE feed: "
            f"set {' and '.join(missing)} in the environment"
        )
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def check_gtfs_zip(path: Path) -> Path:
    """``path`` once it is a whole GTFS zip within the limits, holding the files a feed needs; else DownloadError."""
    from geoaccess.transit.gtfs import CALENDAR_FILES, REQUIRED_FILES  # pandas loads only when it is needed

    name = path.name.removesuffix(".part")
    limits = ZipLimits(
        members=defaults.GTFS_MAX_MEMBERS,
        unpacked_bytes=defaults.GTFS_MAX_UNCOMPRESSED_BYTES,
        ratio=defaults.GTFS_MAX_RATIO,
    )
    try:
        with open_checked(path, limits) as archive:
            present = {member.filename.rsplit("/", 1)[-1] for member in archive.infolist()}
            missing = [file for file in REQUIRED_FILES if file not in present]
            if not present.intersection(CALENDAR_FILES):
                missing.append(" or ".join(CALENDAR_FILES))
            if missing:
                raise DownloadError(f"{name} is refused: it is not a GTFS feed (no {', '.join(missing)})")
            damaged = archive.testzip()  # reads every member, at most its checked size, and checks its CRC-32
    except ZipOverLimit as over:
        raise DownloadError(f"{name} is refused: the zip passes the limit {_ZIP_SETTINGS[over.limit]}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
        raise _damaged(name, exc) from None
    if damaged is not None:
        raise _damaged(name, f"member {damaged} fails its CRC-32 check")
    return path


def unpack_cif(path: Path) -> Path:
    """The CIF unpacked from the gzip ``path`` as a stream (``<name>.unpacking`` beside it), once it is whole,
    within ``CIF_MAX_FILE_BYTES``, a full extract (HD update indicator F) and ends with ZZ; else DownloadError."""
    name = path.name.removesuffix(".part")
    out = path.with_name(f"{name.removesuffix('.gz')}.unpacking")
    most = defaults.CIF_MAX_FILE_BYTES
    head, tail, written = b"", b"", 0
    try:
        with gzip.open(path, "rb") as stream, out.open("wb") as sink:
            for block in iter(lambda: stream.read(CHUNK), b""):
                written += len(block)
                if written > most:
                    raise DownloadError(
                        f"{name} is refused: it unpacks to more than {most:,} bytes (CIF_MAX_FILE_BYTES)"
                    )
                head = (head + block)[:_CIF_HEAD_BYTES] if len(head) < _CIF_HEAD_BYTES else head
                tail = (tail + block)[-_CIF_TAIL_BYTES:]
                sink.write(block)
        _check_cif(name, head, tail)
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        out.unlink(missing_ok=True)
        raise _damaged(name, exc) from None
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out


def _check_cif(name: str, head: bytes, tail: bytes) -> None:
    """Refuse a CIF that does not open with a full extract's HD header or does not end with the ZZ trailer."""
    if not (head.startswith(b"HD") and head[46:47] == b"F"):
        raise DownloadError(f"{name} is refused: it does not begin with the HD header of a full CIF extract")
    lines = tail.rstrip().splitlines()
    if not (lines and lines[-1].startswith(b"ZZ")):
        raise _damaged(name, "no ZZ trailer record at the end")


def _damaged(name: str, why: object) -> DownloadError:
    return DownloadError(f"{name} is damaged or incomplete ({why}); it was deleted: run the command again")
