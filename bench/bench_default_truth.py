"""How truthful the shipped default is (issue 13): car minutes as printed, stop coverage, the inspection's homes.

Run ``python bench/bench_default_truth.py``; writes ``bench/results/default_truth.md``. Four tables, each measured
on what a user sees:

1. car minutes as ``geoaccess matrix`` prints them (``road_matrix``) against the reference's held-back half
   (the LSOAs :func:`~geoaccess.roads.calibration.split_of` calls ``check``; pairs with an end off the pack's
   land left out, as ``geoaccess network calibrate`` does), by straight-line distance band; and the network km
   over the straight line;
2. the stops the default timetable serves and the residents near one (:mod:`geoaccess.analysis.stop_coverage`);
3. the six homes of the inspection to the Carlisle BBR session (Thursday 18:00-20:30), as ``geoaccess roundtrip``
   answers;
4. the synthetic caseload's BBR summary, as ``geoaccess access --synthetic --programme BBR`` answers.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _machine import git_revision

from geoaccess.analysis.stop_coverage import every_stop_coverage, stop_coverage
from geoaccess.geometry import haversine_m
from geoaccess.pack import load_pack
from geoaccess.roads.calibration import DISTANCE_BANDS_KM, modelled_minutes, split_of
from geoaccess.roads.journeys import road_matrix
from geoaccess.roads.sources import router_for
from geoaccess.services.analysis import Analysis, access, caseload_people
from geoaccess.services.roundtrips import round_trip_days, venue_place
from geoaccess.transit.sources import planner_for
from geoaccess.venues import load_venues

RESULTS = Path(__file__).parent / "results" / "default_truth.md"
HOMES = {
    "Barrow": "LA14 1RP",
    "Whitehaven": "CA28 7AH",
    "Workington": "CA14 4EW",
    "Millom": "LA18 4DD",
    "Kendal": "LA9 4RF",
    "Penrith": "CA11 7HW",
}
VENUE, DAY, START, END = "carlisle-crc-lmc", "thu", "18:00", "20:30"


def car_table() -> tuple[pd.DataFrame, dict[str, float]]:
    """Printed car minutes against the reference's held-back half, by band; and km over the straight line."""
    pack = load_pack()
    reference = pack.table("car_reference.parquet")
    check = reference[reference["lsoa11"].map(split_of) == "check"].reset_index(drop=True)
    router = router_for("car")
    inside = modelled_minutes(router.network, check, pack.land.geometry.iloc[0]).notna()  # as calibrate leaves out
    check = check[inside.to_numpy()].reset_index(drop=True)
    origins = check[["origin_lon", "origin_lat"]].drop_duplicates().reset_index(drop=True)
    destinations = check[["destination_lon", "destination_lat"]].drop_duplicates().reset_index(drop=True)
    table = road_matrix(
        origins.rename(columns={"origin_lon": "lon", "origin_lat": "lat"}).assign(id=lambda f: f.index.astype(str)),
        destinations.rename(columns={"destination_lon": "lon", "destination_lat": "lat"}).assign(
            id=lambda f: f.index.astype(str)
        ),
        router,
    )
    o_id = check.merge(origins.reset_index(), on=["origin_lon", "origin_lat"])["index"].astype(str)
    d_id = check.merge(destinations.reset_index(), on=["destination_lon", "destination_lat"])["index"].astype(str)
    printed = table.set_index(["origin_id", "destination_id"]).loc[list(zip(o_id, d_id, strict=True))]
    check = check.assign(printed=printed["minutes"].to_numpy(), km=printed["km"].to_numpy())
    check["straight_km"] = (
        haversine_m(check["origin_lon"], check["origin_lat"], check["destination_lon"], check["destination_lat"])
        / 1000.0
    )
    check = check[np.isfinite(check["printed"])]
    check["error_pct"] = 100.0 * (check["printed"] - check["minutes"]) / check["minutes"]
    rows = []
    bands = list(zip(DISTANCE_BANDS_KM[:-1], DISTANCE_BANDS_KM[1:], strict=True)) + [(0, np.inf)]
    for low, high in bands:
        inside = check[(check["straight_km"] >= low) & (check["straight_km"] < high)]
        label = "all" if (low, high) == (0, np.inf) else (f"{low}-{high}" if np.isfinite(high) else f"{low}+")
        rows.append(
            {
                "band_km": label,
                "pairs": len(inside),
                "median_abs_error_pct": round(float(inside["error_pct"].abs().median()), 1),
                "bias_pct": round(float(inside["error_pct"].median()), 1),
            }
        )
    ratio = check["km"] / check["straight_km"]
    circuity = {"median": round(float(ratio.median()), 2), "max": round(float(ratio.max()), 2)}
    return pd.DataFrame(rows), circuity


