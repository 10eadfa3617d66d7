"""Candidate venues for siting: offices and centres in the registry, and every town with a station."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoaccess.analysis.scenarios import Offer, Scenario
from geoaccess.pack import Pack
from geoaccess.venues import Session, Venue

CANDIDATE_KINDS = ("probation_office", "hub", "crc_centre", "programme_venue", "womens_centre")


def candidates(
    pack: Pack, venues: list[Venue], scenario: Scenario, session: Session, councils: tuple[str, ...] | None = None
) -> list[Offer]:
    """The scenario's venues, registry offices and centres, and each rail station in the area (as a
    stand-in for a venue in that town), each offering ``session`` unless it already has sessions."""
    offers = {offer.venue_id: offer for offer in scenario.offers}
    for venue in venues:
        if venue.kind in CANDIDATE_KINDS and venue.id not in offers:
            offers[venue.id] = Offer(venue.id, venue.name, venue.lon, venue.lat, (session,))
    stations = pack.stations
    inside = _inside(pack, stations, councils)
    for row in stations[inside].itertuples(index=False):
        key = f"station-{row.crs.lower()}"
        offers.setdefault(key, Offer(key, f"{row.name} (near the station)", float(row.lon), float(row.lat), (session,)))
    return list(offers.values())


def _inside(pack: Pack, points: pd.DataFrame, councils: tuple[str, ...] | None) -> np.ndarray:
    """Which points lie in an LSOA of the given councils (all of the pack's area by default)."""
    import geopandas as gpd

    lsoas = pack.lsoas if councils is None else pack.lsoas[pack.lsoas["council"].isin(councils)]
    located = gpd.GeoDataFrame(geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=lsoas.crs)
    hits = gpd.sjoin(located, lsoas[["geometry"]], predicate="within", how="left")
    counts = hits.groupby(level=0)["index_right"].count().reindex(range(len(points)), fill_value=0)
    return np.asarray(counts.to_numpy() > 0, dtype=bool)
