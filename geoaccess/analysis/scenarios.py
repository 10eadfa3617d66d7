"""Scenarios: which venues offer a programme, and when its sessions run.

A scenario names a programme (BBR, TSP, NSOGP, UPW or REPORTING) and the
venues offering it, each with weekly sessions. ``today`` is read off the venue
registry; other scenarios come from JSON files::

    {"name": "BBR in Workington too", "programme": "BBR",
     "venues": [{"id": "carlisle-crc-lmc"},
                {"id": "workington-progress-house",
                 "sessions": [{"day": "Thu", "start": "18:00", "end": "20:30"}]},
                {"name": "Whitehaven hall", "lon": -3.5886, "lat": 54.5489,
                 "sessions": [{"day": "Tue", "start": "10:00", "end": "12:30"}]}]}

A venue listed by id keeps the registry's sessions for the programme unless
the file gives its own. Office reporting has no sessions in the registry:
an appointment from :data:`REPORTING_APPOINTMENT` on each opening day is assumed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoaccess.errors import BadInput
from geoaccess.geocode import locate_point
from geoaccess.pack import Pack, load_pack
from geoaccess.venues import REPORTING, REQUIREMENTS, Session, Venue, find_venue, session_from

REPORTING_APPOINTMENT = ("10:00", "11:00")
"""Assumed office-reporting appointment on each opening day (no source gives appointment times)."""
REPORTING_KINDS = ("probation_office", "hub")


@dataclass(frozen=True)
class Offer:
    """A venue offering the scenario's programme, with its weekly sessions."""

    venue_id: str
    name: str
    lon: float
    lat: float
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class Scenario:
    """A programme and the venues offering it."""

    name: str
    programme: str
    offers: tuple[Offer, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (venue positions included: venues are not personal data)."""
        return {
            "name": self.name,
            "programme": self.programme,
            "venues": [
                {
                    "id": o.venue_id,
                    "name": o.name,
                    "lon": o.lon,
                    "lat": o.lat,
                    "sessions": [s.label() for s in o.sessions],
                }
                for o in self.offers
            ],
        }


def current_scenario(programme: str, venues: list[Venue]) -> Scenario:
    """Today's offer of ``programme``, from the venue registry."""
    programme = programme_code(programme)
    offers = tuple(_offer(venue, programme) for venue in venues if _offers(venue, programme))
    if not offers:
        raise BadInput(f"no venue in the registry offers {programme}")
    return Scenario(name=f"today ({programme})", programme=programme, offers=offers)


def read_scenario(path: Path, venues: list[Venue], pack: Pack | None = None) -> Scenario:
    """A scenario from a JSON file (see the module docstring); every problem is named."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"scenario file not found: {path}")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path.name}: not valid JSON ({exc})") from exc
    return scenario_from_document(document, venues, pack, label=path.name, default_name=path.stem)


def scenario_from_document(
    document: object,
    venues: list[Venue],
    pack: Pack | None = None,
    *,
    label: str = "scenario",
    default_name: str = "scenario",
) -> Scenario:
    """A scenario from its JSON form (see the module docstring); problems are prefixed with ``label``."""
    if not isinstance(document, dict) or not isinstance(document.get("venues"), list) or not document["venues"]:
        raise BadInput(f"{label}: needs 'programme' and a non-empty 'venues' list")
    programme = programme_code(str(document.get("programme", "")))
    offers = []
    for number, item in enumerate(document["venues"], start=1):
        try:
            offers.append(_offer_from(item, programme, venues, pack or load_pack()))
        except BadInput as exc:
            raise BadInput(f"{label}: venue {number}: {exc}") from exc
    ids = [offer.venue_id for offer in offers]
    if len(set(ids)) != len(ids):
        raise BadInput(f"{label}: a venue is listed twice")
    name = str(document.get("name") or default_name)[:80]
    return Scenario(name=name, programme=programme, offers=tuple(offers))


def programme_code(text: str) -> str:
    """A programme code (BBR, TSP, NSOGP, UPW, REPORTING) in any case; a BadInput otherwise."""
    code = text.strip().upper()
    if code not in REQUIREMENTS:
        raise BadInput(f"the programme is not one of {', '.join(REQUIREMENTS)}")
    return code


def _offers(venue: Venue, programme: str) -> bool:
    if programme == REPORTING:
        return venue.kind in REPORTING_KINDS and bool(venue.opening_days)
    return venue.offers(programme)


def _offer(venue: Venue, programme: str, sessions: tuple[Session, ...] | None = None) -> Offer:
    if sessions is None:
        if programme == REPORTING:
            sessions = tuple(Session(day, *REPORTING_APPOINTMENT) for day in venue.opening_days)
        else:
            sessions = next(p.sessions for p in venue.programmes if p.code == programme)
    if not sessions:
        raise BadInput(f"{venue.id} has no {programme} sessions: give them in the scenario")
    return Offer(venue_id=venue.id, name=venue.name, lon=venue.lon, lat=venue.lat, sessions=sessions)


def _offer_from(item: dict[str, Any], programme: str, venues: list[Venue], pack: Pack) -> Offer:
    if not isinstance(item, dict):
        raise BadInput("each venue must be an object with 'id', or 'name', 'lon' and 'lat'")
    sessions = None
    if item.get("sessions") is not None:
        sessions = tuple(session_from(programme, s) for s in item["sessions"])
    if item.get("id"):
        venue = find_venue(venues, str(item["id"]))
        if sessions is None and not _offers(venue, programme):
            raise BadInput(f"{venue.id} does not offer {programme} today: give its sessions")
        return _offer(venue, programme, sessions)
    try:
        lon, lat = float(item["lon"]), float(item["lat"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput("a new venue needs numeric 'lon' and 'lat' (or an 'id' from the registry)") from exc
    locate_point(lon, lat, pack)
    if not sessions:
        raise BadInput("a new venue needs its 'sessions'")
    name = str(item.get("name") or f"new venue at {lat:.4f},{lon:.4f}")
    return Offer(venue_id=str(item.get("new_id") or _slug(name)), name=name, lon=lon, lat=lat, sessions=sessions)


def _slug(name: str) -> str:
    return "new-" + "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def scenario_from_dict(document: object, venues: list[Venue]) -> Scenario:
    """A scenario from ``{"today": "BBR"}`` (today's offer) or the JSON format above; every problem names the venue."""
    if not isinstance(document, dict):
        raise BadInput("a scenario must be an object")
    if document.get("today"):
        return current_scenario(str(document["today"]), venues)
    name = str(document.get("name") or "scenario")[:80]
    return scenario_from_document(document, venues, label=f"scenario {name!r}")
