"""Car and walking journeys and matrices, with the provenance every result carries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geoaccess.places import Place
from geoaccess.roads.network import RoadNetwork
from geoaccess.roads.router import Router

CALIBRATION_KEYS = (
    "relation",
    "scale",
    "allowance_min",
    "reference",
    "measured_on",
    "median_abs_pct_error",
    "bias_pct",
    "pairs",
)
"""What a result repeats of its car network's calibration."""
NOT_CALIBRATED = "not calibrated: car minutes are the routed minutes, not checked against any reference"


def network_provenance(network: RoadNetwork) -> dict[str, Any]:
    """What a result was computed on: network, source, date, modelled, and how its car minutes are calibrated.

    ``calibration`` is the relation the printed car minutes follow, its reference and the measured error of
    the printed minutes; ``None`` (with a ``note``) for a car network that prints routed minutes and for a
    modelled walk network.
    """
    p = network.provenance
    summary: dict[str, Any] = {key: p[key] for key in ("network", "source", "date", "modelled") if key in p}
    summary["mode"] = network.mode
    calibration = p.get("calibration") or {}
    if network.time_calibration is not None:
        summary["calibration"] = {key: calibration[key] for key in CALIBRATION_KEYS if key in calibration}
    elif network.mode == "drive":
        summary["calibration"] = None
        summary["note"] = NOT_CALIBRATED
    elif p.get("modelled"):
        summary["calibration"] = None
        if p.get("note"):
            summary["note"] = p["note"]
    return summary


def road_journey(origin: Place, destination: Place, router: Router) -> dict[str, Any]:
    """Door-to-door minutes as printed (calibrated, see :func:`network_provenance`), the routed minutes,
    km and path summary between two places."""
    route = router.route((origin.lon, origin.lat), (destination.lon, destination.lat))
    return {
        "from": origin.to_dict(),
        "to": destination.to_dict(),
        "mode": "car" if router.network.mode == "drive" else "walk",
        "minutes": round(route.minutes, 1),
        "routed_minutes": round(route.routed_seconds / 60.0, 1),
        "km": round(route.metres / 1000.0, 1),
        "access_minutes": round((route.access_s + route.egress_s) / 60.0, 1),
        "path": {"nodes": len(route.node_path), "via": route.via},
        "provenance": network_provenance(router.network),
    }


def road_matrix(
    origins: pd.DataFrame, destinations: pd.DataFrame, router: Router, cutoff_minutes: float | None = None
) -> pd.DataFrame:
    """Long table ``origin_id, destination_id, minutes, km, routed_minutes`` (``NaN`` where unreachable).

    ``minutes`` are as printed (calibrated where the network is), ``routed_minutes`` before calibration.

    ``origins`` and ``destinations`` have ``id``, ``lon`` and ``lat`` columns.
    """
    cutoff = None if cutoff_minutes is None else cutoff_minutes * 60.0
    matrix = router.many_to_many(
        origins[["lon", "lat"]].to_numpy(), destinations[["lon", "lat"]].to_numpy(), cutoff_s=cutoff, with_metres=True
    )
    assert matrix.metres is not None  # asked for with_metres
    minutes = matrix.seconds / 60.0
    km = matrix.metres / 1000.0
    reachable = np.isfinite(minutes)
    return pd.DataFrame(
        {
            "origin_id": np.repeat(origins["id"].to_numpy(), len(destinations)),
            "destination_id": np.tile(destinations["id"].to_numpy(), len(origins)),
            "minutes": np.where(reachable, minutes.round(2), np.nan).ravel(),
            "km": np.where(reachable, km.round(3), np.nan).ravel(),
            "routed_minutes": np.where(reachable, (matrix.routed / 60.0).round(2), np.nan).ravel(),
        }
    )
