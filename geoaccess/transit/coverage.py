"""Which places a timetable covers: those with a stop within the walk limit; and its stops by id (``stop:ID``).

Distances to stops are great-circle metres, right anywhere (a place may be a continent away from the stops).
Messages name the end (``home``, ``origin``...) and the distance to the nearest stop, never the position, and
never repeat a stop id that was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

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

    @cached_property
    def _sphere(self) -> cKDTree:
        return cKDTree(_unit_vectors(self.lonlat[:, 0], self.lonlat[:, 1]))

    def nearest_m(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
        """Great-circle metres from each position to its nearest stop (nearest by chord on the unit sphere,
        which orders points as the great circle does)."""
        lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
        _, row = self._sphere.query(_unit_vectors(lon, lat))
        metres: np.ndarray = haversine_m(lon, lat, self.lonlat[row, 0], self.lonlat[row, 1])
        return metres

    def within(self, lon: npt.ArrayLike, lat: npt.ArrayLike, limit_m: float) -> np.ndarray:
        """Which positions have a stop within ``limit_m`` great-circle metres."""
        near: np.ndarray = self.nearest_m(lon, lat) <= limit_m
        return near

    def check_near(self, ends: Mapping[str, tuple[float, float]], limit_m: float) -> None:
        """:class:`NotCovered` for the first end (name -> (lon, lat)) with no stop within ``limit_m``."""
        for name, (lon, lat) in ends.items():
            km = float(self.nearest_m(lon, lat)[0]) / 1000.0
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


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
