"""Origin and destination files for matrices: CSV with ``id`` and ``postcode`` or ``lon,lat``.

The whole file is checked before anything is computed; every bad row is named
by its line number, never by its postcode or coordinates. Positions lie in the pack's area, or with the
user's own data anywhere; then :func:`check_endpoints_covered` refuses rows that data does not reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoaccess.errors import BadInput, GeoaccessError, NotCovered, OutsideArea
from geoaccess.geocode import geocode_postcode, locate_point
from geoaccess.pack import Pack, load_pack
from geoaccess.venues import Venue

MAX_PROBLEMS_SHOWN = 10


def read_endpoints(path: Path, pack: Pack | None = None, *, anywhere: bool = False) -> pd.DataFrame:
    """``id, lon, lat`` for every row of an endpoints CSV, or a :class:`BadInput` naming bad rows.

    With ``anywhere`` (the user's own network or feeds in use) a ``lon, lat`` outside the pack's area is taken
    as given; postcodes are always placed with the pack."""
    pack = pack or load_pack()
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"endpoints file not found: {path}")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path.name}: not a readable CSV file ({exc})") from exc
    columns = set(raw.columns)
    if "id" not in columns or not ({"postcode"} <= columns or {"lon", "lat"} <= columns):
        raise BadInput(f"{path.name}: needs an 'id' column and either 'postcode' or 'lon' and 'lat'")
    if raw.empty:
        raise BadInput(f"{path.name}: has no rows")
    problems: list[str] = []
    rows: list[tuple[str, float, float]] = []
    first_line: dict[str, int] = {}
    for line, record in zip(range(2, len(raw) + 2), raw.to_dict("records"), strict=True):
        ident = record["id"].strip()
        if not ident:
            problems.append(f"line {line}: empty id")
            continue
        if ident in first_line:
            problems.append(f"line {line}: duplicate id {ident!r} (first on line {first_line[ident]})")
            continue
        first_line[ident] = line
        try:
            rows.append((ident, *_position(record, pack, anywhere)))
        except GeoaccessError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f"; and {len(problems) - MAX_PROBLEMS_SHOWN} more" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise BadInput(f"{path.name}: {len(problems)} bad row(s), nothing computed: {shown}{more}")
    return pd.DataFrame(rows, columns=["id", "lon", "lat"])


def venue_endpoints(venues: list[Venue]) -> pd.DataFrame:
    """Venues as endpoints (``id, lon, lat``)."""
    return pd.DataFrame({"id": [v.id for v in venues], "lon": [v.lon for v in venues], "lat": [v.lat for v in venues]})


def check_endpoints_covered(
    frame: pd.DataFrame,
    name: str,
    reaches: Callable[[np.ndarray, np.ndarray], np.ndarray],
    check: Callable[[Mapping[str, tuple[float, float]]], None],
    end: str,
) -> None:
    """:class:`NotCovered` naming the lines of ``frame`` (read from the file ``name``) that the data in use does
    not reach: ``reaches`` says which positions it covers, ``check`` explains one (calling it the ``end``)."""
    lon, lat = frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
    outside = np.flatnonzero(~reaches(lon, lat))
    if not len(outside):
        return
    problems = []
    for row in outside[:MAX_PROBLEMS_SHOWN]:
        try:
            check({end: (float(lon[row]), float(lat[row]))})
        except NotCovered as error:
            problems.append(f"line {row + 2}: {error}")
    more = f"; and {len(outside) - MAX_PROBLEMS_SHOWN} more" if len(outside) > MAX_PROBLEMS_SHOWN else ""
    raise NotCovered(
        f"{name}: {len(outside)} row(s) the data in use does not cover, nothing computed: {'; '.join(problems)}{more}"
    )


def _position(record: dict[str, Any], pack: Pack, anywhere: bool) -> tuple[float, float]:
    postcode = (record.get("postcode") or "").strip()
    if postcode:
        location = geocode_postcode(postcode, pack)
        return location.lon, location.lat
    try:
        lon, lat = float(record.get("lon", "")), float(record.get("lat", ""))
    except ValueError as exc:
        raise BadInput("lon and lat must be numbers (or give a postcode)") from exc
    if math.isnan(lon) or math.isnan(lat):
        raise BadInput("lon and lat must be numbers, not NaN")
    try:
        location = locate_point(lon, lat, pack)
    except OutsideArea:
        if not anywhere:
            raise
        return round(lon, 6), round(lat, 6)
    return location.lon, location.lat
