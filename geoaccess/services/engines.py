"""Which road network and timetable a request runs on, and what its result must say about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from geoaccess.defaults import MAX_TRANSFERS, WALK_LIMIT_M
from geoaccess.errors import BadInput
from geoaccess.roads.journeys import network_provenance
from geoaccess.roads.router import Router
from geoaccess.roads.sources import router_for
from geoaccess.transit.planner import Planner
from geoaccess.transit.sources import planner_for, transit_provenance


@dataclass(frozen=True)
class DataChoice:
    """The data behind a request: feeds and a built network given by the user, else the pack's modelled ones."""

    gtfs: tuple[Path, ...] = ()
    cif: tuple[Path, ...] = ()
    network: Path | None = None
    walk_limit_m: float = WALK_LIMIT_M
    max_transfers: int = MAX_TRANSFERS

    def __post_init__(self) -> None:
        if not 0 < self.walk_limit_m <= 10_000:
            raise BadInput(f"the walk limit must be more than 0 and at most 10000 metres (got {self.walk_limit_m:g})")
        if not 0 <= self.max_transfers <= 10:
            raise BadInput(f"the transfer cap must be from 0 to 10 (got {self.max_transfers})")

    def router(self, mode: str) -> Router:
        """The car (``car``) or walking (``walk``) router, loaded once per process."""
        return router_for(mode, self.network)

    def planner(self) -> Planner:
        """The public transport planner on the chosen timetable and walk network, built once per process."""
        return planner_for(self.gtfs, self.cif, self.network, self.walk_limit_m, self.max_transfers)


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
    """A provenance dict as one line of text (map footers): each network and timetable, its date, MODELLED or not."""
    parts = []
    for key in ("car_network", "walk_network"):
        network = provenance.get(key)
        if network:
            error = (network.get("calibration") or {}).get("median_abs_pct_error")
            modelled = ", modelled" if network.get("modelled") else ""
            if error is not None:
                modelled = f", modelled, median error {error}%"
            parts.append(f"{key.replace('_', ' ')}: {network.get('network')} ({network.get('date')}){modelled}")
    table = provenance.get("timetable")
    if table:
        parts.append(
            f"timetable: {table.get('timetable')} ({table.get('source')}, {table.get('valid_from')} to "
            f"{table.get('valid_to')})" + (", modelled" if table.get("modelled") else "")
        )
    if provenance.get("caseload"):
        parts.append(provenance["caseload"])
    return "; ".join(parts)
