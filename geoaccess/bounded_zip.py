"""Zip archives opened only after their whole central directory is within limits.

:func:`open_checked` reads the end-of-directory record first (so a directory claiming millions of
members is refused before :mod:`zipfile` parses it), then checks every member's declared size and
compression ratio before the caller reads any of them. :mod:`zipfile` never unpacks more than a
member's declared size, so the checks bound what reading the members can cost. Callers word the
refusal (:class:`ZipOverLimit` says which limit) in their own error type.
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_MAX_COMMENT = 1 << 16  # as zipfile searches
_LOCATOR = struct.Struct("<4sLQL")
_LOCATOR_SIGNATURE = b"PK\x06\x07"
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_EOCD64_SIGNATURE = b"PK\x06\x06"
_DIRECTORY_BYTES_PER_MEMBER = 1024
"""Directory bytes allowed per member (46 fixed, the rest for name, extra fields and comment)."""

Limit = Literal["members", "member", "total", "ratio"]


@dataclass(frozen=True)
class ZipLimits:
    members: int
    """Most members (files and folders) the archive may list."""
    unpacked_bytes: int
    """Most bytes one member, and all of them together, may unpack to."""
    ratio: int
    """Most a member over ``ratio_from_bytes`` unpacked may be compressed (unpacked over packed size)."""
    ratio_from_bytes: int = 1024 * 1024


class ZipOverLimit(Exception):
    """The archive passes ``limit``: ``members``, ``member`` (one member's size), ``total`` or ``ratio``."""

    def __init__(self, limit: Limit, member: str = "") -> None:
        super().__init__(limit)
        self.limit: Limit = limit
        self.member = member


def open_checked(path: Path, limits: ZipLimits) -> zipfile.ZipFile:
    """``path`` opened as a zip whose directory is within ``limits``; raises :class:`ZipOverLimit`,
    or :class:`zipfile.BadZipFile` (or ``OSError``, ``ValueError``, ``EOFError``) for a damaged archive."""
    with path.open("rb") as handle:
        if _declared_directory_bytes(handle) > limits.members * _DIRECTORY_BYTES_PER_MEMBER:
            raise ZipOverLimit("members")
    archive = zipfile.ZipFile(path)
    try:
        check_members(archive.infolist(), limits)
    except BaseException:
        archive.close()
        raise
    return archive


def check_members(members: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    """Raise :class:`ZipOverLimit` for the first limit the members' declared sizes pass."""
    if len(members) > limits.members:
        raise ZipOverLimit("members")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.unpacked_bytes:
            raise ZipOverLimit("member", member.filename)
        if total > limits.unpacked_bytes:
            raise ZipOverLimit("total", member.filename)
        if member.file_size > limits.ratio_from_bytes and member.file_size > limits.ratio * max(
            member.compress_size, 1
        ):
            raise ZipOverLimit("ratio", member.filename)


def _declared_directory_bytes(handle: BinaryIO) -> int:
    """The central directory size the end record declares (the zip64 one if there is one), found as
    :mod:`zipfile` finds it; 0 if there is none (``zipfile`` then refuses the file)."""
    size = handle.seek(0, 2)
    start = max(0, size - _EOCD.size - _MAX_COMMENT)
    handle.seek(start)
    tail = handle.read()
    at = len(tail) - _EOCD.size
    if not (at >= 0 and tail[at:].startswith(_EOCD_SIGNATURE) and tail[-2:] == b"\0\0"):
        at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        return 0
    declared = int(_EOCD.unpack_from(tail, at)[5])
    locator = start + at - _LOCATOR.size
    if locator < 0:
        return declared
    handle.seek(locator)
    found = handle.read(_LOCATOR.size)
    if len(found) < _LOCATOR.size or not found.startswith(_LOCATOR_SIGNATURE):
        return declared
    # zipfile reads the zip64 record just before the locator; the locator also points at one
    places = (locator - _EOCD64.size, int(_LOCATOR.unpack(found)[2]))
    return max(declared, *(_zip64_directory_bytes(handle, place) for place in places))


def _zip64_directory_bytes(handle: BinaryIO, place: int) -> int:
    """The central directory size a zip64 end record at ``place`` declares (0 if there is none)."""
    if place < 0:
        return 0
    handle.seek(place)
    record = handle.read(_EOCD64.size)
    if len(record) < _EOCD64.size or not record.startswith(_EOCD64_SIGNATURE):
        return 0
    return int(_EOCD64.unpack(record)[8])
