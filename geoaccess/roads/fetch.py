"""Download Geofabrik's OpenStreetMap extracts for Cumbria and Lancashire.

Each ``<region>-latest.osm.pbf`` is fetched by :func:`geoaccess.downloads.download` into
``<name>.part`` (resuming a broken download with an HTTP Range request, refusing more than
``OSM_MAX_FILE_BYTES``), and is renamed to its final name only when its MD5 matches the
``<name>.md5`` file Geofabrik publishes beside it. A copy already in the folder with the
current checksum is kept as is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from geoaccess import defaults
from geoaccess.downloads import CHUNK, DownloadError, Limit, Source, download, open_url
from geoaccess.errors import BadInput

GEOFABRIK_ENGLAND = "https://download.geofabrik.de/europe/united-kingdom/england"
REGIONS = ("cumbria", "lancashire")
_MD5 = re.compile(r"^[0-9a-f]{32}$")


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
        (run again to resume), the file is over ``OSM_MAX_FILE_BYTES`` or the
        checksum does not match (the download is deleted).
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
    download(Source(url, Limit(defaults.OSM_MAX_FILE_BYTES, "OSM_MAX_FILE_BYTES")), part)
    actual = md5_of(part)
    if actual != expected:
        part.unlink()
        raise DownloadError(
            f"{name} failed its checksum (MD5 {actual}, {name}.md5 says {expected}); "
            "the download was deleted: run the command again"
        )
    part.replace(target)
    return Fetched(region, target, expected, downloaded=True)


def _published_md5(url: str) -> str:
    """The checksum in a ``.md5`` file (``<hex>  <file name>``)."""
    with open_url(url) as response:
        text = response.read(4096).decode("ascii", "replace")
    checksum = text.split()[0].lower() if text.split() else ""
    if not _MD5.match(checksum):
        raise DownloadError(f"{url} is not an MD5 checksum file")
    return checksum
