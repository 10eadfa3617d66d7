"""Accessibility measures: per person, aggregated by area, and for the whole population.

For the people needing a scenario's programme: car minutes and public
transport minutes (median over a weekday departure window, as r5 and the DfT
Journey Time Statistics report them) to the nearest venue offering it, and the
best session round trip among its venues and sessions (feasible first, then
fewest flags, then least time travelling). Aggregates count people within
30/60/90/120 minutes, over two hours each way, with no way home and whose best
round trip rides a trip whose time the modelled timetable assumes; small
area counts are suppressed. The population version weights every LSOA's
representative point by its residents (average minimum travel time and share
within each threshold, comparable to the DfT statistics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoaccess.analysis.scenarios import Offer, Scenario
from geoaccess.defaults import DAY, MARGIN_MIN, SUPPRESS_BELOW, THRESHOLDS_MIN, WINDOW
from geoaccess.errors import BadInput
from geoaccess.pack import Pack
from geoaccess.roads.router import Router
from geoaccess.transit.batch import RoundTrips, round_trips
from geoaccess.transit.planner import Planner, parse_clock
from geoaccess.transit.profiles import WindowTimes, window_matrix
from geoaccess.venues import Session
from geoaccess.weekdays import weekday_name


@dataclass(frozen=True)
class Settings:
    """How the measures are taken."""

    weekday: str = weekday_name(DAY)  # for the departure window
    window: tuple[str, str] = (WINDOW.split("-")[0], WINDOW.split("-")[1])
    step_min: int = 5
    margin_min: int = MARGIN_MIN
    suppress_below: int = SUPPRESS_BELOW
    thresholds: tuple[int, ...] = field(default=THRESHOLDS_MIN)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "public_transport_window": f"{self.window[0]}-{self.window[1]} on a {self.weekday}, every "
            f"{self.step_min} min (median)",
            "arrive_early_minutes": self.margin_min,
            "suppress_counts_below": self.suppress_below,
            "thresholds_minutes": list(self.thresholds),
        }


DEFAULT_SETTINGS = Settings()


def person_measures(
    people: pd.DataFrame, scenario: Scenario, car: Router, planner: Planner, settings: Settings = DEFAULT_SETTINGS
) -> pd.DataFrame:
    """One row per person (``person_id``, area, nearest car and public transport venue and minutes,
    best round trip, flags, whether it rests on assumed times and their notes). ``people`` needs
    ``person_id``, ``lon``, ``lat``, ``lsoa21``, ``district``."""
    homes = people[["lon", "lat"]].to_numpy(dtype=float)
    places = np.asarray([[o.lon, o.lat] for o in scenario.offers])
    ids = np.asarray([o.venue_id for o in scenario.offers])
    car_min = car.many_to_many(homes, places).seconds / 60.0
    window = window_times(planner, homes, places, settings)
    frame = people[["person_id", "lsoa21", "district"]].reset_index(drop=True).copy()
    frame["car_minutes"], frame["car_venue"] = _nearest(car_min, ids)
    frame["pt_minutes"], frame["pt_venue"] = _nearest(window.median, ids)
    return frame.join(_best_round_trips(planner, homes, scenario, settings))


def window_times(planner: Planner, origins: np.ndarray, places: np.ndarray, settings: Settings) -> WindowTimes:
    """Public transport minutes from each origin to each place over the settings' departure window on its
    weekday (median, 90th percentile and best over the departures, as r5 and the DfT report them)."""
    return window_matrix(
        planner,
        origins,
        places,
        planner.timetable.date_for(settings.weekday),
        parse_clock(settings.window[0]),
        parse_clock(settings.window[1]),
        step_s=settings.step_min * 60,
    )


def session_round_trips(
    planner: Planner, homes: np.ndarray, offer: Offer, session: Session, settings: Settings
) -> RoundTrips:
    """Every home's round trip to one weekly session of a venue, arriving ``settings.margin_min`` early."""
    return round_trips(
        planner,
        homes,
        (offer.lon, offer.lat),
        planner.timetable.date_for(weekday_name(session.day)),
        parse_clock(session.start),
        parse_clock(session.end),
        settings.margin_min,
    )


