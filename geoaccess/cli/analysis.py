"""``geoaccess access``, ``geoaccess scenario compare`` and ``geoaccess site``: the manager's questions.

Outputs are aggregates (by district and LSOA, small counts suppressed); the
per-person table is written only when asked for, keyed by the caseload's own
pseudonymous ids, never with postcodes or positions.
"""

from __future__ import annotations

from pathlib import Path

import click

from geoaccess._io import write_atomically
from geoaccess.cli.options import emit_json, json_option, reports_errors
from geoaccess.errors import BadInput

caseload_option = click.option(
    "--caseload",
    "caseload_file",
    type=click.Path(path_type=Path),
    help="Caseload CSV/XLSX (see `geoaccess caseload check`).",
)
synthetic_option = click.option(
    "--synthetic", is_flag=True, help="Use the synthetic demonstration caseload (labelled SYNTHETIC)."
)


def common_options(command):
    """Timetable, network and measure settings shared by the analysis commands."""
    options = [
        click.option(
            "--day",
            "weekday",
            default="wed",
            show_default=True,
            help="Weekday of the public transport departure window.",
        ),
        click.option("--window", default="07:00-10:00", show_default=True, help="Departure window HH:MM-HH:MM."),
        click.option("--suppress", default=5, show_default=True, type=int, help="Hide area counts below this."),
        click.option("--gtfs", multiple=True, type=click.Path(path_type=Path), help="GTFS feed; repeatable."),
        click.option("--cif", multiple=True, type=click.Path(path_type=Path), help="ATOC CIF file; repeatable."),
        click.option(
            "--network",
            "network_path",
            type=click.Path(path_type=Path),
            help="Road network folder from `geoaccess network build` (default: the proxy).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def load_people(caseload_file: Path | None, synthetic: bool):
    """The caseload asked for, and a label saying what it is."""
    from geoaccess.analysis.caseload import read_caseload
    from geoaccess.analysis.synthetic import synthetic_caseload

    if (caseload_file is None) == (not synthetic):
        raise BadInput("give exactly one of --caseload FILE or --synthetic")
    caseload = synthetic_caseload() if synthetic else read_caseload(caseload_file)
    if caseload.people.empty:
        raise BadInput("the caseload has no usable rows: run `geoaccess caseload check` to see why")
    return caseload


def context(weekday: str, window: str, suppress: int, gtfs, cif, network_path):
    """(settings, car router, planner) for the options given."""
    from geoaccess.analysis.measures import Settings
    from geoaccess.roads.sources import router_for
    from geoaccess.transit.sources import DAY_NAMES, planner_for

    parts = window.split("-")
    if len(parts) != 2 or weekday.strip().lower() not in DAY_NAMES:
        raise BadInput("--window must be HH:MM-HH:MM and --day a weekday (mon..sun)")
    settings = Settings(
        weekday=DAY_NAMES[weekday.strip().lower()], window=(parts[0], parts[1]), suppress_below=suppress
    )
    return settings, router_for("car", network_path), planner_for(gtfs, cif, network_path)


def provenance(caseload, car, planner) -> dict:
    """Caseload label (when there is one), road network and timetable behind a result."""
    from geoaccess.roads.journeys import network_provenance
    from geoaccess.transit.sources import transit_provenance

    transit = transit_provenance(planner, planner.timetable.date_for("wednesday"))
    result = {
        "car_network": network_provenance(car.network),
        "timetable": transit["timetable"],
        "walk_network": transit["walk_network"],
        "modelled": bool(transit["modelled"] or car.network.provenance.get("modelled")),
    }
    if caseload is not None:
        result["caseload"] = "SYNTHETIC demonstration caseload" if caseload.synthetic else "user caseload"
    return result


@click.command()
@caseload_option
@synthetic_option
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
@common_options
@json_option
@reports_errors
def access(
    caseload_file,
    synthetic,
    programme,
    per_person,
    scheduler,
    chunk_size,
    weekday,
    window,
    suppress,
    gtfs,
    cif,
    network_path,
    as_json,
) -> None:
    """Travel burden of a caseload to the venues offering each person's requirement."""
    from geoaccess.analysis.measures import by_area, person_measures, population_measures, summarise
    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.pack import load_pack
    from geoaccess.venues import load_venues

    caseload = load_people(caseload_file, synthetic)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    venues = load_venues()
    people = caseload.people[caseload.people["requirement"].notna()]
    wanted = [programme.upper()] if programme else sorted(people["requirement"].unique())
    results, tables = {}, []
    for code in wanted:
        scenario = current_scenario(code, venues)
        group = people[people["requirement"] == code]
        if group.empty:
            continue
        if scheduler or chunk_size:
            import sys

            from geoaccess.analysis.chunked import measures_job

            measures = measures_job(
                group,
                scenario,
                settings,
                gtfs=gtfs,
                cif=cif,
                network_path=network_path,
                chunk_size=chunk_size or 500,
                scheduler=scheduler,
                progress=sys.stderr.isatty(),
            )
        else:
            measures = person_measures(group, scenario, car, planner, settings)
        tables.append(measures.assign(requirement=code))
        results[code] = {
            "scenario": scenario.to_dict(),
            "overall": summarise(measures, settings),
            "by_district": by_area(measures, "district", settings),
            "by_lsoa": by_area(measures, "lsoa21", settings),
            "population": population_measures(
                load_pack(), scenario, car, planner, settings, councils=("Cumberland", "Westmorland and Furness")
            ),
        }
    if per_person and tables:
        import pandas as pd

        write_atomically(Path(per_person), lambda path: pd.concat(tables).to_csv(path, index=False))
    payload = {
        "synthetic": caseload.synthetic,
        "settings": settings.to_dict(),
        "programmes": results,
        "provenance": provenance(caseload, car, planner),
    }
    if as_json:
        emit_json(payload)
        return
    label = "SYNTHETIC caseload" if caseload.synthetic else "caseload"
    for code, result in results.items():
        o = result["overall"]
        click.echo(
            f"{code} ({label}, {o['people']} people): car median {o['car_minutes_median']} min; public "
            f"transport median {o['pt_minutes_median']} min; round trip feasible for "
            f"{o['round_trip_feasible']}; over two hours either way {o['over_120_either_way']}; "
            f"no way home {o['no_way_home']}"
        )


@click.group()
def scenario() -> None:
    """Compare venue scenarios for a programme."""


@scenario.command("compare")
@click.argument("scenarios", nargs=-1, required=True)
@caseload_option
@synthetic_option
@common_options
@json_option
@reports_errors
def compare(scenarios, caseload_file, synthetic, weekday, window, suppress, gtfs, cif, network_path, as_json) -> None:
    """Compare SCENARIOS (JSON files, or today:PROGRAMME) for the people needing their programme."""
    from geoaccess.analysis.comparison import compare_scenarios
    from geoaccess.analysis.scenarios import current_scenario, read_scenario
    from geoaccess.venues import load_venues

    if len(scenarios) < 2:
        raise BadInput("compare needs two or more scenarios (files, or today:PROGRAMME)")
    venues = load_venues()
    chosen = [
        current_scenario(text.split(":", 1)[1], venues)
        if text.lower().startswith("today:")
        else read_scenario(Path(text), venues)
        for text in scenarios
    ]
    if len({s.programme for s in chosen}) != 1:
        raise BadInput("the scenarios compared must be for the same programme")
    caseload = load_people(caseload_file, synthetic)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    result = compare_scenarios(chosen, caseload.people, car, planner, settings)
    result["provenance"] = provenance(caseload, car, planner)
    result["synthetic"] = caseload.synthetic
    if as_json:
        emit_json(result)
        return
    for entry in result["scenarios"]:
        o = entry["overall"]
        click.echo(
            f"{entry['name']}: round trip feasible {o['round_trip_feasible']} of {o['people']}; over two "
            f"hours {o['over_120_either_way']}; no way home {o['no_way_home']}; public transport median "
            f"{o['pt_minutes_median']} min"
        )


@click.command()
@caseload_option
@synthetic_option
@click.option(
    "--matrix",
    "matrix_file",
    type=click.Path(path_type=Path),
    help="Or a cost matrix CSV: origin_id, weight, one column of minutes per candidate.",
)
@click.option("--p", "p", required=True, type=int, help="How many venues to add to the kept ones.")
@click.option("--objective", type=click.Choice(["pmedian", "mclp", "over120"]), default="pmedian", show_default=True)
@click.option("--threshold", default=120.0, show_default=True, type=float, help="Minutes for mclp and over120.")
@click.option("--keep", default="", help="Comma-separated venue ids to keep (e.g. carlisle-crc-lmc).")
@click.option("--programme", default="BBR", show_default=True, help="With a caseload: whose people to site for.")
@click.option(
    "--cost",
    type=click.Choice(["car", "transit", "roundtrip"]),
    default="roundtrip",
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
@click.option("--time-limit", default=60.0, show_default=True, type=float, help="Seconds for the integer program.")
@common_options
@json_option
@reports_errors
def site(
    caseload_file,
    synthetic,
    matrix_file,
    p,
    objective,
    threshold,
    keep,
    programme,
    cost,
    session_text,
    time_limit,
    weekday,
    window,
    suppress,
    gtfs,
    cif,
    network_path,
    as_json,
) -> None:
    """Choose venues: p-median (mean time), mclp (most people within the threshold) or over120 (fewest over)."""
    from geoaccess.analysis.siting import solve as siting

    kept = [k.strip() for k in keep.split(",") if k.strip()]
    if matrix_file is not None:
        if caseload_file is not None or synthetic:
            raise BadInput("give either --matrix or a caseload, not both")
        result = siting.site_matrix_file(
            matrix_file, p, objective, threshold=threshold, keep=kept, time_limit_s=time_limit
        )
        result["provenance"] = {"matrix": matrix_file.name}
    else:
        result = _site_caseload(
            caseload_file,
            synthetic,
            p,
            objective,
            threshold,
            kept,
            programme,
            cost,
            session_text,
            time_limit,
            weekday,
            window,
            suppress,
            gtfs,
            cif,
            network_path,
        )
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"selected: {', '.join(result['selected'])} ({'optimal' if result['optimal'] else 'best found'}, "
        f"{result['method']}); objective {result['objective']}"
    )


def _site_caseload(
    caseload_file,
    synthetic,
    p,
    objective,
    threshold,
    kept,
    programme,
    cost,
    session_text,
    time_limit,
    weekday,
    window,
    suppress,
    gtfs,
    cif,
    network_path,
) -> dict:
    import numpy as np

    from geoaccess.analysis.scenarios import current_scenario
    from geoaccess.analysis.siting import solve as siting
    from geoaccess.analysis.siting.candidates import candidates
    from geoaccess.analysis.siting.costs import cost_matrix, parse_session
    from geoaccess.pack import load_pack
    from geoaccess.venues import load_venues

    caseload = load_people(caseload_file, synthetic)
    settings, car, planner = context(weekday, window, suppress, gtfs, cif, network_path)
    venues = load_venues()
    scenario = current_scenario(programme, venues)
    session = parse_session(session_text, programme) if session_text else scenario.offers[0].sessions[0]
    offers = candidates(load_pack(), venues, scenario, session)
    people = caseload.people[caseload.people["requirement"] == scenario.programme]
    if people.empty:
        raise BadInput(f"no one in the caseload needs {scenario.programme}")
    minutes = cost_matrix(people, offers, cost, car, planner, settings)
    result = siting.site_result_dict(
        minutes,
        np.ones(len(people)),
        [o.venue_id for o in offers],
        p,
        objective,
        threshold=threshold,
        keep=kept,
        time_limit_s=time_limit,
    )
    result.update(
        {
            "programme": scenario.programme,
            "cost": cost,
            "people": len(people),
            "new_venue_session": session.label(),
            "candidates": len(offers),
            "provenance": provenance(caseload, car, planner),
        }
    )
    return result
