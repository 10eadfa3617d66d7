"""URL converters: the ``<id:...>`` part of every route that names a database row.

An id is a whole number from 1 to :data:`MAX_DATABASE_ID`, the largest integer primary key every supported
database stores (SQLAlchemy's ``Integer`` is 32-bit on PostgreSQL). Anything else (0, a number too big
for the database, thousands of digits) does not match the route, so it is a plain 404 (problem+json
under ``/api/``) and never reaches the database, where it would overflow.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_DATABASE_ID = 2**31 - 1
"""The largest id: PostgreSQL's ``integer`` (SQLite's integer keys go further, so this fits both)."""

_MOST_DIGITS = len(str(MAX_DATABASE_ID))


class DatabaseIdConverter(IntegerConverter):
    """``<id:job_id>``: a database id from 1 to :data:`MAX_DATABASE_ID`, given as plain digits."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, min=1, max=MAX_DATABASE_ID)

    def to_python(self, value: str) -> int:
        if len(value) > _MOST_DIGITS:  # refuse before int() reads an arbitrarily long number
            raise ValidationError()
        return int(super().to_python(value))


CONVERTERS: dict[str, type[IntegerConverter]] = {"id": DatabaseIdConverter}
"""The converters :func:`geoaccess.web.create_app` adds to the URL map, by name."""
