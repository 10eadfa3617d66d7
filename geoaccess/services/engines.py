"""What a result must say about the road network and timetable it ran on, as data and as one line of text."""

from __future__ import annotations

from datetime import date
from typing import Any

from geoaccess.roads.journeys import network_provenance
from geoaccess.roads.router import Router
from geoaccess.transit.planner import Planner
from geoaccess.transit.sources import transit_provenance


def analysis_provenance(car: Router, planner: Planner, when: date, caseload_label: str | None = None) -> dict[str, Any]:
    """Road network, timetable and (when there is one) caseload behind an analysis, and whether any is modelled."""
    transit = transit_provenance(planner, when)
    result: dict[str, Any] = {
        "car_network": network_provenance(car.network),
        "timetable": transit["timetable"],
        "walk_network": transit["walk_network"],
        "modelled": bool(transit["modelled"] or car.network.provenance.get("modelled")),
    }
    if caseload_label is not None:
        result["caseload"] = caseload_label
    return result


def describe(provenance: dict[str, Any]) -> str:
    """A provenance dict as one line of text (map footers): each network and timetable, its date, MODELLED or not,
    and for the car network how its printed minutes are calibrated and the measured error of those minutes."""
    parts = []
    for key in ("car_network", "walk_network"):
        network = provenance.get(key)
        if network:
            if "detour_factor" in network:  # straight-line walks: no walk network
                parts.append(
                    f"{key.replace('_', ' ')}: none, walks modelled as straight lines x {network['detour_factor']:g}"
                )
                continue
            parts.append(
                f"{key.replace('_', ' ')}: {network.get('network')} ({network.get('date')})"
                + (", modelled" if network.get("modelled") else "")
                + _calibration_text(network)
            )
    table = provenance.get("timetable")
    if table:
        parts.append(
            f"timetable: {table.get('timetable')} ({table.get('source')}, {table.get('valid_from')} to "
            f"{table.get('valid_to')})" + (", modelled" if table.get("modelled") else "")
        )
    if provenance.get("caseload"):
        parts.append(provenance["caseload"])
    return "; ".join(parts)


def calibration_error(calibration: dict[str, Any]) -> str:
    """A calibration's measured error and what it was measured against: ``median error 8.5% against ...``."""
    return f"median error {calibration.get('median_abs_pct_error')}% against {calibration.get('reference')}"


def _calibration_text(network: dict[str, Any]) -> str:
    """How a car network's printed minutes are calibrated, and their measured error, as a clause."""
    calibration = network.get("calibration")
    if calibration:
        return f", minutes calibrated ({calibration.get('relation')}), {calibration_error(calibration)}"
    return ", minutes not calibrated" if network.get("mode") == "drive" else ""
