"""What every ``geoaccess`` command shares: options declared once, error reporting, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from geoaccess.defaults import DAY, MAX_TRANSFERS, SUPPRESS_BELOW, WALK_LIMIT_M, WINDOW
from geoaccess.errors import GeoaccessError

if TYPE_CHECKING:  # the engines load when a command runs, not when the CLI starts
    from geoaccess.services.analysis import Analysis
    from geoaccess.transit.sources import DataChoice

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn a :class:`GeoaccessError` into a one-line message and its exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GeoaccessError as error:
            message = " ".join(str(error).split())
            click.echo(f"geoaccess: {message}", err=True)
            sys.exit(error.exit_code)

    return wrapper  # type: ignore[return-value]


def emit_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON."""
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def _stack(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, in the order given."""

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
venues_option = click.option(
    "--venues",
    "venues_file",
    type=click.Path(path_type=Path),
    help="A venue file (GeoJSON or CSV) whose venues replace or add to the pack's.",
)
network_option = click.option(
    "--network",
    "network_path",
    type=click.Path(path_type=Path),
    help="A road network folder from `geoaccess network build` (default: the pack's offline proxy).",
)
gtfs_option = click.option(
    "--gtfs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="GTFS feed (.zip or folder) to use instead of the modelled timetable; repeatable.",
)
cif_option = click.option(
    "--cif",
    multiple=True,
    type=click.Path(path_type=Path),
    help="ATOC CIF rail timetable file to use (with any --gtfs); repeatable.",
)
data_options = _stack(
    network_option,
    gtfs_option,
    cif_option,
    click.option(
        "--walk-limit",
        default=WALK_LIMIT_M,
        show_default=True,
        type=float,
        help="Longest walk (metres) to the first stop or from the last.",
    ),
    click.option("--max-transfers", default=MAX_TRANSFERS, show_default=True, type=int),
)
"""``--network``, ``--gtfs``, ``--cif``, ``--walk-limit`` and ``--max-transfers``: see :func:`data_choice`."""
analysis_options = _stack(
    click.option("--day", "weekday", default=DAY, show_default=True, help="Weekday of the public transport window."),
    click.option("--window", default=WINDOW, show_default=True, help="Departure window HH:MM-HH:MM."),
    click.option(
        "--suppress", default=SUPPRESS_BELOW, show_default=True, type=int, help="Hide area counts below this."
    ),
    data_options,
)
""":data:`data_options` with ``--day``, ``--window`` and ``--suppress``: see :func:`analysis_of`."""
caseload_options = _stack(
    click.option(
        "--caseload",
        "caseload_file",
        type=click.Path(path_type=Path),
        help="Caseload CSV/XLSX (see `geoaccess caseload check`).",
    ),
    click.option("--synthetic", is_flag=True, help="Use the synthetic demonstration caseload (labelled SYNTHETIC)."),
)


def data_choice(options: dict[str, Any]) -> DataChoice:
    """The :class:`DataChoice` named by :data:`data_options` (popped from a command's keyword arguments)."""
    from geoaccess.transit.sources import DataChoice

    return DataChoice(
        gtfs=tuple(options.pop("gtfs")),
        cif=tuple(options.pop("cif")),
        network=options.pop("network_path"),
        walk_limit_m=options.pop("walk_limit"),
        max_transfers=options.pop("max_transfers"),
    )


def analysis_of(options: dict[str, Any]) -> Analysis:
    """The :class:`Analysis` named by :data:`analysis_options` (popped from a command's keyword arguments)."""
    from geoaccess.services.analysis import Analysis, measure_settings

    settings = measure_settings(
        day=options.pop("weekday"), window=options.pop("window"), suppress_below=options.pop("suppress")
    )
    return Analysis(settings=settings, data=data_choice(options))
