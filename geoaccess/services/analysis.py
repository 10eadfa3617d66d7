"""The manager's questions for a caseload: measures, scenario comparison and venue siting.

Each use case has one set of defaults and checks here, shared by the CLI, the API and the planner's jobs.
Results are aggregates (by district and LSOA, small counts suppressed); per-person tables are returned
for the caller to write only when asked, keyed by the caseload's own pseudonymous ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoaccess.analysis.caseload import read_caseload
from geoaccess.analysis.chunked import Chunking, measures_job
from geoaccess.analysis.comparison import compare_measured
from geoaccess.analysis.measures import Settings, by_area, person_measures, population_measures, summarise
from geoaccess.analysis.scenarios import Offer, Scenario, current_scenario, scenario_from_dict
from geoaccess.analysis.siting.candidates import candidates
from geoaccess.analysis.siting.costs import cost_matrix, parse_session
from geoaccess.analysis.siting.solve import site_result_dict
from geoaccess.analysis.synthetic import synthetic_caseload
from geoaccess.defaults import (
    DAY,
    LONG_JOURNEY_MIN,
    MOST_COMPARED_SCENARIOS,
    SITING_COST,
    SITING_COSTS,
    SITING_OBJECTIVE,
    SITING_OBJECTIVES,
    SITING_PROGRAMME,
    SITING_TIME_LIMIT_S,
    SUPPRESS_BELOW,
    WINDOW,
)
from geoaccess.errors import BadInput, InvalidRequest, NotCovered
from geoaccess.pack import CUMBRIAN_COUNCILS, load_pack
from geoaccess.roads.router import Router
from geoaccess.services.engines import analysis_provenance
from geoaccess.transit.planner import Planner, parse_clock
from geoaccess.transit.sources import DataChoice
from geoaccess.venues import Session, Venue
from geoaccess.weekdays import weekday_name

SYNTHETIC_LABEL = "SYNTHETIC demonstration caseload"
"""The councils whose residents the population measures and isochrone maps cover."""


@dataclass(frozen=True)
class People:
    """A caseload's people (no postcodes) and what results must say about them."""

    frame: pd.DataFrame
    label: str
    synthetic: bool

    def needing(self, programme: str) -> pd.DataFrame:
        """The people whose requirement is ``programme``; a BadInput when there are none."""
        group = self.frame[self.frame["requirement"] == programme]
        if group.empty:
            raise BadInput(f"no one in the caseload needs {programme}")
        return group


def caseload_people(*, file: Path | None = None, synthetic: bool = False) -> People:
    """The caseload file given, or the synthetic demonstration caseload (exactly one)."""
    if (file is None) == (not synthetic):
        raise InvalidRequest("give exactly one of a caseload file or the synthetic caseload")
    caseload = synthetic_caseload() if synthetic else read_caseload(Path(file or ""))
    if caseload.people.empty:
        raise BadInput("the caseload has no usable rows: run `geoaccess caseload check` to see why")
    label = SYNTHETIC_LABEL if caseload.synthetic else "user caseload"
    return People(caseload.people, label, caseload.synthetic)


def measure_settings(*, day: str = DAY, window: str = WINDOW, suppress_below: int = SUPPRESS_BELOW) -> Settings:
    """Measure settings from what a user typed: a weekday, a ``HH:MM-HH:MM`` window, a suppression count."""
    parts = [part.strip() for part in window.split("-")]
    if len(parts) != 2:
        raise BadInput("the departure window must be HH:MM-HH:MM")
    if parse_clock(parts[1]) <= parse_clock(parts[0]):
        raise BadInput("the departure window ends before it starts")
    if isinstance(suppress_below, bool) or not isinstance(suppress_below, int) or suppress_below < 1:
        raise BadInput("counts are suppressed below a whole number of people, 1 or more")
    return Settings(weekday=weekday_name(day), window=(parts[0], parts[1]), suppress_below=suppress_below)


@dataclass(frozen=True)
class Analysis:
    """The settings and data an analysis runs with; its engines load once per process."""

    settings: Settings = field(default_factory=Settings)
    data: DataChoice = field(default_factory=DataChoice)

    @cached_property
    def car(self) -> Router:
        """The car router."""
        return self.data.router("car")

    @cached_property
    def planner(self) -> Planner:
        """The public transport planner."""
        return self.data.planner()

    @property
    def service_date(self) -> date:
        """The date of the departure window's weekday in the timetable."""
        return self.planner.timetable.date_for(self.settings.weekday)

    def provenance(self, people: People | None = None) -> dict[str, Any]:
        """Networks, timetable and caseload behind a result, and whether any is modelled."""
        label = None if people is None else people.label
        return analysis_provenance(self.car, self.planner, self.service_date, label)


@dataclass(frozen=True)
class Measured:
    """One scenario measured for the people needing its programme."""

    scenario: Scenario
    people: pd.DataFrame
    measures: pd.DataFrame

    def summary(self, settings: Settings) -> dict[str, Any]:
        """Aggregates only: overall, by district, by LSOA (small counts suppressed)."""
        return {
            "name": self.scenario.name,
            "scenario": self.scenario.to_dict(),
            "overall": summarise(self.measures, settings),
            "by_district": by_area(self.measures, "district", settings),
            "by_lsoa": by_area(self.measures, "lsoa21", settings),
        }


