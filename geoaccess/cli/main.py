"""The ``geoaccess`` command line: one group, every command registered here.

Exit codes: 0 ok; 2 bad input (a one-line message on stderr); 3 no route found;
4 the data pack is missing or damaged (:mod:`geoaccess.errors`). Every query command takes ``--json``.
"""

from __future__ import annotations

from pathlib import Path

import click

from geoaccess import __version__
from geoaccess.cli.analysis import access, scenario, site
from geoaccess.cli.caseload import caseload
from geoaccess.cli.data import data, info
from geoaccess.cli.maps import map_group
from geoaccess.cli.network import network
from geoaccess.cli.options import cif_option, gtfs_option, network_option, reports_errors
from geoaccess.cli.query import geocode, journey, matrix, roundtrip
from geoaccess.cli.timetable import timetable
from geoaccess.cli.users import users
from geoaccess.cli.venues import venues


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoaccess")
def main() -> None:
    """geoaccess: can a person on probation reach their office, programme or unpaid-work site?"""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(2, 256),
    help="Request threads; an upload being read holds one, so keep this above the caseload readers (2).",
)
@network_option
@gtfs_option
@cif_option
@reports_errors
def serve(
    host: str, port: int, threads: int, network_path: Path | None, gtfs: tuple[Path, ...], cif: tuple[Path, ...]
) -> None:
    """Serve the web app with the waitress production WSGI server.

    The network and timetables given (or named by GEOACCESS_NETWORK, GEOACCESS_GTFS and GEOACCESS_CIF) are
    checked and loaded once, before the server starts, and used by every page, API call and analysis."""
    from waitress import serve as waitress_serve

    from geoaccess.web import create_app
    from geoaccess.web.data import data_line

    given = {"DATA_NETWORK": network_path, "DATA_GTFS": gtfs, "DATA_CIF": cif}
    app = create_app(settings={key: value for key, value in given.items() if value})
    click.echo(f"geoaccess serving on http://{host}:{port} (Ctrl+C to stop)")
    click.echo(f"data in use: {data_line(app)}")
    waitress_serve(app, host=host, port=port, threads=threads, ident="geoaccess")


for command in (
    data,
    info,
    geocode,
    venues,
    journey,
    roundtrip,
    matrix,
    network,
    timetable,
    caseload,
    access,
    scenario,
    site,
):
    main.add_command(command)
main.add_command(map_group)
main.add_command(users)
