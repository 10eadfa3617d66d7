"""Batched round trips give what one-at-a-time round trips give, on the modelled timetable."""

from __future__ import annotations

import numpy as np
import pytest

from geoaccess.transit.batch import round_trips
from geoaccess.transit.planner import parse_clock
from geoaccess.transit.roundtrip import round_trip
from geoaccess.transit.sources import planner_for
from geoaccess.venues import find_venue, load_venues


@pytest.mark.parametrize("venue_id", ["carlisle-crc-lmc", "kendal-busher-lodge"])
def test_batched_round_trips_equal_single_ones(pack, venue_id):
    planner = planner_for()
    when = planner.timetable.date_for("thursday")
    cumbrian = pack.postcodes[pack.postcodes["council"].isin(["Cumberland", "Westmorland and Furness"])]
    homes = cumbrian.sample(40, random_state=7)[["lon", "lat"]].to_numpy()
    venue = find_venue(load_venues(pack=pack), venue_id)
    start, end = parse_clock("18:00"), parse_clock("20:30")
    batch = round_trips(planner, homes, (venue.lon, venue.lat), when, start, end)
    for row, home in enumerate(homes):
        single = round_trip(planner, tuple(home), (venue.lon, venue.lat), when, start, end).to_dict()
        assert batch.flags()[row] == single["flags"]
        if single["return"] is not None:
            assert abs(batch.home_again[row] - parse_clock(single["return"]["arrive"])) < 60  # clock is HH:MM
        else:
            assert np.isnan(batch.home_again[row])
        if single["outbound"] is None:
            assert np.isnan(batch.leave_home[row])
        else:
            assert abs(batch.at_venue[row] - parse_clock(single["outbound"]["arrive"])) < 60
