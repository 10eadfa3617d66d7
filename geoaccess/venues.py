"""The venue registry: offices, programme venues, unpaid-work sites, courts and more.

Venues live in the pack as GeoJSON (``venues.geojson``). Users add or edit
venues with a file of their own (GeoJSON or CSV, see :func:`read_venue_file`),
named by ``--venues FILE`` or ``GEOACCESS_VENUES``: its rows replace pack venues
with the same id and add the rest. CSV keeps everything but programme notes,
which only GeoJSON carries. Every file is validated whole before any of
it is used, and every problem names its row.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geoaccess.errors import BadInput, GeoaccessError, VenueFileError
from geoaccess.geocode import geocode_postcode, locate_point
from geoaccess.pack import Pack, load_pack
from geoaccess.weekdays import SHORT_DAYS, days_written, is_weekday, weekday_name

KINDS = {
    "probation_office": "Probation office",
    "crc_centre": "CRC centre",
    "hub": "Hub",
    "programme_venue": "Programme venue",
    "unpaid_work_site": "Unpaid-work site",
    "court": "Court",
    "approved_premises": "Approved premises",
    "prison": "Prison",
    "womens_centre": "Women's centre",
}
PROGRAMMES = {
    "BBR": "Building Better Relationships",
    "TSP": "Thinking Skills Programme",
    "NSOGP": "Northumbria Sex Offender Group Programme",
    "UPW": "Unpaid work",
}
"""The programmes a venue can hold, by code."""
REPORTING = "REPORTING"
"""Office reporting (supervision): a requirement met at offices and hubs on their opening days, not a programme."""
REQUIREMENTS = (*PROGRAMMES, REPORTING)
"""What a person on a caseload may be required to attend."""
CONFIDENCES = ("high", "medium", "low", "approximate")
SESSION_BASES = ("sourced", "assumed", "user")
REQUIRED = ("id", "name", "kind", "town")
CSV_COLUMNS = (
    "id",
    "name",
    "kind",
    "organisation",
    "address",
    "postcode",
    "town",
    "lon",
    "lat",
    "position_basis",
    "confidence",
    "programmes",
    "opening_days",
    "opening_note",
    "source",
    "source_date",
    "notes",
)
VENUE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
"""A venue id: lower-case words joined by hyphens (``carlisle-crc-lmc``); no postcode has this shape."""
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_PROGRAMME_HEAD = re.compile(r"^(?P<code>\w+)\s*(?:\[(?P<basis>\w+)\])?$")
SESSION_PATTERN = re.compile(r"^\s*(\w{3})\w*\s+(\d{1,2}:\d\d)\s*-\s*(\d{1,2}:\d\d)\s*$")
"""A session as people write it: ``Thu 18:00-20:30`` (``Thursday 9:30 - 12:00`` too)."""
VENUES_ENV = "GEOACCESS_VENUES"


@dataclass(frozen=True)
class Session:
    """One weekly session of a programme."""

    day: str
    start: str
    end: str

    def label(self) -> str:
        """``"Thu 18:00-20:30"``."""
        return f"{self.day} {self.start}-{self.end}"


@dataclass(frozen=True)
class Programme:
    """A programme held at a venue, with its weekly sessions and where they come from."""

    code: str
    name: str
    sessions: tuple[Session, ...]
    basis: str
    note: str = ""


@dataclass(frozen=True)
class Venue:
    """A place people on probation must attend."""

    id: str
    name: str
    kind: str
    organisation: str
    address: str | None
    postcode: str | None
    town: str
    lon: float
    lat: float
    position_basis: str
    confidence: str
    programmes: tuple[Programme, ...] = field(default=())
    opening_days: tuple[str, ...] = field(default=())
    opening_note: str = ""
    source: str = ""
    source_date: str = ""
    notes: str = ""

    @property
    def kind_label(self) -> str:
        """Human name of the venue's kind."""
        return KINDS[self.kind]

    def offers(self, code: str) -> bool:
        """True when the venue holds the programme ``code``."""
        return any(p.code == code for p in self.programmes)


def load_venues(path: Path | None = None, *, extra: Path | None = None, pack: Pack | None = None) -> list[Venue]:
    """The registry: the pack's venues (or ``path``), with a user file's venues merged in.

    ``extra`` defaults to the file named by ``GEOACCESS_VENUES``, if set.
    """
    pack = pack or load_pack()
    venues = read_venue_file(path or pack.venues_path, pack)
    extra = extra or (Path(os.environ[VENUES_ENV]) if os.environ.get(VENUES_ENV) else None)
    return merge_venues(venues, read_venue_file(extra, pack)) if extra else venues