def homes_table() -> pd.DataFrame:
    """The inspection's six homes to the Carlisle BBR session, as ``geoaccess roundtrip`` answers."""
    venues = load_venues()
    place = venue_place(VENUE, venues)
    rows = []
    for town, postcode in HOMES.items():
        answer = round_trip_days(home=postcode, place=place, venues=venues, day=DAY, start=START, end=END)
        out, back = answer.get("outbound"), answer.get("return")
        rows.append(
            {
                "home": f"{town} {postcode}",
                "verdict": "works" if answer["feasible"] else "does NOT work",
                "leave": out["depart"] if out else "-",
                "home_at": back["arrive"] if back else "-",
                "flags": ", ".join(answer["flags"]) or "-",
                "assumptions": _assumptions(answer),
            }
        )
    return pd.DataFrame(rows)


def _assumptions(answer: dict[str, Any]) -> str:
    """The assumed trips an answer rests on, or says it names none (or that this version does not say)."""
    if "assumptions" not in answer:
        return "(not reported)"
    return "; ".join(answer["assumptions"]) or "none: every trip cited or from the 2020 CIF sample"


def caseload_table() -> dict[str, Any]:
    """The synthetic caseload's BBR summary, as ``geoaccess access --synthetic --programme BBR`` gives it."""
    payload, _ = access(
        people=caseload_people(synthetic=True), analysis=Analysis(), venues=load_venues(), programme="BBR"
    )
    overall: dict[str, Any] = payload["programmes"]["BBR"]["overall"]
    return {
        key: overall.get(key)
        for key in (
            "people",
            "no_way_there",
            "no_way_home",
            "over_120_either_way",
            "home_after_2300",
            "round_trip_feasible",
            "car_minutes_median",
            "pt_minutes_median",
            "rests_on_assumption",
        )
    }


def markdown(frame: pd.DataFrame) -> str:
    """A frame as a Markdown table."""
    head = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return head + "".join("| " + " | ".join(str(v) for v in row) + " |\n" for row in frame.itertuples(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    pack = load_pack()
    cars, circuity = car_table()
    coverage = stop_coverage(pack, planner_for().timetable)
    text = [
        "# How truthful the default is\n",
        f"Pack {pack.path.name}; commit {git_revision()}; run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n",
        "## Car minutes as printed, against the reference's held-back half\n",
        markdown(cars),
        f"\nNetwork km over the straight line: median {circuity['median']}, max {circuity['max']}.\n",
        "## Stops the default timetable serves\n",
        f"Bus stops served: {coverage.bus_stops_served} of {coverage.bus_stops_active} active in Cumbria; "
        f"rail stations served: {coverage.stations_served}.\n",
        markdown(coverage.table),
        "\nEvery active bus stop and rail station (what a complete timetable could reach):\n",
        markdown(every_stop_coverage(pack)),
        f"\n## The inspection's homes to the Carlisle BBR session ({DAY} {START}-{END}, {VENUE})\n",
        markdown(homes_table()),
        "\n## Synthetic caseload, BBR\n",
        markdown(pd.DataFrame([caseload_table()])),
    ]
    args.out.write_text("\n".join(text), encoding="utf-8")
    print("\n".join(text))


if __name__ == "__main__":
    main()
