"""Build the venue registry from the cited facts and the curation file beside this module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from geoaccess.build.catalogue import SOURCES
from geoaccess.errors import DataPackError

CURATION = Path(__file__).with_name("venue_curation.json")


def venue_records(
    source: Path, postcodes: pd.DataFrame, stations: pd.DataFrame, stop_positions: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[str]]:
    """GeoJSON features for every curated facts row, and the excluded rows with reasons.

    Fails when a facts row has no curation entry or a curation entry names no facts row,
    so a new fact is never dropped or placed silently.
    """
    facts = pd.read_csv(SOURCES["venue_facts"].locate(source), dtype=str).fillna("")
    curation = json.loads(CURATION.read_text(encoding="utf-8"))["venues"]
    by_name = {entry["facts_name"]: entry for entry in curation}
    unknown = set(by_name) - set(facts["name"])
    uncurated = set(facts["name"]) - set(by_name)
    if unknown or uncurated:
        raise DataPackError(
            f"venue curation and facts disagree: curated but not in facts {sorted(unknown)}; "
            f"in facts but not curated {sorted(uncurated)} (edit {CURATION.name})"
        )
    features, excluded = [], []
    for _, row in facts.iterrows():
        entry = by_name[row["name"]]
        if "exclude" in entry:
            excluded.append(f"{row['name']}: {entry['exclude']}")
            continue
        lon, lat, basis, exact = _position(entry["position"], row, postcodes, stations, stop_positions)
        properties = {
            "id": entry["id"],
            "name": row["name"],
            "kind": row["kind"],
            "organisation": row["organisation"],
            "address": row["address"] or None,
            "postcode": row["postcode"] or None,
            "town": row["town"],
            "position_basis": basis,
            "confidence": entry["confidence"] if exact else "approximate",
            "programmes": entry.get("programmes", []),
            "opening_days": entry.get("opening_days", []),
            "opening_note": entry.get("opening_note", ""),
            "source": row["source"] or entry.get("source", ""),
            "source_date": row["source_date"] or entry.get("source_date", ""),
            "notes": f"{row['notes']} [source confidence: {row['confidence'] or 'none'}]",
        }
        features.append(
            {"type": "Feature", "properties": properties, "geometry": {"type": "Point", "coordinates": [lon, lat]}}
        )
    return features, excluded


def _position(
    rule: str, row: pd.Series, postcodes: pd.DataFrame, stations: pd.DataFrame, stop_positions: pd.DataFrame
) -> tuple[float, float, str, bool]:
    """(lon, lat, stated basis, exact?) for a curation position rule."""
    kind, _, arg = rule.partition(":")
    if kind == "postcode":
        match = postcodes[postcodes["postcode"] == row["postcode"]]
        if match.empty:
            raise DataPackError(f"venue {row['name']!r}: postcode not in the pack's postcodes")
        return (
            float(match.iloc[0]["lon"]),
            float(match.iloc[0]["lat"]),
            "postcode centroid (OS Code-Point Open, April 2025)",
            True,
        )
    if kind == "given":
        return (float(row["lon"]), float(row["lat"]), f"coordinates from the cited source ({row['confidence']})", True)
    if kind == "station":
        match = stations[stations["crs"] == arg]
        if match.empty:
            raise DataPackError(f"venue {row['name']!r}: no station with CRS {arg}")
        station = match.iloc[0]
        return (
            round(float(station["lon"]), 6),
            round(float(station["lat"]), 6),
            f"approximate: address not found in the sources; placed at {station['name']} "
            f"railway station ({arg}) as the town centre",
            False,
        )
    if kind == "locality":
        match = stop_positions[stop_positions["locality"] == arg]
        if match.empty:
            raise DataPackError(f"venue {row['name']!r}: no NaPTAN stops in locality {arg!r}")
        return (
            round(float(match["lon"].mean()), 6),
            round(float(match["lat"].mean()), 6),
            f"approximate: address not found in the sources; placed at the mean position of "
            f"the {len(match)} NaPTAN stop(s) in {arg}",
            False,
        )
    raise DataPackError(f"venue {row['name']!r}: unknown position rule {rule!r}")