def scenarios_from_documents(documents: Sequence[object], venues: list[Venue]) -> list[Scenario]:
    """Scenarios from their JSON documents (``{"today": "BBR"}`` or the scenario format), at most
    :data:`~geoaccess.defaults.MOST_COMPARED_SCENARIOS` of them: the count is checked before any is built."""
    check_scenario_count(len(documents))
    return [scenario_from_dict(document, venues) for document in documents]


def check_scenario_count(count: int) -> None:
    """Refuse more than :data:`~geoaccess.defaults.MOST_COMPARED_SCENARIOS` scenarios in one analysis
    (each is a full pass over the caseload), before anything is loaded or built."""
    if count > MOST_COMPARED_SCENARIOS:
        raise BadInput(f"compare at most {MOST_COMPARED_SCENARIOS} scenarios at a time")


def same_programme(scenarios: list[Scenario], *, least: int = 1) -> str:
    """The one programme of ``scenarios`` (at least ``least`` of them), or a BadInput."""
    if len(scenarios) < least:
        raise BadInput(f"give {least} or more scenarios")
    if len({s.programme for s in scenarios}) != 1:
        raise BadInput("the scenarios must be for the same programme")
    return scenarios[0].programme


def measure_scenarios(
    *, people: People, scenarios: list[Scenario], analysis: Analysis, chunking: Chunking | None = None
) -> list[Measured]:
    """Each scenario's per-person measures for the people needing its (shared) programme."""
    group = people.needing(same_programme(scenarios))
    for scenario in scenarios:
        check_car_reaches(group, scenario.offers, analysis)
    measured = []
    for scenario in scenarios:
        if chunking is None:
            measures = person_measures(group, scenario, analysis.car, analysis.planner, analysis.settings)
        else:
            measures = measures_job(group, scenario, analysis.settings, data=analysis.data, chunking=chunking)
        measured.append(Measured(scenario, group, measures))
    return measured


def check_car_reaches(people: pd.DataFrame, venues: Sequence[Offer], analysis: Analysis) -> None:
    """:class:`~geoaccess.errors.NotCovered` when a car network given by the user does not reach some of the
    people (counted, never placed) or of the venues (named): their car minutes would be a long straight line
    to the nearest road, not a measure. The pack's network covers every place geocoding accepts."""
    if analysis.data.network is None:
        return
    reaches = analysis.car.reaches
    homes = people[["lon", "lat"]].to_numpy(dtype=float)
    missed_people = int((~reaches(homes[:, 0], homes[:, 1])).sum()) if len(homes) else 0
    places = np.asarray([[o.lon, o.lat] for o in venues], dtype=float).reshape(-1, 2)
    missed_venues = [o.venue_id for o, ok in zip(venues, reaches(places[:, 0], places[:, 1]), strict=True) if not ok]
    if missed_people or missed_venues:
        what = [f"{missed_people} of the {len(homes)} people"] if missed_people else []
        if missed_venues:
            more = f" and {len(missed_venues) - 3} more" if len(missed_venues) > 3 else ""
            what.append(f"venue(s) {', '.join(missed_venues[:3])}{more}")
        raise NotCovered(
            f"the car network in use ({analysis.car.network.provenance.get('source', 'given')}) does not reach "
            f"{' and '.join(what)} within {analysis.car.coverage_m / 1000:g} km; nothing computed"
        )


def access(
    *,
    people: People,
    analysis: Analysis,
    venues: list[Venue],
    programme: str | None = None,
    chunking: Chunking | None = None,
) -> tuple[dict[str, Any], list[pd.DataFrame]]:
    """Burden of today's venues for each requirement (or one): aggregates, and per-person tables for the caller."""
    with_need = people.frame[people.frame["requirement"].notna()]
    wanted = [programme.upper()] if programme else sorted(with_need["requirement"].unique())
    results, tables = {}, []
    for code in wanted:
        scenario = current_scenario(code, venues)
        if (with_need["requirement"] == scenario.programme).sum() == 0:
            continue
        measured = measure_scenarios(people=people, scenarios=[scenario], analysis=analysis, chunking=chunking)[0]
        tables.append(measured.measures.assign(requirement=scenario.programme))
        summary = measured.summary(analysis.settings)
        results[scenario.programme] = {
            "scenario": summary["scenario"],
            "overall": summary["overall"],
            "by_district": summary["by_district"],
            "by_lsoa": summary["by_lsoa"],
            "population": population_measures(
                load_pack(), scenario, analysis.car, analysis.planner, analysis.settings, councils=CUMBRIAN_COUNCILS
            ),
        }
    payload = {
        "synthetic": people.synthetic,
        "settings": analysis.settings.to_dict(),
        "programmes": results,
        "provenance": analysis.provenance(people),
    }
    return payload, tables


