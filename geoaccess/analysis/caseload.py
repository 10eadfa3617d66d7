"""Read a caseload (CSV or XLSX): one row per person on probation, a postcode each.

A caseload is criminal-justice personal data, so the tool keeps the minimum:

- Only four columns are read: ``postcode`` (required), ``id`` (a pseudonymous
  person id), ``requirement`` and ``sex`` (headings matched case-insensitively,
  trimmed, with the aliases in :data:`COLUMN_ALIASES`). Other columns are
  ignored and named in the summary.
- A file with a column that looks like names, street addresses, dates of
  birth or another direct identifier (NOMIS, CRN, PNC, National Insurance
  number, phone, email) is refused whole (:class:`CaseloadError`), naming the
  columns to remove; nothing is read from it.
- Each postcode is geocoded and then dropped: a person is kept as lon/lat,
  LSOA, district, council and postcode sector (``"CA1 1"``), never the full
  postcode.
- A file written by ``geoaccess caseload synth`` (with its ``FILE.csv.meta.json``
  saying ``"synthetic": true``) reads back labelled synthetic.
- Nothing is dropped silently. A row with a problem is left out of
  :attr:`Caseload.people` and listed in :attr:`Caseload.problems` with its
  spreadsheet row number (the heading is row 1) and a reason code from
  :data:`REASONS`. Messages never repeat the postcode or any other cell: the
  row number identifies the row to the person who owns the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pandas as pd

from geoaccess import defaults
from geoaccess.bounded_zip import ZipLimits, ZipOverLimit, open_checked
from geoaccess.errors import BadInput, OutsideArea, PostcodeError
from geoaccess.geocode import Location, geocode_postcode, normalise_postcode
from geoaccess.pack import Pack, load_pack

REASONS = {
    "missing": "the postcode is empty",
    "malformed": "the postcode is not a well-formed UK postcode",
    "terminated": "the postcode is no longer in use",
    "not_current": "the postcode is not a current postcode in an area the pack covers in full",
    "outside_area": "the postcode is outside the pack's area",
    "duplicate_id": "the id is used on an earlier row",
    "bad_requirement": "the requirement is not recognised",
    "bad_sex": "the sex is not recognised",
}
# Accepted spellings, compared after lower-casing and reducing punctuation to single spaces.
REQUIREMENT_ALIASES = {
    "bbr": "BBR",
    "building better relationships": "BBR",
    "tsp": "TSP",
    "thinking skills": "TSP",
    "thinking skills programme": "TSP",
    "thinking skills program": "TSP",
    "nsogp": "NSOGP",
    "sogp": "NSOGP",
    "northumbria": "NSOGP",
    "sex offender group": "NSOGP",
    "sex offender group programme": "NSOGP",
    "northumbria sex offender group programme": "NSOGP",
    "upw": "UPW",
    "unpaid work": "UPW",
    "community payback": "UPW",
    "reporting": "REPORTING",
    "office reporting": "REPORTING",
    "supervision": "REPORTING",
}
SEX_ALIASES = {"f": "F", "female": "F", "woman": "F", "m": "M", "male": "M", "man": "M"}
# Recorded "not known" values: kept as an empty sex, not a problem (the person still counts).
SEX_NOT_KNOWN = {
    "u",
    "x",
    "unknown",
    "not known",
    "not stated",
    "not recorded",
    "other",
    "prefer not to say",
    "n a",
    "na",
}
COLUMN_ALIASES = {
    "postcode": (
        "postcode",
        "post code",
        "postal code",
        "pcode",
        "home postcode",
        "address postcode",
        "postcode of residence",
    ),
    "id": ("id", "person id", "pseudonymous id", "pseudo id", "pseudonym", "anon id", "anonymised id"),
    "requirement": (
        "requirement",
        "requirement type",
        "programme",
        "program",
        "programme name",
        "requirement name",
        "intervention",
    ),
    "sex": ("sex", "gender"),
}
# Headings refused outright. Words match whole words of the heading; fragments match anywhere in it
# with spaces removed ("FirstName", "date_of_birth", "AddressLine1", "E-mail").
REFUSED_WORDS = {
    "name": "names",
    "names": "names",
    "initials": "names",
    "alias": "names",
    "house": "street addresses",
    "road": "street addresses",
    "flat": "street addresses",
    "born": "dates of birth",
    "crn": "direct identifiers",
    "pnc": "direct identifiers",
    "nino": "direct identifiers",
    "nhs": "direct identifiers",
    "mobile": "direct identifiers",
    "tel": "direct identifiers",
    "cro": "direct identifiers",
    "passport": "direct identifiers",
}
REFUSED_FRAGMENTS = {
    "surname": "names",
    "forename": "names",
    "firstname": "names",
    "lastname": "names",
    "fullname": "names",
    "givenname": "names",
    "familyname": "names",
    "middlename": "names",
    "address": "street addresses",
    "street": "street addresses",
    "addrline": "street addresses",
    "housenumber": "street addresses",
    "birth": "dates of birth",
    "dob": "dates of birth",
    "nomis": "direct identifiers",
    "nationalinsurance": "direct identifiers",
    "phone": "direct identifiers",
    "email": "direct identifiers",
    "prisonnumber": "direct identifiers",
    "nhsnumber": "direct identifiers",
}
PEOPLE_COLUMNS = (
    "person_id",
    "lon",
    "lat",
    "lsoa21",
    "district",
    "council",
    "postcode_sector",
    "requirement",
    "sex",
    "synthetic",
)
PROBLEM_COLUMNS = ("row", "reason", "message")
# Ids shaped like case reference, prison or police numbers (CRN "A123456", NOMIS "A1234BC", PNC "2001/123456A").
_DIRECT_ID_SHAPES = re.compile(r"^(?:[A-Z]\d{6}|[A-Z]\d{4}[A-Z]{2}|\d{2,4}/\d{1,7}[A-Z])$")


class CaseloadError(BadInput):
    """A caseload file is refused or unreadable as a whole."""


@dataclass
class Caseload:
    """People who can be measured, and the rows that could not be used.

    ``people`` has one row per usable person: ``person_id`` (the id given, else
    ``"row-N"``), ``lon``, ``lat``, ``lsoa21``, ``district``, ``council``,
    ``postcode_sector``, ``requirement`` (one of :data:`geoaccess.venues.REQUIREMENTS`, or
    missing), ``sex`` (``"F"``, ``"M"`` or missing) and ``synthetic``.
    ``problems`` has ``row``, ``reason`` (a key of :data:`REASONS`) and
    ``message``, one line per problem (a row may have several).
    """

    people: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int = 0
    source: str = ""
    ignored_columns: list[str] = field(default_factory=list[Any])
    warnings: list[str] = field(default_factory=list[Any])
    meta: dict[str, Any] = field(default_factory=dict[str, Any])
    # Full postcodes, kept only for a synthetic caseload (real postcodes, no real people) so it can be
    # written out and read back; read_caseload never keeps them.
    postcodes: pd.Series | None = None

    @property
    def synthetic(self) -> bool:
        """True when every person is synthetic (a demonstration caseload)."""
        return bool(self.meta.get("synthetic")) or bool(len(self.people) and self.people["synthetic"].all())

    def summary(self) -> dict[str, Any]:
        """Counts for a validation report: rows, usable people, problems, districts, requirements, sex."""
        people = self.people
        sex_known = people["sex"].isin(["F", "M"])
        women = int((people["sex"] == "F").sum())
        by_reason = {reason: 0 for reason in REASONS}
        by_reason.update(self.problems["reason"].value_counts().to_dict())
        requirement = people["requirement"].fillna("unspecified")
        return {
            "file": self.source,
            "synthetic": self.synthetic,
            "rows_read": self.rows_read,
            "usable": len(people),
            "rows_with_problems": int(self.problems["row"].nunique()),
            "problems": {k: int(v) for k, v in by_reason.items()},
            "by_district": {k: int(v) for k, v in people["district"].value_counts().sort_index().items()},
            "by_council": {k: int(v) for k, v in people["council"].value_counts().sort_index().items()},
            "by_requirement": {k: int(v) for k, v in requirement.value_counts().sort_index().items()},
            "sex_recorded": int(sex_known.sum()),
            "women": women,
            "women_share": round(women / int(sex_known.sum()), 4) if sex_known.any() else None,
            "ignored_columns": list(self.ignored_columns),
            "warnings": list(self.warnings),
        }


def read_caseload(path: Path, pack: Pack | None = None) -> Caseload:
    """Read, check and geocode a caseload file (``.csv`` in UTF-8, or ``.xlsx``).

    Raises :class:`CaseloadError` when the file is missing, unreadable, has no
    postcode column or has a column that looks like a direct identifier.
    Row-level problems do not raise: they are listed in ``Caseload.problems``.
    """
    path = Path(path)
    if not path.is_file():
        raise CaseloadError(f"caseload file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header, rows = _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        header, rows = _read_xlsx(path)
    elif suffix == ".xls":
        raise CaseloadError(f"{path.name}: old .xls workbooks cannot be read; save it as .xlsx or CSV UTF-8")
    else:
        raise CaseloadError(f"{path.name}: a caseload must be a .csv or .xlsx file")
    columns, ignored = _match_columns(path.name, header)
    result = _check_rows(path.name, columns, len(header), ignored, rows, pack or load_pack())
    sidecar = _synthetic_sidecar(path)
    if sidecar is not None:
        result.people["synthetic"] = True
        result.meta = {**sidecar, "synthetic": True}
    return result


def write_report(caseload: Caseload, path: Path) -> None:
    """Write the problems as CSV (``row,reason,message``); a temporary file renamed into place."""
    from geoaccess._io import write_atomically
    from geoaccess.csv_cells import neutralise_csv_frame

    problems = neutralise_csv_frame(caseload.problems.loc[:, list(PROBLEM_COLUMNS)])
    write_atomically(Path(path), lambda partial: problems.to_csv(partial, index=False, encoding="utf-8"))


def _synthetic_sidecar(path: Path) -> dict[str, Any] | None:
    """The ``FILE.meta.json`` written by ``geoaccess caseload synth`` beside FILE, if it says synthetic."""
    sidecar = path.with_name(f"{path.name}.meta.json")
    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(meta, dict) or meta.get("synthetic") is not True:
        return None
    keep = ("seed", "source", "assumptions", "groups", "requirement_shares", "women_share")
    return {key: meta[key] for key in keep if key in meta}


# --- reading files -------------------------------------------------------------------------------
# Limits (geoaccess.defaults), looked up when a file is read. Every refusal is one line naming the file
# and the limit, never a cell: a hostile or damaged file costs at most seconds and bounded memory.

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW_TAG = f"{_SHEET_NS} row"
# Bounds on worksheet XML elements that openpyxl would otherwise hold in memory: those outside any row
# (kept until the end of the sheet) and those inside one row (kept until the row ends).
_XLSX_MAX_ELEMENTS_OUTSIDE_ROWS = 200_000
_XLSX_MAX_ELEMENTS_IN_ROW = 10_000
_XLSX_RATIO_FROM_BYTES = 1024 * 1024
_SCAN_CHUNK_BYTES = 64 * 1024


def _too_big(name: str, what: str) -> CaseloadError:
    return CaseloadError(f"{name} is refused: {what}; nothing has been read from it")


def _deadline(name: str) -> Callable[[], None]:
    """A check to call while reading: refuses the file once the read time limit has passed."""
    limit = float(defaults.CASELOAD_READ_SECONDS)
    end = time.monotonic() + limit

    def check() -> None:
        if time.monotonic() > end:
            raise _too_big(name, f"reading it took longer than the limit of {limit:g} seconds")

    return check


def _check_file_size(path: Path) -> None:
    limit = defaults.CASELOAD_MAX_FILE_BYTES
    if path.stat().st_size > limit:
        raise _too_big(path.name, f"the file is larger than the limit of {limit / 1024 / 1024:g} MB")


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The heading and the (row number, cells) of each non-blank record; row 1 is the heading."""
    _check_file_size(path)
    check_time = _deadline(path.name)
    max_rows, max_columns = defaults.CASELOAD_MAX_ROWS, defaults.CASELOAD_MAX_COLUMNS
    with path.open("rb") as handle:
        data = handle.read(defaults.CASELOAD_MAX_FILE_BYTES + 1)
    if len(data) > defaults.CASELOAD_MAX_FILE_BYTES:  # grew since the size was checked
        _check_file_size(path)
        raise _too_big(path.name, "the file is larger than the limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseloadError(f"{path.name} is not UTF-8 text: save it as 'CSV UTF-8' and try again") from exc
    del data
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if number % 1000 == 0:
                check_time()
            if number > max_rows + 1:
                raise _too_big(path.name, f"it has more than the limit of {max_rows:,} rows below the heading")
            if len(cells) > max_columns:
                raise _too_big(path.name, f"row {number} has more than the limit of {max_columns} columns")
            if header is None:
                header = cells
            elif any(c.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise CaseloadError(f"{path.name} is not a readable CSV file ({exc})") from exc
    check_time()
    if header is None:
        raise CaseloadError(f"{path.name} is empty: the first row must be the column headings")
    return header, rows


def _check_zip(path: Path) -> None:
    """Refuse an .xlsx whose zip parts are too many or unpack too large, before anything is parsed."""
    name = path.name
    _check_file_size(path)
    limits = ZipLimits(
        members=defaults.CASELOAD_XLSX_MAX_MEMBERS,
        unpacked_bytes=defaults.CASELOAD_XLSX_MAX_UNCOMPRESSED_BYTES,
        ratio=defaults.CASELOAD_XLSX_MAX_RATIO,
        ratio_from_bytes=_XLSX_RATIO_FROM_BYTES,
    )
    megabytes = f"{limits.unpacked_bytes / 1024 / 1024:g} MB"
    refusals = {
        "members": f"the workbook has more than the limit of {limits.members:,} parts",
        "member": f"a part of the workbook unpacks to more than the limit of {megabytes}",
        "total": f"the workbook unpacks to more than the limit of {megabytes}",
        "ratio": f"a part of the workbook is compressed more than the limit of {limits.ratio}:1",
    }
    try:
        open_checked(path, limits).close()
    except ZipOverLimit as over:
        raise _too_big(name, refusals[over.limit]) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise CaseloadError(f"{name} is not a readable .xlsx workbook ({type(exc).__name__})") from exc


class _SheetScan:
    """Counts a worksheet's rows and cells from its XML as it streams, refusing it at the first limit passed.

    It mirrors what openpyxl reads (every ``row`` element in the spreadsheet namespace; each child of a
    row is a cell, placed at the column its ``r`` gives or one right of the last) and trusts nothing the
    sheet declares (``<dimension>``, ``spans``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.max_rows = defaults.CASELOAD_MAX_ROWS
        self.max_columns = defaults.CASELOAD_MAX_COLUMNS
        self.max_cells = defaults.CASELOAD_MAX_CELLS
        self.depth = 0
        self.row_depth: int | None = None
        self.rows = 0
        self.row_number = 0
        self.column = 0
        self.row_cells = 0
        self.row_elements = 0
        self.outside = 0
        self.cells = 0
        self.max_column = 0

    def unreadable(self, why: str) -> CaseloadError:
        return CaseloadError(f"{self.name} is not a readable .xlsx workbook ({why})")

    def too_many_rows(self) -> CaseloadError:
        return _too_big(
            self.name, f"its first worksheet has more than the limit of {self.max_rows:,} rows below the heading"
        )

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.row_depth is None:
            self.outside += 1
            if self.outside > _XLSX_MAX_ELEMENTS_OUTSIDE_ROWS:
                raise _too_big(self.name, "its first worksheet has more than the limit of XML elements outside rows")
        else:
            self.row_elements += 1
            if self.row_elements > _XLSX_MAX_ELEMENTS_IN_ROW:
                raise _too_big(self.name, f"row {self.row_number} of its first worksheet has too much content")
            if self.depth == self.row_depth + 1:
                self.cell(attrs.get("r"))
        if tag == _ROW_TAG:
            if self.row_depth is not None:
                raise self.unreadable("a row inside a row")
            self.row(attrs.get("r"))

    def end(self, tag: str) -> None:
        if self.row_depth == self.depth:
            self.row_depth = None
        self.depth -= 1

    def row(self, ref: str | None) -> None:
        self.rows += 1
        if self.rows > self.max_rows + 1:
            raise self.too_many_rows()
        if ref is None:
            self.row_number += 1
        else:
            try:  # as openpyxl reads it
                self.row_number = int(ref)
            except ValueError:
                try:
                    number = float(ref)
                except ValueError:
                    raise self.unreadable("a row number is not a number") from None
                if not number.is_integer():
                    raise self.unreadable("a row number is not a whole number") from None
                self.row_number = int(number)
        if self.row_number > self.max_rows + 1:
            raise self.too_many_rows()
        self.row_depth = self.depth
        self.column = 0
        self.row_cells = 0
        self.row_elements = 0

    def cell(self, ref: str | None) -> None:
        from openpyxl.utils.cell import coordinate_to_tuple

        self.cells += 1
        self.row_cells += 1
        if self.cells > self.max_cells:
            raise _too_big(self.name, f"its first worksheet has more than the limit of {self.max_cells:,} cells")
        if ref:
            try:
                self.column = int(coordinate_to_tuple(ref)[1])
            except Exception:  # openpyxl raises several types for a bad reference
                raise self.unreadable("a cell reference is not valid") from None
        else:
            self.column += 1
        if self.column > self.max_columns or self.row_cells > self.max_columns:
            raise _too_big(
                self.name,
                f"row {self.row_number} of its first worksheet has cells beyond the limit of "
                f"{self.max_columns} columns",
            )
        self.max_column = max(self.max_column, self.column)


def _scan_sheet(name: str, source: Any, check_time: Callable[[], None]) -> _SheetScan:
    """Stream a worksheet's XML through expat (no tree is built), checking the limits as it goes."""
    scan = _SheetScan(name)
    parser = expat.ParserCreate(namespace_separator=" ")

    def no_doctype(*_: object) -> None:
        raise scan.unreadable("a worksheet declares a DTD")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    try:
        while chunk := source.read(_SCAN_CHUNK_BYTES):
            check_time()
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise scan.unreadable("a worksheet is not well-formed XML") from exc
    return scan


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The first worksheet's heading row and its non-blank rows, numbered as the spreadsheet shows them."""
    try:
        from openpyxl import load_workbook
    except ImportError as exc:  # pragma: no cover - openpyxl is a runtime dependency
        raise CaseloadError("reading .xlsx files needs openpyxl (pip install openpyxl)") from exc
    _check_zip(path)
    check_time = _deadline(path.name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise CaseloadError(f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__})") from exc
    try:
        check_time()
        if not workbook.worksheets:
            raise CaseloadError(f"{path.name} is not a readable .xlsx workbook (it has no worksheet)")
        sheet = workbook.worksheets[0]
        try:
            with workbook._archive.open(sheet._worksheet_path) as source:
                scan = _scan_sheet(path.name, source, check_time)
        except CaseloadError:
            raise
        except Exception as exc:  # a missing or damaged part
            raise CaseloadError(f"{path.name} is not a readable .xlsx workbook ({type(exc).__name__})") from exc
        header, rows = _sheet_rows(path.name, sheet, scan, check_time)
        check_time()
    finally:
        workbook.close()
    if header is None:
        raise CaseloadError(f"{path.name}: the first worksheet is empty; its first row must be the column headings")
    return header, rows


def _sheet_rows(
    name: str, sheet: Any, scan: _SheetScan, check_time: Callable[[], None]
) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The heading and the non-blank (row number, cells) of a worksheet that passed :func:`_scan_sheet`."""
    # The sheet's own <dimension> is not trusted: read only as far as the cells found.
    sheet.reset_dimensions()
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        values_by_row = sheet.iter_rows(max_col=scan.max_column or None, values_only=True)
        for number, values in enumerate(values_by_row, start=1):
            if number % 1000 == 0:
                check_time()
            if number > defaults.CASELOAD_MAX_ROWS + 1:
                raise scan.too_many_rows()
            cells = [_cell_text(v) for v in values]
            if header is None:
                if number == 1:
                    header = cells
                continue
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    except CaseloadError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise CaseloadError(f"{name} is not a readable .xlsx workbook ({type(exc).__name__})") from exc
    return header, rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- columns -------------------------------------------------------------------------------------


def _heading_key(text: str) -> str:
    """``" Post_Code "`` -> ``"post code"``: lower case, punctuation and runs of spaces to one space."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).lower()).split())


def _refusal(key: str) -> str | None:
    """What a heading looks like (``"names"``...) if it must be refused, else None."""
    for word in key.split():
        if word in REFUSED_WORDS:
            return REFUSED_WORDS[word]
    compact = key.replace(" ", "")
    for fragment, kind in REFUSED_FRAGMENTS.items():
        if fragment in compact:
            return kind
    return None


def _match_columns(file_name: str, header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Map each field (postcode, id, requirement, sex) to its column index; refuse identifying columns."""
    alias_to_field = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}
    columns: dict[str, int] = {}
    refused: list[tuple[str, str]] = []
    ignored: list[str] = []
    for index, heading in enumerate(header):
        label = " ".join(str(heading).split())
        key = _heading_key(heading)
        if not key:
            ignored.append(f"(unnamed column {index + 1})")
            continue
        name = alias_to_field.get(key)
        if name is not None:
            if name in columns:
                raise CaseloadError(
                    f"{file_name}: two columns give the {name} ('{header[columns[name]].strip()}' "
                    f"and '{label}'); keep one"
                )
            columns[name] = index
            continue
        kind = _refusal(key)
        if kind is not None:
            refused.append((label, kind))
        else:
            ignored.append(label)
    if refused:
        names = ", ".join(f"'{label}'" for label, _ in refused)
        kinds = sorted({kind for _, kind in refused})
        raise CaseloadError(
            f"{file_name} is refused: column(s) {names} look like {' and '.join(kinds)}. "
            "A caseload is criminal-justice personal data and geoaccess keeps the minimum: "
            "a postcode per person, and optionally a pseudonymous id, requirement and sex. "
            f"Remove {names} from the file and try again; nothing has been read from it."
        )
    if "postcode" not in columns:
        found = ", ".join(f"'{' '.join(str(h).split())}'" for h in header if str(h).strip()) or "none"
        raise CaseloadError(
            f"{file_name}: no postcode column; the first row must be the column headings, with one of "
            f"{', '.join(COLUMN_ALIASES['postcode'])} (headings found: {found})"
        )
    return columns, ignored


# --- rows ----------------------------------------------------------------------------------------


def _check_rows(
    file_name: str,
    columns: dict[str, int],
    headings: int,
    ignored: list[str],
    rows: list[tuple[int, list[str]]],
    pack: Pack,
) -> Caseload:
    people: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    first_row_of_id: dict[str, int] = {}
    suspicious_ids = 0
    long_rows = 0

    def cell(cells: list[str], name: str) -> str:
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    for number, cells in rows:
        if any(c.strip() for c in cells[headings:]):
            long_rows += 1
        row_problems: list[tuple[str, str]] = []
        given_id = cell(cells, "id")
        if given_id:
            if _DIRECT_ID_SHAPES.match(given_id.upper()):
                suspicious_ids += 1
            if given_id in first_row_of_id:
                row_problems.append(
                    (
                        "duplicate_id",
                        f"the id is already used on row {first_row_of_id[given_id]}; "
                        "ids must be unique (this row is left out)",
                    )
                )
            else:
                first_row_of_id[given_id] = number
        location, postcode_problem = _locate(cell(cells, "postcode"), pack)
        if postcode_problem:
            row_problems.insert(0, postcode_problem)
        requirement, requirement_problem = _requirement(cell(cells, "requirement"))
        if requirement_problem:
            row_problems.append(requirement_problem)
        sex, sex_problem = _sex(cell(cells, "sex"))
        if sex_problem:
            row_problems.append(sex_problem)
        if row_problems or location is None or location.postcode is None:
            problems.extend({"row": number, "reason": r, "message": m} for r, m in row_problems)
            continue
        people.append(
            {
                "person_id": given_id or f"row-{number}",
                "lon": location.lon,
                "lat": location.lat,
                "lsoa21": location.lsoa21,
                "district": location.district,
                "council": location.council,
                "postcode_sector": location.postcode[:-2],
                "requirement": requirement,
                "sex": sex,
                "synthetic": False,
            }
        )

    warnings = []
    if suspicious_ids:
        warnings.append(
            f"{suspicious_ids} id(s) look like case reference, prison or police numbers "
            "(CRN, NOMIS, PNC): use pseudonymous ids instead"
        )
    if long_rows:
        warnings.append(f"{long_rows} row(s) have cells beyond the last column heading; those cells were ignored")
    return Caseload(
        people=people_frame(people),
        problems=problems_frame(problems),
        rows_read=len(rows),
        source=file_name,
        ignored_columns=ignored,
        warnings=warnings,
        meta={"synthetic": False},
    )


def _locate(text: str, pack: Pack) -> tuple[Location | None, tuple[str, str] | None]:
    """(Location, None) or (None, (reason, message)); messages never repeat the postcode."""
    if not text:
        return None, ("missing", "the postcode is empty")
    try:
        postcode = normalise_postcode(text)
    except PostcodeError as exc:
        return None, ("malformed", str(exc))
    try:
        return geocode_postcode(postcode, pack), None
    except OutsideArea as exc:
        return None, ("outside_area", str(exc))
    except PostcodeError as exc:
        if postcode.replace(" ", "") in pack.postcodes_terminated.index:
            return None, ("terminated", str(exc))
        return None, ("not_current", str(exc))


def _requirement(text: str) -> tuple[str | None, tuple[str, str] | None]:
    if not text:
        return None, None
    code = REQUIREMENT_ALIASES.get(_heading_key(text))
    if code is None:
        return None, (
            "bad_requirement",
            "the requirement is not recognised: give one of BBR, TSP, NSOGP (or 'sex offender group', "
            "'SOGP', 'Northumbria'), UPW (or 'unpaid work', 'community payback'), REPORTING "
            "(or 'office reporting', 'supervision'), one per row, or leave it empty",
        )
    return code, None


def _sex(text: str) -> tuple[str | None, tuple[str, str] | None]:
    key = _heading_key(text)
    if not key or key in SEX_NOT_KNOWN:
        return None, None
    sex = SEX_ALIASES.get(key)
    if sex is None:
        return None, (
            "bad_sex",
            "the sex is not recognised: give F or M (or female/male, woman/man), or leave it empty if not known",
        )
    return sex, None


def people_frame(data: list[dict[str, Any]] | dict[str, Any]) -> pd.DataFrame:
    """A ``people`` frame with the documented columns and dtypes, from records or a dict of columns."""
    frame = pd.DataFrame(data, columns=list(PEOPLE_COLUMNS))
    for name in ("person_id", "lsoa21", "district", "council", "postcode_sector", "requirement", "sex"):
        frame[name] = frame[name].astype("str")
    frame["lon"] = frame["lon"].astype(float)
    frame["lat"] = frame["lat"].astype(float)
    frame["synthetic"] = frame["synthetic"].astype(bool)
    return frame


def problems_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A ``problems`` frame (row, reason, message) from records."""
    frame = pd.DataFrame(records, columns=list(PROBLEM_COLUMNS))
    frame["row"] = frame["row"].astype("int64")
    frame["reason"] = frame["reason"].astype("str")
    frame["message"] = frame["message"].astype("str")
    return frame