def _nearest(minutes: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the least finite minutes (``nan`` if none) and the id of its column (``None`` if none)."""
    best = np.nanmin(np.where(np.isfinite(minutes), minutes, np.nan), axis=1, initial=np.inf)
    column = np.argmin(np.where(np.isfinite(minutes), minutes, np.inf), axis=1)
    reached = np.isfinite(best)
    names = ids[column].astype(object)
    names[~reached] = None
    return np.where(reached, best, np.nan), names


def _best_round_trips(planner: Planner, homes: np.ndarray, scenario: Scenario, settings: Settings) -> pd.DataFrame:
    """Per person, the best round trip over every venue and session of the scenario."""
    best: pd.DataFrame | None = None
    for offer in scenario.offers:
        for session in offer.sessions:
            trips = session_round_trips(planner, homes, offer, session, settings)
            flags = trips.flags()
            option = pd.DataFrame(
                {
                    "rt_venue": offer.venue_id,
                    "rt_session": f"{offer.venue_id} {session.label()}",
                    "rt_outbound_minutes": trips.outbound_minutes,
                    "rt_return_minutes": trips.return_minutes,
                    "rt_flags": [" ".join(f) for f in flags],
                    "rt_feasible": [not ({"no_outbound", "no_return_same_day"} & set(f)) for f in flags],
                    "rt_rests_on_assumption": [bool(notes) for notes in trips.assumptions],
                    "rt_assumptions": ["; ".join(notes) for notes in trips.assumptions],
                }
            )
            option["_rank"] = list(
                zip(
                    ~option["rt_feasible"],
                    [len(f) for f in flags],
                    (option["rt_outbound_minutes"] + option["rt_return_minutes"]).fillna(1e9),
                    strict=True,
                )
            )
            best = option if best is None else best.where(best["_rank"] <= option["_rank"], option)
    if best is None:
        raise BadInput(f"{scenario.name} has no session to measure round trips to")
    return best.drop(columns="_rank")


def summarise(measures: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS) -> dict[str, Any]:
    """Counts and shares for a group of people (no individual rows)."""
    n = len(measures)
    flags = measures["rt_flags"].fillna("")
    summary = {
        "people": n,
        "car_minutes_mean": _round(measures["car_minutes"].mean()),
        "car_minutes_median": _round(measures["car_minutes"].median()),
        "pt_minutes_mean": _round(measures["pt_minutes"].mean()),
        "pt_minutes_median": _round(measures["pt_minutes"].median()),
        "pt_unreachable": int(measures["pt_minutes"].isna().sum()),
        "round_trip_feasible": int(measures["rt_feasible"].sum()),
        "over_120_either_way": int(flags.str.contains("outbound_over_120|return_over_120").sum()),
        "no_way_there": int(flags.str.contains("no_outbound").sum()),
        "no_way_home": int(flags.str.contains("no_return_same_day").sum()),
        "home_after_2300": int(flags.str.contains("home_after_2300").sum()),
        "rests_on_assumption": int(measures["rt_rests_on_assumption"].astype(bool).sum()),
    }
    for threshold in settings.thresholds:
        within = (measures["pt_minutes"] <= threshold).sum()
        summary[f"pt_within_{threshold}_share"] = _round(within / n if n else np.nan, 3)
        summary[f"car_within_{threshold}_share"] = _round(
            (measures["car_minutes"] <= threshold).sum() / n if n else np.nan, 3
        )
    return summary


def by_area(measures: pd.DataFrame, column: str, settings: Settings = DEFAULT_SETTINGS) -> list[dict[str, Any]]:
    """:func:`summarise` per area; areas with fewer than ``suppress_below`` people show only that."""
    rows = []
    for area, group in measures.groupby(column, sort=True):
        if len(group) < settings.suppress_below:
            rows.append({column: area, "people": f"<{settings.suppress_below}", "suppressed": True})
        else:
            rows.append({column: area, **summarise(group, settings)})
    return rows


def population_measures(
    pack: Pack,
    scenario: Scenario,
    car: Router,
    planner: Planner,
    settings: Settings = DEFAULT_SETTINGS,
    councils: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Resident-weighted minimum travel times from every LSOA (optionally only some councils). An LSOA the car
    network does not reach (a user's network covering part of the area) has no car time, and its residents
    are counted as ``residents_beyond_car_network``, never given the straight line to the nearest road."""
    lsoas = pack.lsoas if councils is None else pack.lsoas[pack.lsoas["council"].isin(councils)]
    points = lsoas[["point_lon", "point_lat"]].to_numpy(dtype=float)
    places = np.asarray([[o.lon, o.lat] for o in scenario.offers])
    car_min = (car.many_to_many(points, places).seconds / 60.0).min(axis=1)
    car_min[~car.reaches(points[:, 0], points[:, 1])] = np.nan
    window = window_times(planner, points, places, settings)
    frame = pd.DataFrame(
        {
            "lsoa21": lsoas["lsoa21"].to_numpy(),
            "district": lsoas["district"].to_numpy(),
            "residents": lsoas["population"].to_numpy(),
            "car_minutes": car_min,
            "pt_minutes": window.median.min(axis=1),
        }
    )
    return {
        "overall": _weighted(frame, settings),
        "by_district": [{"district": d, **_weighted(g, settings)} for d, g in frame.groupby("district")],
    }


def _weighted(frame: pd.DataFrame, settings: Settings) -> dict[str, Any]:
    weights = frame["residents"].to_numpy(dtype=float)
    beyond = int(weights[frame["car_minutes"].isna().to_numpy()].sum())
    out: dict[str, Any] = {"residents": int(weights.sum()), "lsoas": len(frame), "residents_beyond_car_network": beyond}
    for mode in ("car", "pt"):
        minutes = frame[f"{mode}_minutes"].to_numpy(dtype=float)
        finite = np.isfinite(minutes)
        out[f"{mode}_average_minimum_minutes"] = _round(
            np.average(minutes[finite], weights=weights[finite]) if finite.any() else np.nan
        )
        for threshold in settings.thresholds:
            out[f"{mode}_within_{threshold}_share"] = _round(
                weights[finite & (minutes <= threshold)].sum() / weights.sum(), 3
            )
    return out


def _round(value: float, digits: int = 1) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)
