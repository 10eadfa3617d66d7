"""Cost matrices for siting: minutes from each person to each candidate venue, by car, by public
transport, or as the session round trip (the longer of the way there and the way home)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoaccess.analysis.measures import Settings
from geoaccess.analysis.scenarios import Offer
from geoaccess.errors import BadInput
from geoaccess.roads.router import Router
from geoaccess.transit.batch import round_trips
from geoaccess.transit.planner import Planner, parse_clock
from geoaccess.transit.profiles import window_matrix
from geoaccess.venues import Session, session_fields, session_from
from geoaccess.weekdays import weekday_name


def parse_session(text: str, programme: str) -> Session:
    """``"Thu 18:00-20:30"`` -> a session (checked)."""
    fields = session_fields(text)
    if fields is None:
        raise BadInput(f"session {text!r} is not 'Day HH:MM-HH:MM' (as in 'Thu 18:00-20:30')")
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
        when = planner.timetable.date_for(settings.weekday)
        return window_matrix(
            planner,
            homes,
            places,
            when,
            parse_clock(settings.window[0]),
            parse_clock(settings.window[1]),
            step_s=settings.step_min * 60,
        ).median
    minutes = np.full((len(homes), len(offers)), np.inf)
    for column, offer in enumerate(offers):
        for session in offer.sessions:
            when = planner.timetable.date_for(weekday_name(session.day))
            trips = round_trips(
                planner,
                homes,
                (offer.lon, offer.lat),
                when,
                parse_clock(session.start),
                parse_clock(session.end),
                settings.margin_min,
            )
            worst_way = np.fmax(trips.outbound_minutes, trips.return_minutes)
            worst_way[np.isnan(trips.outbound_minutes) | np.isnan(trips.return_minutes)] = np.inf
            minutes[:, column] = np.minimum(minutes[:, column], worst_way)
    return minutes
