"""Map documents for each use case, and writing them as standalone HTML, PNG or PDF.

Every document says which network and timetable it was drawn from and whether they are modelled;
a home is never drawn nearer than its postcode sector in anything exported.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from geoaccess.analysis.measures import window_times
from geoaccess.errors import BadInput, InvalidRequest, NoRoute
from geoaccess.maps.builders import AreaCounts, burden_map, journey_map, scenario_map, travel_time_map, venues_map
from geoaccess.maps.document import MapDocument
from geoaccess.maps.interactive import save_html, standalone_html
from geoaccess.maps.static import render_static
from geoaccess.pack import CUMBRIAN_COUNCILS, Pack, load_pack
from geoaccess.services.analysis import Analysis, Measured, People
from geoaccess.services.engines import describe
from geoaccess.services.journeys import check_covered, place_for, resolve_home, transit_itinerary
from geoaccess.services.roundtrips import SessionCheck, venue_by_id
from geoaccess.transit.sources import DataChoice, service_date, transit_provenance
from geoaccess.venues import Venue

FORMATS = {"html": "text/html", "png": "image/png", "pdf": "application/pdf"}
"""Export formats and their media types."""
DEFAULT_HEX_KM = 10.0
"""People are counted in hexagons this wide on burden and change maps (``None``: by LSOA)."""


def export_map(doc: MapDocument, out: Path) -> Path:
    """Write ``doc`` as standalone HTML, PNG (300 dpi) or PDF (A4) by the file's suffix; nothing partial on failure."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise BadInput(f"cannot write {out}: use a .html, .png or .pdf file name")
    if not out.parent.is_dir():
        raise BadInput(f"cannot write {out}: folder {out.parent} does not exist")
    if fmt == "html":
        return save_html(doc, out)
    return render_static(doc, out)


def map_bytes(doc: MapDocument, fmt: str, *, dpi: int = 300) -> bytes:
    """``doc`` as the bytes of a standalone HTML page, a PNG (300 dpi, as the README promises) or a PDF."""
    if fmt not in FORMATS:
        raise InvalidRequest(f"the format must be one of {', '.join(FORMATS)}")
    if fmt == "html":
        return standalone_html(doc).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="geoaccess-map-") as folder:
        path = Path(folder) / f"map.{fmt}"
        render_static(doc, path, dpi=dpi)
        return path.read_bytes()


def venues_document(venues: list[Venue]) -> MapDocument:
    """Every venue, by kind."""
    return venues_map(load_pack(), venues)


def isochrone_document(*, venue_id: str, mode: str, analysis: Analysis, venues: list[Venue]) -> MapDocument:
    """Travel-time bands to a venue from every Cumbrian LSOA, by car or by public transport over the window."""
    if mode not in ("car", "transit"):
        raise InvalidRequest("isochrones are by car or transit")
    venue = venue_by_id(venue_id, venues)
    pack = load_pack()
    lsoas = pack.lsoas[pack.lsoas["council"].isin(CUMBRIAN_COUNCILS)]
    points = lsoas[["point_lon", "point_lat"]].to_numpy(dtype=float)
    target = np.asarray([[venue.lon, venue.lat]])
    settings = analysis.settings
    if mode == "car":
        minutes = analysis.car.many_to_many(points, target).seconds[:, 0] / 60.0
        label = "car"
    else:
        minutes = window_times(analysis.planner, points, target, settings).median[:, 0]
        label = f"public transport ({settings.weekday} {settings.window[0]}-{settings.window[1]}, median)"
    if not np.isfinite(minutes).any():
        raise BadInput(f"no LSOA can reach {venue.id} by {mode}: the map would be empty")
    info = analysis.provenance()
    return travel_time_map(
        pack,
        venue.name,
        (venue.lon, venue.lat),
        minutes,
        label,
        describe(info),
        modelled=info["modelled"],
        councils=CUMBRIAN_COUNCILS,
    )


def burden_document(
    measured: Measured, *, people: People, analysis: Analysis, hex_km: float | None = DEFAULT_HEX_KM
) -> MapDocument:
    """Share of people over two hours either way or with no way, by hexagon or LSOA (small counts suppressed)."""
    info = analysis.provenance(people)
    return burden_map(
        load_pack(),
        measured.measures,
        measured.people,
        measured.scenario.programme,
        describe(info),
        modelled=info["modelled"],
        counts=AreaCounts(analysis.settings.suppress_below, hex_km, people.synthetic),
    )


def change_document(
    before: Measured, after: Measured, *, people: People, analysis: Analysis, hex_km: float | None = DEFAULT_HEX_KM
) -> MapDocument:
    """Change in public transport minutes to the nearest venue between two measured scenarios."""
    info = analysis.provenance(people)
    return scenario_map(
        load_pack(),
        before.measures,
        after.measures,
        before.people,
        (before.scenario.name, after.scenario.name),
        describe(info),
        modelled=info["modelled"],
        counts=AreaCounts(analysis.settings.suppress_below, hex_km, people.synthetic),
    )


def journey_document(
    *,
    home: str,
    to: str,
    day: str,
    venues: list[Venue],
    depart_at: str | None = None,
    arrive_by: str | None = None,
    data: DataChoice | None = None,
) -> MapDocument:
    """One public transport journey from a home; the home is shown only at its postcode sector."""
    if (depart_at is None) == (arrive_by is None):
        raise InvalidRequest("a journey map needs exactly one of a time to leave at or to arrive by")
    data = data or DataChoice()
    start, place = resolve_home(home, venues, data), place_for(to, venues, data)
    check_covered(data.check_transit_covers, {"home": start, "destination": place})
    planner = data.planner()
    when = service_date(day, planner.timetable)
    trip = transit_itinerary(
        planner, start, place, when=when, depart_at=depart_at, arrive_by=arrive_by, names=("home", place.label)
    )
    info = transit_provenance(planner, when)
    pack = load_pack()
    return journey_map(
        pack,
        list(trip.legs),
        home_sector(pack, start.lon, start.lat),
        f"Journey to {place.label}, {when:%A %d %B %Y}",
        describe(info),
        modelled=info["modelled"],
    )


def round_trip_document(check: SessionCheck, *, coarsen: bool) -> MapDocument:
    """An officer's check drawn both ways; with ``coarsen`` the home is moved to its postcode sector."""
    legs = check.legs
    if not legs:
        raise NoRoute("no journey either way: nothing to map")
    pack = load_pack()
    sector = home_sector(pack, *check.home_point) if coarsen else None
    day = check.day
    title = f"To {check.venue.name} and home again, {day['weekday'].title()} {day['date']}"
    doc = journey_map(
        pack, legs, sector, title, describe(check.provenance), modelled=bool(check.provenance.get("modelled"))
    )
    notes = (
        [doc.subtitle] if coarsen else ["for the officer's screen only: the PDF shows the home at its postcode sector"]
    )
    notes = [note for note in notes if note]
    assumed = sum(1 for leg in legs if leg.basis == "assumed")
    if assumed:
        notes.append(f"rests on {assumed} assumed trip time{'s' if assumed > 1 else ''} (listed with the check)")
    doc.subtitle = "; ".join(notes)
    return doc


def home_sector(pack: Pack, lon: float, lat: float) -> str:
    """The postcode sector of the postcode nearest a home (``"CA1 1"``)."""
    postcodes = pack.postcodes
    nearest = int(np.argmin((postcodes["lon"] - lon) ** 2 + (postcodes["lat"] - lat) ** 2))
    return str(postcodes["postcode"].iloc[nearest])[:-2]
