"""Pieces every ``geoaccess`` command shares: error reporting, exit codes, JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from geoaccess.errors import DataPackError, GeoaccessError, NoRoute

EXIT_BAD_INPUT = 2
EXIT_NO_ROUTE = 3
EXIT_DATA_PACK = 4


def _exit_code(error: GeoaccessError) -> int:
    if isinstance(error, NoRoute):
        return EXIT_NO_ROUTE
    if isinstance(error, DataPackError):
        return EXIT_DATA_PACK
    return EXIT_BAD_INPUT


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a :class:`GeoaccessError` into a one-line message and the documented exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except GeoaccessError as error:
            message = " ".join(str(error).split())
            click.echo(f"geoaccess: {message}", err=True)
            sys.exit(_exit_code(error))

    return wrapper


def emit_json(payload: Any) -> None:
    """Print ``payload`` as indented JSON."""
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
venues_option = click.option(
    "--venues",
    "venues_file",
    type=click.Path(path_type=Path),
    help="A venue file (GeoJSON or CSV) whose venues replace or add to the pack's.",
)