def merge_venues(base: list[Venue], changes: list[Venue]) -> list[Venue]:
    """``base`` with venues of the same id replaced by ``changes`` and new ones appended."""
    by_id = {v.id: v for v in base}
    by_id.update({v.id: v for v in changes})
    return list(by_id.values())


def find_venue(venues: list[Venue], venue_id: str) -> Venue:
    """The venue with this id, or a :class:`~geoaccess.errors.BadInput` listing close ids.

    The message never repeats what was typed: a mistyped postcode can look like an id.
    """
    for venue in venues:
        if venue.id == venue_id:
            return venue
    close = [v.id for v in venues if venue_id.split("-")[0] in v.id][:5]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `geoaccess venues list` shows them"
    raise VenueFileError(f"no venue has that id{hint}")


def read_venue_file(path: Path, pack: Pack | None = None) -> list[Venue]:
    """Read and validate a venue file (``.geojson``/``.json`` or ``.csv``), all or nothing.

    Positions are checked against ``pack``'s area (default: the configured pack).
    """
    path = Path(path)
    if not path.is_file():
        raise VenueFileError(f"venue file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        records = _records_from_geojson(path)
    elif suffix == ".csv":
        records = _records_from_csv(path)
    else:
        raise VenueFileError(f"{path.name}: venue files must be .geojson, .json or .csv")
    return _validate_all(path.name, records, pack or load_pack())


def write_venue_file(venues: list[Venue], path: Path) -> None:
    """Write venues as GeoJSON or CSV (by suffix); written to a temporary file, then renamed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix.lower() == ".csv":
        from geoaccess.csv_cells import neutralise_csv_row  # no cell a spreadsheet would run as a formula

        with tmp.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(neutralise_csv_row(_csv_row(v)) for v in venues)
    else:
        tmp.write_text(json.dumps(venues_geojson(venues), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def venues_geojson(venues: list[Venue]) -> dict[str, Any]:
    """Venues as a GeoJSON FeatureCollection (nested programmes in the properties)."""
    features = []
    for venue in venues:
        props = {
            "id": venue.id,
            "name": venue.name,
            "kind": venue.kind,
            "organisation": venue.organisation,
            "address": venue.address,
            "postcode": venue.postcode,
            "town": venue.town,
            "position_basis": venue.position_basis,
            "confidence": venue.confidence,
            "programmes": [
                {
                    "code": p.code,
                    "name": p.name,
                    "basis": p.basis,
                    "note": p.note,
                    "sessions": [{"day": s.day, "start": s.start, "end": s.end} for s in p.sessions],
                }
                for p in venue.programmes
            ],
            "opening_days": list(venue.opening_days),
            "opening_note": venue.opening_note,
            "source": venue.source,
            "source_date": venue.source_date,
            "notes": venue.notes,
        }
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [venue.lon, venue.lat]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _csv_row(venue: Venue) -> dict[str, Any]:
    programmes = "; ".join(
        f"{p.code} [{p.basis}]" + (f": {', '.join(s.label() for s in p.sessions)}" if p.sessions else "")
        for p in venue.programmes
    )
    return {
        "id": venue.id,
        "name": venue.name,
        "kind": venue.kind,
        "organisation": venue.organisation,
        "address": venue.address or "",
        "postcode": venue.postcode or "",
        "town": venue.town,
        "lon": venue.lon,
        "lat": venue.lat,
        "position_basis": venue.position_basis,
        "confidence": venue.confidence,
        "programmes": programmes,
        "opening_days": " ".join(venue.opening_days),
        "opening_note": venue.opening_note,
        "source": venue.source,
        "source_date": venue.source_date,
        "notes": venue.notes,
    }


# --- reading -------------------------------------------------------------------------------


def _records_from_geojson(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise VenueFileError(f"{path.name}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise VenueFileError(f"{path.name}: expected a GeoJSON FeatureCollection")
    records = []
    for number, feature in enumerate(document.get("features") or [], start=1):
        where = f"feature {number}"
        props = dict((feature or {}).get("properties") or {})
        geometry = (feature or {}).get("geometry")
        if geometry is not None:
            if geometry.get("type") != "Point" or len(geometry.get("coordinates") or []) < 2:
                props["__error__"] = "geometry must be a Point with [lon, lat]"
            else:
                props["lon"], props["lat"] = geometry["coordinates"][:2]
        records.append((where, props))
    return records


def _records_from_csv(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise VenueFileError(f"{path.name}: missing column(s) {', '.join(missing)}")
            records = []
            for line, row in enumerate(reader, start=2):
                record = {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
                record["programmes"] = _parse_programme_cell(record.get("programmes") or "")
                record["opening_days"] = record.get("opening_days") or ""
                records.append((f"row {line}", record))
            return records
    except UnicodeDecodeError as exc:
        raise VenueFileError(f"{path.name}: not UTF-8 text ({exc})") from exc


def _parse_programme_cell(cell: str) -> list[dict[str, Any]] | str:
    """``"BBR: Thu 18:00-20:30, Tue 18:00-20:30; TSP [assumed]"`` -> programme dicts.

    The optional ``[basis]`` after the code defaults to ``user``.
    """
    programmes = []
    for place, part in enumerate(filter(None, (p.strip() for p in cell.split(";"))), start=1):
        head, _, sessions = part.partition(":")
        head_match = _PROGRAMME_HEAD.match(head.strip())
        if not head_match:
            return f"programme {place} does not start 'CODE' or 'CODE [basis]'"
        parsed = []
        for number, text in enumerate(filter(None, (s.strip() for s in sessions.split(","))), start=1):
            fields = session_fields(text)
            if fields is None:
                return f"programme {place} session {number} is not {SESSION_SHAPE}"
            parsed.append(fields)
        programmes.append({"code": head_match["code"], "sessions": parsed, "basis": head_match["basis"] or "user"})
    return programmes


# --- validation ----------------------------------------------------------------------------


def _validate_all(file_name: str, records: list[tuple[str, dict[str, Any]]], pack: Pack) -> list[Venue]:
    problems: list[str] = []
    venues: list[Venue] = []
    first_seen: dict[str, str] = {}
    for where, record in records:
        try:
            venue = _venue_from_record(record, pack)
        except GeoaccessError as exc:
            ident = f" (id {record.get('id')!r})" if record.get("id") else ""
            problems.append(f"{where}{ident}: {exc}")
            continue
        if venue.id in first_seen:
            problems.append(f"{where}: duplicate id {venue.id!r} (first at {first_seen[venue.id]})")
            continue
        first_seen[venue.id] = where
        venues.append(venue)
    if not records:
        problems.append("no venues in the file")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise VenueFileError(f"{file_name}: {len(problems)} problem(s), nothing loaded: {shown}")
    return venues


def _venue_from_record(record: dict[str, Any], pack: Pack) -> Venue:
    if record.get("__error__"):
        raise VenueFileError(record["__error__"])
    missing = [name for name in REQUIRED if not _text(record.get(name))]
    if missing:
        raise VenueFileError(f"missing field(s) {', '.join(missing)}")
    venue_id = _text(record["id"])
    if not VENUE_ID.match(venue_id):
        raise VenueFileError(
            "id must be two or more lower-case words of letters and digits joined by hyphens "
            "(as in 'carlisle-georgian-house')"
        )
    kind = _text(record["kind"])
    if kind not in KINDS:
        raise VenueFileError(f"kind is not one of {', '.join(KINDS)}")
    confidence = _text(record.get("confidence")) or "high"
    if confidence not in CONFIDENCES:
        raise VenueFileError(f"confidence is not one of {', '.join(CONFIDENCES)}")
    programmes = _programmes(record.get("programmes") or [])
    opening_days = _opening_days(record.get("opening_days") or [])
    venue = Venue(
        id=venue_id,
        name=_text(record["name"]),
        kind=kind,
        organisation=_text(record.get("organisation")),
        address=_text(record.get("address")) or None,
        postcode=_text(record.get("postcode")) or None,
        town=_text(record["town"]),
        lon=0.0,
        lat=0.0,
        position_basis=_text(record.get("position_basis")),
        confidence=confidence,
        programmes=programmes,
        opening_days=opening_days,
        opening_note=_text(record.get("opening_note")),
        source=_text(record.get("source")),
        source_date=_text(record.get("source_date")),
        notes=_text(record.get("notes")),
    )
    return _place(venue, record.get("lon"), record.get("lat"), pack)


def _place(venue: Venue, lon: object, lat: object, pack: Pack) -> Venue:
    """Give the venue its position: the coordinates given, else its postcode's centroid."""
    has_lon, has_lat = _text(lon) != "", _text(lat) != ""
    if has_lon != has_lat:
        raise VenueFileError("give both lon and lat, or neither (the postcode is then used)")
    if has_lon:
        try:
            lon_f, lat_f = _float(lon), _float(lat)
        except (TypeError, ValueError) as exc:
            raise VenueFileError("lon and lat must be numbers") from exc
        locate_point(lon_f, lat_f, pack)
        return replace(
            venue, lon=lon_f, lat=lat_f, position_basis=venue.position_basis or "coordinates given in the venue file"
        )
    if not venue.postcode:
        raise VenueFileError("no position: give lon and lat, or a postcode")
    location = geocode_postcode(venue.postcode, pack)
    return replace(
        venue,
        postcode=location.postcode,
        lon=location.lon,
        lat=location.lat,
        position_basis=venue.position_basis or f"postcode centroid ({location.source})",
    )


def _programmes(raw: list[dict[str, Any]] | str) -> tuple[Programme, ...]:
    if isinstance(raw, str):
        raise VenueFileError(raw)
    programmes = []
    for item in raw:
        code = _text(item.get("code")).upper()
        if code not in PROGRAMMES:
            raise VenueFileError(f"a programme code is not one of {', '.join(PROGRAMMES)}")
        basis = _text(item.get("basis")) or "user"
        if basis not in SESSION_BASES:
            raise VenueFileError(f"programme {code} basis is not one of {', '.join(SESSION_BASES)}")
        sessions = tuple(session_from(code, s) for s in item.get("sessions") or [])
        programmes.append(
            Programme(
                code=code,
                name=_text(item.get("name")) or PROGRAMMES[code],
                sessions=sessions,
                basis=basis,
                note=_text(item.get("note")),
            )
        )
    return tuple(programmes)


SESSION_SHAPE = "'Day HH:MM-HH:MM' (as in 'Thu 18:00-20:30')"
"""How a session is written, for messages about one that is not."""


def session_fields(text: str) -> dict[str, str] | None:
    """``"Thu 18:00-20:30"`` -> ``{"day": "Thu", "start": "18:00", "end": "20:30"}``; ``None`` if not that shape.

    Only the shape is checked here; :func:`session_from` checks the values.
    """
    match = SESSION_PATTERN.match(text or "")
    if not match:
        return None
    day, start, end = match.groups()
    return {"day": day.title(), "start": start.zfill(5), "end": end.zfill(5)}


def session_from(code: str, raw: dict[str, Any]) -> Session:
    """A validated session of programme ``code`` from ``{"day", "start", "end"}``."""
    day = _day(raw.get("day"))
    start, end = _text(raw.get("start")), _text(raw.get("end"))
    for label, value in (("start", start), ("end", end)):
        if not _TIME.match(value):
            raise VenueFileError(f"programme {code} {day} session {label} time is not HH:MM")
    if end <= start:
        raise VenueFileError(f"programme {code} {day} session ends ({end}) before it starts ({start})")
    return Session(day=day, start=start, end=end)


def _day(value: object) -> str:
    """One day (``Mon``, ``monday``...) as written in :data:`SHORT_DAYS`; never a longer word cut short."""
    if not is_weekday(_text(value)):
        raise VenueFileError(f"a day is not one of {', '.join(SHORT_DAYS)}")
    return weekday_name(_text(value))[:3].title()


def _opening_days(value: object) -> tuple[str, ...]:
    """Opening days from a CSV cell (``"Mon-Fri"``, ``"Mon Wed"``) or a JSON list of such, Monday first."""
    parts = [value] if isinstance(value, str) else value if isinstance(value, list) else None
    if parts is None:
        raise VenueFileError("opening_days is not text or a list of days")
    try:
        return tuple(day for day in SHORT_DAYS if any(day in days_written(_text(part)) for part in parts))
    except BadInput as exc:
        raise VenueFileError(f"opening_days: {exc}") from exc


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _float(value: object) -> float:
    """``float()`` of a JSON or CSV scalar (text, number or boolean); ``TypeError`` for anything else."""
    if isinstance(value, str | int | float):
        return float(value)
    raise TypeError(f"not a number: {value!r}")