def compare(*, people: People, scenarios: list[Scenario], analysis: Analysis) -> tuple[dict[str, Any], list[Measured]]:
    """Two or more scenarios side by side, the change against the first, gains and losses by district."""
    same_programme(scenarios, least=2)
    measured = measure_scenarios(people=people, scenarios=scenarios, analysis=analysis)
    result = compare_measured(scenarios, [m.measures for m in measured], analysis.settings)
    result.update(
        {
            "programme": scenarios[0].programme,
            "people": len(measured[0].people),
            "synthetic": people.synthetic,
            "settings": analysis.settings.to_dict(),
            "provenance": analysis.provenance(people),
        }
    )
    return result, measured


# --- siting ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingRequest:
    """Which venues to choose: ``p`` more, for ``programme``, by ``objective`` over ``cost`` minutes."""

    programme: str = SITING_PROGRAMME
    p: int = 1
    objective: str = SITING_OBJECTIVE
    cost: str = SITING_COST
    threshold: float = float(LONG_JOURNEY_MIN)
    keep: tuple[str, ...] = ()
    session: str | None = None
    """The new venues' session (``Thu 18:00-20:30``); default: the programme's first session today."""
    time_limit_s: float = SITING_TIME_LIMIT_S

    def to_dict(self) -> dict[str, Any]:
        """Plain data (a job's parameters)."""
        return {
            "programme": self.programme,
            "p": self.p,
            "objective": self.objective,
            "cost": self.cost,
            "threshold": self.threshold,
            "keep": list(self.keep),
            "session": self.session,
            "time_limit_s": self.time_limit_s,
        }


@dataclass(frozen=True)
class SitingPlan:
    """A checked siting request: today's scenario, the new venues' session and the candidates."""

    request: SitingRequest
    today: Scenario
    session: Session
    candidates: list[Any]


def plan_siting(request: SitingRequest, *, venues: list[Venue], most_p: int | None = None) -> SitingPlan:
    """Check every value of ``request`` (``most_p`` bounds ``p`` where a caller must) and list the candidates."""
    whole = not isinstance(request.p, bool) and isinstance(request.p, int)
    if not whole or request.p < 1 or (most_p is not None and request.p > most_p):
        most = "or more" if most_p is None else f"to {most_p}"
        raise BadInput(f"p (venues to add) must be a whole number from 1 {most}")
    if request.objective not in SITING_OBJECTIVES:
        raise BadInput(f"the objective must be one of {', '.join(SITING_OBJECTIVES)}")
    if request.cost not in SITING_COSTS:
        raise BadInput(f"the cost must be one of {', '.join(SITING_COSTS)}")
    if not 0 < request.threshold <= 24 * 60:
        raise BadInput("the threshold must be more than 0 and at most 1440 minutes")
    if not 0 < request.time_limit_s <= 3600:
        raise BadInput("the time limit must be more than 0 and at most 3600 seconds")
    today = current_scenario(request.programme, venues)
    session = parse_session(request.session, today.programme) if request.session else today.offers[0].sessions[0]
    offers = candidates(load_pack(), venues, today, session)
    known = {offer.venue_id for offer in offers}
    if any(venue_id not in known for venue_id in request.keep):
        raise BadInput("a kept venue id is not a candidate (GET /api/v1/venues or `geoaccess venues list` lists ids)")
    return SitingPlan(request, today, session, offers)


def site(
    *, people: People, plan: SitingPlan, analysis: Analysis, measure_change: bool = False
) -> tuple[dict[str, Any], list[Measured]]:
    """Choose the venues; with ``measure_change`` also measure today's venues against the chosen ones."""
    request, today = plan.request, plan.today
    group = people.needing(today.programme)
    check_car_reaches(group, plan.candidates, analysis)
    minutes = cost_matrix(group, plan.candidates, request.cost, analysis.car, analysis.planner, analysis.settings)
    result = site_result_dict(
        minutes,
        np.ones(len(group)),
        [o.venue_id for o in plan.candidates],
        request.p,
        request.objective,
        threshold=request.threshold,
        keep=request.keep,
        time_limit_s=request.time_limit_s,
    )
    names = {o.venue_id: o.name for o in plan.candidates}
    result.update(
        {
            "programme": today.programme,
            "cost": request.cost,
            "people": len(group),
            "new_venue_session": plan.session.label(),
            "candidates": len(plan.candidates),
            "names": {key: names.get(key, key) for key in {*result["selected"], *request.keep}},
            "synthetic": people.synthetic,
            "settings": analysis.settings.to_dict(),
            "provenance": analysis.provenance(people),
        }
    )
    if not measure_change:
        return result, []
    chosen = Scenario(
        name=f"{today.programme}: chosen venues",
        programme=today.programme,
        offers=tuple(o for o in plan.candidates if o.venue_id in set(result["selected"])),
    )
    measured = measure_scenarios(people=people, scenarios=[today, chosen], analysis=analysis)
    result["today_overall"] = summarise(measured[0].measures, analysis.settings)
    result["chosen_overall"] = summarise(measured[1].measures, analysis.settings)
    return result, measured
