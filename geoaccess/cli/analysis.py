"""``geoaccess access``, ``geoaccess scenario compare`` and ``geoaccess site``: the manager's questions.

Outputs are aggregates (by district and LSOA, small counts suppressed); the per-person table is
written only when asked for, keyed by the caseload's own pseudonymous ids, never with postcodes or positions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from geoaccess.cli.options import (
    analysis_of,
    analysis_options,
    caseload_options,
    emit_json,
    json_option,
    reports_errors,
)
from geoaccess.defaults import (
    LONG_JOURNEY_MIN,
    SITING_COST,
    SITING_COSTS,
    SITING_OBJECTIVE,
    SITING_OBJECTIVES,
    SITING_PROGRAMME,
    SITING_TIME_LIMIT_S,
)
from geoaccess.errors import BadInput

if TYPE_CHECKING:
    from geoaccess.analysis.scenarios import Scenario
    from geoaccess.services.analysis import People
    from geoaccess.venues import Venue


def data_line(provenance: dict[str, Any]) -> str:
    """What the figures rest on, MODELLED where they are (one line of text under a result)."""
    from geoaccess.services.engines import describe

    return ("MODELLED " if provenance.get("modelled") else "") + "data: " + describe(provenance)


def people_of(caseload_file: Path | None, synthetic: bool) -> People:
    """The caseload named by :data:`~geoaccess.cli.options.caseload_options`."""
    from geoaccess.services.analysis import caseload_people

    if (caseload_file is None) == (not synthetic):
        raise BadInput("give exactly one of --caseload FILE or --synthetic")
    return caseload_people(file=caseload_file, synthetic=synthetic)


def named_scenarios(texts: tuple[str, ...], venues: list[Venue]) -> list[Scenario]:
    """Scenarios named on the command line: ``today:PROGRAMME`` or a scenario JSON file."""
    from geoaccess.analysis.scenarios import current_scenario, read_scenario

    return [
        current_scenario(text.split(":", 1)[1], venues)
        if text.lower().startswith("today:")
        else read_scenario(Path(text), venues)
        for text in texts
    ]


@click.command()
@caseload_options
@click.option("--programme", help="Only people needing this (BBR, TSP, NSOGP, UPW, REPORTING).")
@click.option(
    "--per-person",
    type=click.Path(path_type=Path),
    help="Also write one row per person (pseudonymous id, area, minutes, flags) to this CSV.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://HOST:PORT): compute per-person measures in chunks on a cluster.",
)
@click.option(
    "--chunk-size", type=click.IntRange(min=1), help="People per chunk (default: one chunk; 500 with --scheduler)."
)
@analysis_options
@json_option
@reports_errors
def access(
    caseload_file: Path | None,
    synthetic: bool,
    programme: str | None,
    per_person: Path | None,
    scheduler: str | None,
    chunk_size: int | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Travel burden of a caseload to the venues offering each person's requirement."""
    from geoaccess._io import write_atomically
    from geoaccess.analysis.chunked import Chunking
    from geoaccess.csv_cells import neutralise_csv_frame
    from geoaccess.services.analysis import access as measure_access
    from geoaccess.venues import load_venues

    people = people_of(caseload_file, synthetic)
    chunking = None
    if scheduler or chunk_size:
        chunking = Chunking(chunk_size=chunk_size or 500, scheduler=scheduler, progress=sys.stderr.isatty())
    payload, tables = measure_access(
        people=people, analysis=analysis_of(options), venues=load_venues(), programme=programme, chunking=chunking
    )
    if per_person and tables:
        import pandas as pd

        table = neutralise_csv_frame(pd.concat(tables))  # caseload ids are the user's text
        write_atomically(Path(per_person), lambda path: table.to_csv(path, index=False))
    if as_json:
        emit_json(payload)
        return
    label = "SYNTHETIC caseload" if people.synthetic else "caseload"
    for code, result in payload["programmes"].items():
        o = result["overall"]
        click.echo(
            f"{code} ({label}, {o['people']} people): car median {o['car_minutes_median']} min; public "
            f"transport median {o['pt_minutes_median']} min; round trip feasible for "
            f"{o['round_trip_feasible']}; over two hours either way {o['over_120_either_way']}; "
            f"no way home {o['no_way_home']}; resting on assumed times {o['rests_on_assumption']}"
        )
    click.echo(data_line(payload["provenance"]))


@click.group()
def scenario() -> None:
    """Compare venue scenarios for a programme."""


