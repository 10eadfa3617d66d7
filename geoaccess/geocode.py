"""Turn a postcode or ``lat,lon`` text into a checked position in the pack's area.

Error messages say what is wrong without repeating the postcode or
coordinates, so they are safe to show, return from an API or log.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import shapely

from geoaccess.errors import BadInput, OutsideArea, PostcodeError
from geoaccess.geometry import to_bng
from geoaccess.pack import Pack, load_pack

ON_LAND_TOLERANCE_M = 250.0
FULLY_COVERED_AREAS = ("CA", "LA")  # postcode areas the pack holds in full
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_INWARD = re.compile(r"^[0-9][ABD-HJLNP-UW-Z]{2}$")
_LATLON = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*,\s*([+-]?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Location:
    """A checked position with the areas it lies in."""

    lon: float
    lat: float
    easting: float
    northing: float
    lsoa21: str
    lsoa21_name: str
    council: str
    district: str
    postcode: str | None
    precision: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return asdict(self)


def normalise_postcode(text: str) -> str:
    """Canonical ``OUTWARD INWARD`` form of a UK postcode, or a :class:`PostcodeError`.

    Accepts any case and spacing (``"la14 1rp"``, ``"LA141RP"``).
    """
    compact = re.sub(r"\s+", "", text or "").upper()
    if not compact:
        raise PostcodeError("the postcode is empty")
    if not compact.isalnum() or not compact.isascii():
        raise PostcodeError("a postcode may contain only letters, digits and spaces")
    if not 5 <= len(compact) <= 7:
        raise PostcodeError(f"a UK postcode has 5 to 7 letters and digits; this has {len(compact)}")
    outward, inward = compact[:-3], compact[-3:]
    if not _INWARD.match(inward):
        raise PostcodeError("the last three characters of a postcode must be a digit then two letters (as in '1RP')")
    if not _OUTWARD.match(outward):
        raise PostcodeError(
            "the first part of a postcode must be one or two letters, then a digit, "
            "then optionally a digit or letter (as in 'LA14' or 'CA3')"
        )
    return f"{outward} {inward}"


def looks_like_coordinates(text: str) -> bool:
    """True when the text has the ``lat,lon`` shape."""
    return bool(_LATLON.match(text or ""))


def coordinates_of(text: str) -> tuple[float, float] | None:
    """``(lon, lat)`` of ``lat,lon`` text (checked to be on the globe), or None for text of another shape."""
    match = _LATLON.match(text or "")
    if match is None:
        return None
    lat, lon = (float(v) for v in match.groups())
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInput("coordinates must be 'lat,lon' with latitude -90..90 and longitude -180..180")
    return lon, lat


def geocode(query: str, pack: Pack | None = None) -> Location:
    """A postcode or ``lat,lon`` text -> :class:`Location`, checked against the pack's area."""
    pack = pack or load_pack()
    if match := _LATLON.match(query or ""):  # the ``lat,lon`` shape, as in looks_like_coordinates
        lat, lon = (float(v) for v in match.groups())
        return locate_point(lon, lat, pack)
    return geocode_postcode(query, pack)


def geocode_postcode(text: str, pack: Pack | None = None) -> Location:
    """A postcode -> its Code-Point Open position, LSOA and district."""
    pack = pack or load_pack()
    postcode = normalise_postcode(text)
    key = postcode.replace(" ", "")
    if key in pack.postcodes.index:
        row = pack.postcodes.loc[key]
        return Location(
            lon=float(row["lon"]),
            lat=float(row["lat"]),
            easting=float(row["easting"]),
            northing=float(row["northing"]),
            lsoa21=row["lsoa21"],
            lsoa21_name=row["lsoa21_name"],
            council=row["council"],
            district=row["district"],
            postcode=postcode,
            precision="postcode centroid",
            source=_source_label(pack, "codepoint"),
        )
    if key in pack.postcodes_terminated.index:
        row = pack.postcodes_terminated.loc[key]
        raise PostcodeError(
            f"the postcode is no longer in use: terminated {row['terminated']} "
            f"(introduced {row['introduced']}; ONS postcode lookup, May 2022)"
        )
    if key in pack.postcodes_outside.index:
        council = pack.postcodes_outside.loc[key, "council"]
        raise OutsideArea(
            f"the postcode is outside the pack's area: it is in {council}, "
            f"and the pack covers {_area_description(pack)}"
        )
    if postcode[:2].rstrip("0123456789") in FULLY_COVERED_AREAS:
        raise PostcodeError(
            "the postcode is not a current postcode: OS Code-Point Open (April 2025) "
            "does not list it; check it for typing errors"
        )
    raise OutsideArea(f"the postcode is outside the pack's area, which covers {_area_description(pack)}")


def locate_point(lon: float, lat: float, pack: Pack | None = None) -> Location:
    """A WGS84 position -> :class:`Location`, if it is on land in the pack's area."""
    pack = pack or load_pack()
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInput("coordinates must be 'lat,lon' with latitude -90..90 and longitude -180..180")
    west, south, east, north = pack.land.total_bounds
    if not (west <= lon <= east and south <= lat <= north):
        if west <= lat <= east and south <= lon <= north:
            raise BadInput("the coordinates look reversed: give them as 'lat,lon' (latitude first)")
        raise OutsideArea(
            f"the position is outside the pack's area (latitude {south:.2f} to {north:.2f}, "
            f"longitude {west:.2f} to {east:.2f}: {_area_description(pack)})"
        )
    easting, northing = to_bng(lon, lat)
    point = shapely.Point(easting, northing)
    lsoa = _containing_lsoa(pack, point)
    if lsoa is None:
        raise OutsideArea(
            f"the position is not on land in the pack's area, {_area_description(pack)} "
            "(it may be in the sea or an estuary, or in a council the pack does not cover)"
        )
    return Location(
        lon=round(lon, 6),
        lat=round(lat, 6),
        easting=round(easting, 1),
        northing=round(northing, 1),
        lsoa21=lsoa["lsoa21"],
        lsoa21_name=lsoa["lsoa21_name"],
        council=lsoa["council"],
        district=_district_at(pack, point),
        postcode=None,
        precision="coordinates",
        source="coordinates given",
    )


def _containing_lsoa(pack: Pack, point: shapely.Point) -> dict[str, Any] | None:
    """The LSOA containing the point, or the nearest within the on-land tolerance."""
    lsoas = pack.lsoas_bng
    hits = lsoas.sindex.query(point, predicate="intersects")
    if len(hits) == 0:
        hits = lsoas.sindex.query(point, predicate="dwithin", distance=ON_LAND_TOLERANCE_M)
        if len(hits) == 0:
            return None
        hits = [min(hits, key=lambda i: lsoas.geometry.iloc[i].distance(point))]
    lsoa: dict[str, Any] = lsoas.iloc[hits[0]].to_dict()
    return lsoa


def _district_at(pack: Pack, point: shapely.Point) -> str:
    districts = pack.districts_bng
    return str(districts.iloc[int(districts.distance(point).argmin())]["district"])


def _source_label(pack: Pack, key: str) -> str:
    source = pack.manifest["sources"][key]
    return f"{source['title']} ({source['date']})"


def _area_description(pack: Pack) -> str:
    """Short name of the pack's area ("Cumbria and north Lancashire")."""
    area: str = pack.manifest["area"]
    return area.split(":")[0]
