"""Which places a timetable covers: those with a stop within the walk limit; and its stops by id (``stop:ID``).

Distances to stops are great-circle metres, right anywhere (a place may be a continent away from the stops).
Messages name the end (``home``, ``origin``...) and the distance to the nearest stop, never the position, and
never repeat a stop id that was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pandas as pd

from geoaccess.errors import BadInput, NotCovered
from geoaccess.geometry import haversine_m
from geoaccess.places import Place
from geoaccess.transit.timetable import Timetable


class StopIndex:
    """A timetable's stops: nearest-stop distances and look-up by ``stop_id``."""

    def __init__(self, timetable: Timetable) -> None:
        stops = timetable.stops
        self.lonlat = stops[["lon", "lat"]].to_numpy(dtype=float)
        self.ids = stops["stop_id"].astype(str).to_numpy()
        self.names = stops["stop_name"].astype(str).to_numpy()

    @cached_property
    def _row_of(self) -> pd.Series:
        return pd.Series(np.arange(len(self.ids)), index=self.ids).groupby(level=0).first()

    def nearest_km(self, lon: float, lat: float) -> float:
        """Great-circle km from a position to the nearest stop."""
        return float(haversine_m(lon, lat, self.lonlat[:, 0], self.lonlat[:, 1]).min()) / 1000.0

    def check_near(self, ends: Mapping[str, tuple[float, float]], limit_m: float) -> None:
        """:class:`NotCovered` for the first end (name -> (lon, lat)) with no stop within ``limit_m``."""
        for name, (lon, lat) in ends.items():
            km = self.nearest_km(lon, lat)
            if km * 1000.0 > limit_m:
                raise NotCovered(
                    f"no stop of this timetable within {limit_m / 1000:g} km of the {name}: "
                    f"the nearest is {km:.1f} km away"
                )

    def place(self, stop_id: str) -> Place:
        """The stop with this id as a journey end."""
        if stop_id not in self._row_of.index:
            raise BadInput("no stop of the timetable has the id given after stop:")
        row = int(self._row_of[stop_id])
        lon, lat = self.lonlat[row]
        return Place(kind="stop", label=str(self.names[row]), lon=float(lon), lat=float(lat), stop_id=stop_id)
