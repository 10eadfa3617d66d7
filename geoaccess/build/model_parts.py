"""What the modelled timetable is made of: citations of the facts, departure timings, services, and the
straight-line geometry and fact look-ups the rail and bus models share (see :mod:`geoaccess.build.timetable_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from geoaccess.errors import BadInput
from geoaccess.geometry import BNG, WGS84, transformer

FACT_FILES = {"rail": "rail_service_patterns.csv", "bus": "bus_routes.csv", "evening": "evening_services.csv"}
DAY_TYPES: dict[str, tuple[tuple[int, ...], tuple[int, int] | None]] = {
    "MF": ((1, 1, 1, 1, 1, 0, 0), None),
    "SA": ((0, 0, 0, 0, 0, 1, 0), None),
    "SU": ((0, 0, 0, 0, 0, 0, 1), None),
    "FS": ((0, 0, 0, 0, 1, 1, 0), None),
    "JAS-MS": ((1, 1, 1, 1, 1, 1, 0), (701, 930)),
    "JAS-SU": ((0, 0, 0, 0, 0, 0, 1), (701, 930)),
}
"""Service ids: weekdays/flags (Mon..Sun) and an optional season (MMDD..MMDD)."""
MON_SAT = ("MF", "SA")


@dataclass(frozen=True)
class Cite:
    """A quotation from one facts row: ``quote`` must appear in the row whose ``service`` starts so."""

    file: str
    service: str
    quote: str
    origin: str = ""


@dataclass(frozen=True)
class Timing:
    """Departures of one direction on some day types.

    ``times`` is ``"06:00-18:00/60, 20:18"`` (every 60 min from 06:00 to 18:00 inclusive, then
    20:18), given at stop ``at`` (default: the trip's first stop). ``first``/``last`` cut a
    short working out of the pattern. With ``origin_total``, times are at an origin outside
    the study area that many minutes before the trip's last stop. ``basis`` (``cited``, ``cif`` or
    ``assumed``) and ``why`` say what the times rest on (see :data:`~geoaccess.transit.timetable.OPTIONAL`).
    ``skip`` names stops (keys) the trips pass without calling; run times are not shortened for them.
    """

    days: tuple[str, ...]
    times: str
    at: str = ""
    first: str = ""
    last: str = ""
    origin_total: float | None = None
    dwell: tuple[tuple[str, float], ...] = ()
    basis: str = "assumed"
    why: str = ""
    skip: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    """One modelled route: its stops (rail: parsed from the facts row; bus: towns) and timings.

    ``forward`` runs in the order of ``stops``; ``backward`` in reverse. Bus ``spans`` are cited
    minutes between two towns, shared among the segments between them by straight-line distance.
    """

    name: str
    mode: str
    facts: str
    forward: tuple[Timing, ...]
    backward: tuple[Timing, ...]
    notes: tuple[str, ...]
    cites: tuple[Cite, ...] = ()
    towns: tuple[tuple[str, str], ...] = ()
    spans: tuple[tuple[str, str, float], ...] = ()
    total: float | None = None


def rail_service(
    name: str,
    facts: str,
    forward: tuple[Timing, ...],
    backward: tuple[Timing, ...],
    notes: tuple[str, ...],
    cites: tuple[Cite, ...],
    total: float | None = None,
) -> Service:
    return Service(name, "rail", facts, forward, backward, notes, cites, total=total)


def bus_service(
    name: str,
    facts: str,
    towns: tuple[tuple[str, str], ...],
    forward: tuple[Timing, ...],
    backward: tuple[Timing, ...],
    notes: tuple[str, ...],
    cites: tuple[Cite, ...] = (),
    spans: tuple[tuple[str, str, float], ...] = (),
) -> Service:
    return Service(name, "bus", facts, forward, backward, notes, cites, towns, spans)


def town(name: str, locality: str = "") -> tuple[str, str]:
    return name, locality or name


# --- facts and citations ----------------------------------------------------------------------


def _fact_row(facts: dict[str, pd.DataFrame], cite: Cite) -> pd.Series:
    """The facts row cited: service starts with ``cite.service``, origin too, and it holds the quote."""
    frame = facts[cite.file]
    rows = frame[frame["service"].str.startswith(cite.service) & frame["from"].str.startswith(cite.origin)]
    rows = rows[rows.apply(lambda row: any(cite.quote in value for value in row), axis=1)]
    if rows.empty:
        raise BadInput(
            f"{FACT_FILES[cite.file]}: no row for {cite.service!r} ({cite.origin or 'any origin'}) "
            f"quoting {cite.quote!r}; the facts changed, so update geoaccess.build.timetable_model"
        )
    return rows.iloc[0]


def note(facts: dict[str, pd.DataFrame], text: str, cites: tuple[Cite, ...]) -> str:
    """``text`` with its ``{n}`` fields as quotations (file, row, date) and the cited sites at the end."""
    used = sorted({int(name) for _, name, _, _ in Formatter().parse(text) if name})
    rows = {index: _fact_row(facts, cites[index]) for index in used}
    quoted = [
        f"'{cite.quote}' ({FACT_FILES[cite.file]} '{rows[i]['service']}', {rows[i]['source_date'] or 'undated'})"
        if i in rows
        else ""
        for i, cite in enumerate(cites)
    ]
    sites = sorted(
        {
            urlparse(url.strip()).netloc.removeprefix("www.")
            for row in rows.values()
            for url in row["source"].split(" ; ")
            if url.strip()
        }
    )
    return text.format(*quoted) + (f" Sources: {', '.join(sites)}." if sites else "")


def service_row(facts: dict[str, pd.DataFrame], service: Service) -> pd.Series:
    frame = facts[service.mode]
    return frame[frame["service"].str.startswith(service.facts)].iloc[0]


# --- straight-line geometry -------------------------------------------------------------------


def bng(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    easting, northing = transformer(WGS84, BNG).transform(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    return np.asarray(easting), np.asarray(northing)


def gaps_km(points: pd.DataFrame) -> np.ndarray:
    """Straight-line distances (km) between consecutive points."""
    easting, northing = bng(points)
    return np.hypot(np.diff(easting), np.diff(northing)) / 1000


def split_by_distance(gaps_km: np.ndarray, minutes: float) -> np.ndarray:
    """``minutes`` shared among segments in proportion to their straight-line length."""
    return minutes * gaps_km / float(gaps_km.sum())
