"""One exception family, with messages a user can act on.

The CLI maps :class:`BadInput` (and its subclasses) to exit code 2 and
:class:`NoRoute` to exit code 3; the web API maps them to problem details.
Messages never contain a service user's postcode or coordinates.
"""


class GeoaccessError(Exception):
    """Base class for every error geoaccess raises on purpose."""


class BadInput(GeoaccessError):
    """The input given is malformed, unknown or out of range."""


class PostcodeError(BadInput):
    """A postcode is malformed, terminated or outside the pack's area."""


class OutsideArea(BadInput):
    """A position or postcode lies outside the data pack's area."""


class VenueFileError(BadInput):
    """A venue registry file is unreadable or has an invalid row."""


class DataPackError(GeoaccessError):
    """The data pack is missing, incomplete or does not match its manifest."""


class NoRoute(GeoaccessError):
    """No route or journey exists between the places asked for."""
