"""Residents near a served stop (geoaccess.analysis.stop_coverage), on the pack and on hand-made points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoaccess.analysis.stop_coverage import coverage_table, every_stop_coverage, postcode_residents, stop_coverage
from geoaccess.geometry import BNG, WGS84, transformer
from geoaccess.transit.timetable import Timetable, empty


def test_shares_count_residents_within_each_radius() -> None:
    residents = pd.DataFrame(
        {
            "district": ["A", "A", "B"],
            "easting": [300000.0, 300500.0, 303000.0],
            "northing": [500000.0, 500000.0, 500000.0],
            "residents": [10.0, 30.0, 60.0],
        }
    )
    lon, lat = transformer(BNG, WGS84).transform(300000.0, 500000.0)
    table = coverage_table(residents, np.array([[lon, lat]]), (400, 800, 2000)).set_index("district")
    assert table.loc["A", "within_400_m"] == pytest.approx(0.25)
    assert table.loc["A", "within_800_m"] == pytest.approx(1.0)
    assert table.loc["B", "within_2000_m"] == 0.0
    assert table.loc["all", "within_800_m"] == pytest.approx(0.4)
    assert table.loc["all", "residents"] == 100


def test_no_stop_covers_nobody() -> None:
    residents = pd.DataFrame({"district": ["A"], "easting": [0.0], "northing": [0.0], "residents": [5.0]})
    assert coverage_table(residents, np.zeros((0, 2)), (800,)).loc[0, "within_800_m"] == 0.0


def test_the_pack_shares_residents_among_its_postcodes(pack) -> None:
    residents = postcode_residents(pack)
    cumbria = pack.lsoas[pack.lsoas["council"].isin(("Cumberland", "Westmorland and Furness"))]
    assert residents["residents"].sum() == pytest.approx(cumbria["population"].sum(), rel=0.01)


def test_every_stop_covers_most_people_and_an_empty_timetable_none(pack) -> None:
    ceiling = every_stop_coverage(pack).set_index("district")
    assert ceiling.loc["all", "within_800_m"] > 0.85
    nothing = Timetable(
        stops=empty("stops"), routes=empty("routes"), trips=empty("trips"), stop_times=empty("stop_times")
    )
    coverage = stop_coverage(pack, nothing)
    assert coverage.bus_stops_served == 0 and coverage.bus_stops_active > 3000
    assert (coverage.table["within_2000_m"] == 0).all()
