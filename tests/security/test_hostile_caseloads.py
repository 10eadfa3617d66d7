"""Hostile caseload files are refused within seconds, and ordinary ones still read.

Every hostile file is built here at test time. Each read runs in a worker thread that is given
:data:`SECONDS` (the finding's acceptance bound, generous on purpose): without the limits the
declared-dimension workbooks keep a thread busy with no end, so these tests fail instead of hanging.
"""

from __future__ import annotations

import csv
import time
import zipfile
from pathlib import Path

from click.testing import CliRunner
from hostile_files import SHEET, declare_whole_sheet, normal_xlsx, rewrite_sheet, run_within

from geoaccess import defaults
from geoaccess.analysis.caseload import CaseloadError, read_caseload
from geoaccess.cli.caseload import caseload

FIXTURES = Path(__file__).parents[1] / "fixtures" / "caseload"
SECONDS = 5.0
SECRET = "SECRET-CELL-TEXT"  # a cell's content, which no refusal may repeat


def read_within(path: Path, pack, seconds: float = SECONDS):
    """read_caseload(path) under a time guard: its result or exception, and the seconds it took."""
    return run_within(lambda: read_caseload(path, pack), seconds)


def assert_refused(path: Path, pack, *words: str) -> str:
    """The file is refused with a one-line CaseloadError naming the file, within SECONDS."""
    result, error, took = read_within(path, pack)
    assert result is None, f"{path.name} was read ({len(result.people)} people), not refused"
    assert isinstance(error, CaseloadError), f"{path.name}: expected CaseloadError, got {error!r}"
    message = str(error)
    assert took < SECONDS
    assert "\n" not in message and path.name in message
    assert SECRET not in message
    for word in words:
        assert word in message, message
    return message


def add_rows(extra: str):
    return lambda text: declare_whole_sheet(text).replace("</sheetData>", f"{extra}</sheetData>")


def inline_cell(ref: str, text: str = SECRET) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- .xlsx ---------------------------------------------------------------------------------------


def test_xlsx_declaring_the_whole_sheet_reads_only_its_real_cells(tmp_path, pack):
    path = rewrite_sheet(normal_xlsx(tmp_path / "declares.xlsx"), declare_whole_sheet)
    result, error, took = read_within(path, pack)
    assert error is None and took < SECONDS
    assert result.rows_read == 2 and len(result.people) == 2
    assert result.ignored_columns == []  # the heading is not padded out to column XFD


def test_xlsx_with_a_cell_at_the_last_row_and_column_is_refused(tmp_path, pack):
    path = rewrite_sheet(
        normal_xlsx(tmp_path / "far.xlsx"), add_rows(f'<row r="1048576">{inline_cell("XFD1048576")}</row>')
    )
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_ROWS:,} rows", "limit")


def test_xlsx_with_a_cell_beyond_the_column_limit_is_refused(tmp_path, pack):
    path = rewrite_sheet(normal_xlsx(tmp_path / "wide.xlsx"), add_rows(f'<row r="4">{inline_cell("XFD4")}</row>'))
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_COLUMNS} columns", "limit")


def test_xlsx_with_too_many_unnumbered_cells_in_a_row_is_refused(tmp_path, pack):
    cells = "".join(f'<c t="inlineStr"><is><t>{SECRET}</t></is></c>' for _ in range(defaults.CASELOAD_MAX_COLUMNS + 1))
    path = rewrite_sheet(normal_xlsx(tmp_path / "unnumbered.xlsx"), add_rows(f"<row>{cells}</row>"))
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_COLUMNS} columns")


def test_xlsx_with_more_rows_than_the_limit_is_refused(tmp_path, pack):
    last = defaults.CASELOAD_MAX_ROWS + 2
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{n}</t></is></c></row>' for n in range(4, last + 1))
    path = rewrite_sheet(
        normal_xlsx(tmp_path / "long.xlsx"), lambda text: text.replace("</sheetData>", f"{rows}</sheetData>")
    )
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_ROWS:,} rows")


def test_xlsx_with_more_cells_than_the_limit_is_refused(tmp_path, pack, monkeypatch):
    monkeypatch.setattr(defaults, "CASELOAD_MAX_CELLS", 100)
    path = normal_xlsx(tmp_path / "cells.xlsx", rows=60)  # 122 cells
    assert_refused(path, pack, "100 cells")


