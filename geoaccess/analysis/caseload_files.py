"""Read a caseload file's cells (CSV in UTF-8, or the first worksheet of an .xlsx), within limits.

A hostile or damaged file costs at most seconds and bounded memory: the limits are in
:mod:`geoaccess.defaults`, looked up when a file is read. Every refusal is one line naming the file and
the limit, never a cell. What the cells mean is :mod:`geoaccess.analysis.caseload`'s business.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.parsers import expat

from geoaccess import defaults
from geoaccess.bounded_zip import ZipLimits, ZipOverLimit, open_checked
from geoaccess.errors import BadInput

Rows = list[tuple[int, list[str]]]
"""The (row number, cells) of each non-blank row below the heading; row 1 is the heading."""


class CaseloadError(BadInput):
    """A caseload file is refused or unreadable as a whole."""


def read_table(path: Path) -> tuple[list[str], Rows]:
    """The heading and the non-blank rows of a ``.csv`` or ``.xlsx`` (``.xlsm``) file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        raise CaseloadError(f"{path.name}: old .xls workbooks cannot be read; save it as .xlsx or CSV UTF-8")
    raise CaseloadError(f"{path.name}: a caseload must be a .csv or .xlsx file")


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


def _read_csv(path: Path) -> tuple[list[str], Rows]:
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
    rows: Rows = []
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


def _read_xlsx(path: Path) -> tuple[list[str], Rows]:
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
) -> tuple[list[str] | None, Rows]:
    """The heading and the non-blank (row number, cells) of a worksheet that passed :func:`_scan_sheet`."""
    # The sheet's own <dimension> is not trusted: read only as far as the cells found.
    sheet.reset_dimensions()
    header: list[str] | None = None
    rows: Rows = []
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
