"""``geoaccess timetable build``: read and compile feeds into the timetable cache ahead of use.

The heavy modules (pandas, scipy) load only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from geoaccess.cli.options import cif_option, emit_json, gtfs_option, json_option, reports_errors

DEFAULT_DAYS = 7
"""Days prepared when no date is given: a week, so that every ``--day mon..sun`` of this week is ready."""


@click.group()
def timetable() -> None:
    """Prepare timetables (GTFS and CIF feeds) so that later commands start at once."""


@timetable.command("build")
@gtfs_option
@cif_option
@click.option("--date", "on", help="The one service day to compile: YYYY-MM-DD or a weekday (mon..sun).")
@click.option(
    "--days",
    type=int,
    help=f"Compile this many days from today (moved into the timetable's dates) [default: {DEFAULT_DAYS}].",
)
@json_option
@reports_errors
def build(gtfs: tuple[Path, ...], cif: tuple[Path, ...], on: str | None, days: int | None, as_json: bool) -> None:
    """Read the feeds and compile their service days into the cache (reused when already there).

    Later commands given the same feeds (--gtfs/--cif, in the same order) and a prepared day start from the
    cache; a feed whose bytes change is read again.
    """
    from geoaccess.errors import BadInput
    from geoaccess.transit.sources import prepare_timetable

    if on is not None and days is not None:
        raise BadInput("give --date or --days, not both")
    report = prepare_timetable(gtfs, cif, on=on, days=DEFAULT_DAYS if days is None else days)
    if as_json:
        emit_json(report)
        return
    for line in _lines(report):
        click.echo(line)


def _lines(report: dict[str, Any]) -> list[str]:
    """The report in words: feeds, the tables, each day, the size and place of the cache entry."""
    lines = [f"feed: {feed['kind']} {feed['file']} (sha256 {feed['sha256'][:12]})" for feed in report["feeds"]]
    lines.append(f"tables: {_how(report['tables'])}")
    lines += [f"day {day['date']}: {_how(day)}" for day in report["days"]]
    lines.append(f"cache: {report['bytes'] / 1e6:.1f} MB in {report['cache']}")
    return lines


def _how(step: dict[str, Any]) -> str:
    return f"{'from the cache' if step['cached'] else 'built'} in {step['seconds']:.2f} s"