def test_xlsx_zip_bomb_is_refused_before_it_is_parsed(tmp_path, pack):
    """A small file whose worksheet unpacks to 80 MB (a comment inside sheetData) is refused unread."""
    source = normal_xlsx(tmp_path / "source.xlsx")
    path = tmp_path / "bomb.xlsx"
    chunk = b"A" * (1024 * 1024)
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            data = original.read(info)
            if info.filename != SHEET:
                bomb.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            member = zipfile.ZipInfo(SHEET)
            member.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(member, "w") as part:
                part.write(head + b"<!--")
                for _ in range(80):
                    part.write(chunk)
                part.write(b"-->" + b"</sheetData>" + tail)
    assert path.stat().st_size < 1024 * 1024
    assert_refused(path, pack, "unpacks to more than the limit", "50 MB")


def test_xlsx_part_compressed_beyond_the_ratio_limit_is_refused(tmp_path, pack):
    path = normal_xlsx(tmp_path / "ratio.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (5 * 1024 * 1024))
    assert_refused(path, pack, f"{defaults.CASELOAD_XLSX_MAX_RATIO}:1")


def test_xlsx_with_too_many_parts_is_refused(tmp_path, pack):
    path = normal_xlsx(tmp_path / "parts.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        for number in range(defaults.CASELOAD_XLSX_MAX_MEMBERS + 1):
            archive.writestr(f"xl/extra/{number}.txt", b"")
    assert_refused(path, pack, f"{defaults.CASELOAD_XLSX_MAX_MEMBERS:,} parts")


def test_xlsx_read_past_the_time_limit_is_refused(tmp_path, pack, monkeypatch):
    monkeypatch.setattr(defaults, "CASELOAD_READ_SECONDS", -1.0)
    assert_refused(normal_xlsx(tmp_path / "slow.xlsx"), pack, "seconds")


def test_cli_check_exits_2_on_a_hostile_file(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(
        "postcode\n" + "CA1 1HZ," + ",".join([SECRET] * defaults.CASELOAD_MAX_COLUMNS) + "\n", encoding="utf-8"
    )
    started = time.perf_counter()
    outcome = CliRunner().invoke(caseload, ["check", str(path)])
    assert time.perf_counter() - started < SECONDS
    assert outcome.exit_code == 2, outcome.output
    assert "wide.csv" in outcome.output and "limit" in outcome.output and SECRET not in outcome.output


# --- .csv ----------------------------------------------------------------------------------------


def test_csv_with_more_rows_than_the_limit_is_refused(tmp_path, pack):
    path = tmp_path / "long.csv"
    path.write_text("postcode\n" + "x\n" * (defaults.CASELOAD_MAX_ROWS + 1), encoding="utf-8")
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_ROWS:,} rows")


def test_csv_with_more_columns_than_the_limit_is_refused(tmp_path, pack):
    path = tmp_path / "wide.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["postcode"], ["CA1 1HZ", *[SECRET] * defaults.CASELOAD_MAX_COLUMNS]])
    assert_refused(path, pack, f"{defaults.CASELOAD_MAX_COLUMNS} columns")


def test_csv_larger_than_the_size_limit_is_refused(tmp_path, pack):
    path = tmp_path / "large.csv"
    row = ("x" * 60_000 + "\n").encode("utf-8")
    with path.open("wb") as handle:
        handle.write(b"postcode\n")
        for _ in range(defaults.CASELOAD_MAX_FILE_BYTES // len(row) + 1):
            handle.write(row)
    assert_refused(path, pack, "20 MB")


# --- ordinary caseloads still read ---------------------------------------------------------------


def test_ordinary_csv_and_xlsx_still_read(tmp_path, pack):
    result, error, took = read_within(FIXTURES / "mixed.csv", pack)
    assert error is None and result.rows_read == 12 and len(result.people) == 4
    result, error, took = read_within(normal_xlsx(tmp_path / "people.xlsx", rows=20), pack)
    assert error is None and result.rows_read == 20 and len(result.people) == 20


def test_synthetic_size_caseload_is_far_below_the_limits(tmp_path, pack):
    from openpyxl import Workbook

    from geoaccess.analysis.synthetic import synthetic_caseload, synthetic_csv_frame

    frame = synthetic_csv_frame(synthetic_caseload(pack))
    assert len(frame) == 2161
    assert len(frame) * 10 < defaults.CASELOAD_MAX_ROWS
    assert len(frame.columns) * 10 < defaults.CASELOAD_MAX_COLUMNS
    assert frame.size * 100 < defaults.CASELOAD_MAX_CELLS
    csv_path = tmp_path / "people.csv"
    frame.to_csv(csv_path, index=False)
    assert csv_path.stat().st_size * 100 < defaults.CASELOAD_MAX_FILE_BYTES
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        sheet.append([None if value != value else value for value in record])
    xlsx_path = tmp_path / "people.xlsx"
    workbook.save(xlsx_path)
    for path in (csv_path, xlsx_path):
        result, error, took = read_within(path, pack, seconds=60)
        assert error is None, error
        assert result.rows_read == 2161 and len(result.people) == 2161
