"""Cost matrices for siting: minutes from each person to each candidate venue, by car, by public
transport, or as the session round trip (the longer of the way there and the way home)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoaccess.analysis.measures import Settings, session_round_trips, window_times
from geoaccess.analysis.scenarios import Offer
from geoaccess.errors import BadInput
from geoaccess.roads.router import Router
from geoaccess.transit.planner import Planner
from geoaccess.venues import SESSION_SHAPE, Session, session_fields, session_from


def parse_session(text: str, programme: str) -> Session:
    """``"Thu 18:00-20:30"`` -> a session (checked)."""
    fields = session_fields(text)
    if fields is None:
        raise BadInput(f"the session is not {SESSION_SHAPE}")
    return session_from(programme, fields)


def cost_matrix(
    people: pd.DataFrame, offers: list[Offer], cost: str, car: Router, planner: Planner, settings: Settings
) -> np.ndarray:
    """(people x candidates) minutes; ``inf`` where there is no way."""
    homes = people[["lon", "lat"]].to_numpy(dtype=float)
    places = np.asarray([[o.lon, o.lat] for o in offers])
    if cost == "car":
        return car.many_to_many(homes, places).seconds / 60.0
    if cost == "transit":
        return window_times(planner, homes, places, settings).median
    minutes = np.full((len(homes), len(offers)), np.inf)
    for column, offer in enumerate(offers):
        for session in offer.sessions:
            trips = session_round_trips(planner, homes, offer, session, settings)
            worst_way = np.fmax(trips.outbound_minutes, trips.return_minutes)
            worst_way[np.isnan(trips.outbound_minutes) | np.isnan(trips.return_minutes)] = np.inf
            minutes[:, column] = np.minimum(minutes[:, column], worst_way)
    return minutes