@scenario.command("compare")
@click.argument("scenarios", nargs=-1, required=True)
@caseload_options
@analysis_options
@json_option
@reports_errors
def compare(
    scenarios: tuple[str, ...], caseload_file: Path | None, synthetic: bool, as_json: bool, **options: Any
) -> None:
    """Compare SCENARIOS (JSON files, or today:PROGRAMME) for the people needing their programme."""
    from geoaccess.services.analysis import compare as compare_scenarios
    from geoaccess.services.analysis import same_programme
    from geoaccess.venues import load_venues

    chosen = named_scenarios(scenarios, load_venues())
    same_programme(chosen, least=2)
    result, _ = compare_scenarios(
        people=people_of(caseload_file, synthetic), scenarios=chosen, analysis=analysis_of(options)
    )
    if as_json:
        emit_json(result)
        return
    for entry in result["scenarios"]:
        o = entry["overall"]
        click.echo(
            f"{entry['name']}: round trip feasible {o['round_trip_feasible']} of {o['people']}; over two "
            f"hours {o['over_120_either_way']}; no way home {o['no_way_home']}; resting on assumed times "
            f"{o['rests_on_assumption']}; public transport median {o['pt_minutes_median']} min"
        )
    click.echo(data_line(result["provenance"]))


@click.command()
@caseload_options
@click.option(
    "--matrix",
    "matrix_file",
    type=click.Path(path_type=Path),
    help="Or a cost matrix CSV: origin_id, weight, one column of minutes per candidate.",
)
@click.option("--p", "p", required=True, type=int, help="How many venues to add to the kept ones.")
@click.option("--objective", type=click.Choice(SITING_OBJECTIVES), default=SITING_OBJECTIVE, show_default=True)
@click.option(
    "--threshold", default=float(LONG_JOURNEY_MIN), show_default=True, type=float, help="Minutes for mclp and over120."
)
@click.option("--keep", default="", help="Comma-separated venue ids to keep (e.g. carlisle-crc-lmc).")
@click.option(
    "--programme", default=SITING_PROGRAMME, show_default=True, help="With a caseload: whose people to site for."
)
@click.option(
    "--cost",
    type=click.Choice(SITING_COSTS),
    default=SITING_COST,
    show_default=True,
    help="With a caseload: car minutes, transit minutes (departure window median), or the session "
    "round trip (the longer way, unreachable when there is no way there or home).",
)
@click.option(
    "--session",
    "session_text",
    default=None,
    help="With --cost roundtrip: session of new venues, e.g. 'Thu 18:00-20:30' (default: the programme's "
    "first session today).",
)
@click.option(
    "--time-limit",
    default=SITING_TIME_LIMIT_S,
    show_default=True,
    type=float,
    help="Seconds for the integer program.",
)
@analysis_options
@json_option
@reports_errors
def site(
    caseload_file: Path | None,
    synthetic: bool,
    matrix_file: Path | None,
    p: int,
    objective: str,
    threshold: float,
    keep: str,
    programme: str,
    cost: str,
    session_text: str | None,
    time_limit: float,
    as_json: bool,
    **options: Any,
) -> None:
    """Choose venues: p-median (mean time), mclp (most people within the threshold) or over120 (fewest over)."""
    kept = tuple(k.strip() for k in keep.split(",") if k.strip())
    if matrix_file is not None:
        from geoaccess.analysis.siting.solve import site_matrix_file

        if caseload_file is not None or synthetic:
            raise BadInput("give either --matrix or a caseload, not both")
        result = site_matrix_file(
            matrix_file, p, objective, threshold=threshold, keep=list(kept), time_limit_s=time_limit
        )
        result["provenance"] = {"matrix": matrix_file.name}
    else:
        from geoaccess.services.analysis import SitingRequest, plan_siting
        from geoaccess.services.analysis import site as choose_sites
        from geoaccess.venues import load_venues

        request = SitingRequest(
            programme=programme,
            p=p,
            objective=objective,
            cost=cost,
            threshold=threshold,
            keep=kept,
            session=session_text,
            time_limit_s=time_limit,
        )
        plan = plan_siting(request, venues=load_venues())
        result, _ = choose_sites(people=people_of(caseload_file, synthetic), plan=plan, analysis=analysis_of(options))
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"selected: {', '.join(result['selected'])} ({'optimal' if result['optimal'] else 'best found'}, "
        f"{result['method']}); objective {result['objective']}"
    )
    if "car_network" in result["provenance"]:  # a --matrix file's times have no known source
        click.echo(data_line(result["provenance"]))
