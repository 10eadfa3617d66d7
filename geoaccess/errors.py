"""One exception family, with messages a user can act on, each mapped once to an exit code and a problem type.

The CLI exits with :attr:`GeoaccessError.exit_code`; the web API answers :attr:`GeoaccessError.status`
with a problem+json body of :attr:`GeoaccessError.problem_type` and :attr:`GeoaccessError.title`.
Messages never contain a service user's postcode or coordinates.
"""

EXIT_BAD_INPUT = 2
EXIT_NO_ROUTE = 3
EXIT_DATA_PACK = 4


class GeoaccessError(Exception):
    """Base class for every error geoaccess raises on purpose (by default: bad input)."""

    exit_code = EXIT_BAD_INPUT
    status = 422
    title = "Bad input"
    problem_type = "urn:geoaccess:problem:bad-input"


class BadInput(GeoaccessError):
    """The input given is malformed, unknown or out of range."""


class InvalidRequest(BadInput):
    """The request's shape is wrong, whatever its values: not a JSON object, a field or option missing or
    mistyped, an unknown choice, or two given that exclude each other (400 on the web, exit 2 on the CLI)."""

    status = 400
    title = "Invalid request body"
    problem_type = "urn:geoaccess:problem:invalid-body"


class PostcodeError(BadInput):
    """A postcode is malformed, terminated or outside the pack's area."""


class OutsideArea(BadInput):
    """A position or postcode lies outside the data pack's area."""


class VenueFileError(BadInput):
    """A venue registry file is unreadable or has an invalid row."""


class DataPackError(GeoaccessError):
    """The data pack is missing, incomplete or does not match its manifest."""

    exit_code = EXIT_DATA_PACK
    status = 503
    title = "Data pack unavailable"
    problem_type = "urn:geoaccess:problem:data-pack"


class NoRoute(GeoaccessError):
    """No route or journey exists between the places asked for (422 rather than 404 on the web:
    a 404 always means the URL or job does not exist)."""

    exit_code = EXIT_NO_ROUTE
    title = "No route"
    problem_type = "urn:geoaccess:problem:no-route"


class NotCovered(NoRoute):
    """The data in use does not reach a place: it is farther than the coverage distance from the road network,
    or no stop of the timetable is within the walk limit. It answers as :class:`NoRoute` does (exit 3, 422,
    ``no-route``); the message names the end (``origin``, ``home``...) and the distance to the nearest road or
    stop, never the position."""
