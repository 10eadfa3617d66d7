"""Caseload import: columns matched or refused, every bad row reported by number, no postcode in any message."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoaccess.analysis.caseload import PEOPLE_COLUMNS, REASONS, CaseloadError, read_caseload, write_report
from geoaccess.cli.caseload import caseload

FIXTURES = Path(__file__).parent / "fixtures" / "caseload"
MIXED = FIXTURES / "mixed.csv"
# Every postcode in mixed.csv, in the forms given and normalised, and their outward codes alone.
GIVEN_POSTCODES = [
    "CA1 1HZ",
    "la141rp",
    "CA1 1X!",
    "CA1 1AD",
    "BB1 1AE",
    "CA99 9ZZ",
    "LA10 5AH",
    "CA12 4AJ",
    "CA10 1AG",
    "CA14 4PR",
    "PR1 1HT",
]
EXPECTED_PROBLEMS = [
    (4, "malformed"),
    (5, "terminated"),
    (6, "outside_area"),
    (7, "not_current"),
    (8, "missing"),
    (9, "duplicate_id"),
    (10, "bad_requirement"),
    (11, "bad_sex"),
]


def _forms(postcode: str) -> set[str]:
    compact = postcode.replace(" ", "").upper()
    return {postcode, postcode.upper(), compact, f"{compact[:-3]} {compact[-3:]}", compact.lower()}


def assert_no_postcode(text: str) -> None:
    for postcode in GIVEN_POSTCODES:
        for form in _forms(postcode):
            assert form not in text, f"a postcode appears in {text!r}"


def write_rows(path: Path, rows: list[list[object]]) -> Path:
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        workbook.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return path


def mixed_rows() -> list[list[str]]:
    with MIXED.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def mixed(pack):
    return read_caseload(MIXED, pack)


def check_mixed(result) -> None:
    assert list(result.people.columns) == list(PEOPLE_COLUMNS)
    assert result.rows_read == 12  # the blank row 12 is not a row of data
    people = result.people.set_index("person_id")
    assert list(people.index) == ["P001", "P002", "row-13", "P010"]
    assert people.loc["P001", "postcode_sector"] == "CA1 1"
    assert people.loc["P001", "district"] == "Carlisle"
    assert people.loc["P002", "postcode_sector"] == "LA14 1"
    assert people.loc["P002", "requirement"] == "UPW" and people.loc["P002", "sex"] == "M"
    assert people.loc["row-13", "requirement"] == "NSOGP" and people.loc["row-13", "sex"] != people.loc["row-13", "sex"]
    assert people.loc["P010", "requirement"] == "UPW" and people.loc["P010", "sex"] == "F"
    assert people.loc["P010", "council"] == "Preston"  # in the pack's area, outside Cumbria
    assert not people["synthetic"].any()
    assert "postcode" not in result.people.columns  # the full postcode is not kept
    got = [(int(r.row), r.reason) for r in result.problems.itertuples()]
    assert got == EXPECTED_PROBLEMS
    assert set(result.problems["reason"]) <= set(REASONS)
    for message in result.problems["message"]:
        assert message
        assert_no_postcode(message)
    assert result.ignored_columns == ["Town"]


def test_csv_rows_checked_and_every_problem_listed_by_row(mixed):
    check_mixed(mixed)
    duplicate = mixed.problems.loc[mixed.problems["reason"] == "duplicate_id", "message"].item()
    assert "row 2" in duplicate


def test_xlsx_gives_the_same_result(tmp_path, pack):
    rows = mixed_rows()
    rows[11] = [None] * 5  # a truly empty spreadsheet row
    path = write_rows(tmp_path / "mixed.xlsx", rows)
    check_mixed(read_caseload(path, pack))


def test_xlsx_numeric_ids_and_blank_trailing_rows(tmp_path, pack):
    path = write_rows(tmp_path / "ids.xlsx", [["ID", "postcode"], [1001, "CA1 1HZ"], [1002.0, "LA14 1RP"]])
    result = read_caseload(path, pack)
    assert list(result.people["person_id"]) == ["1001", "1002"]


def test_utf8_bom_and_semicolons_are_read(tmp_path, pack):
    assert list(read_caseload(FIXTURES / "bom.csv", pack).people["requirement"]) == ["BBR"]
    path = tmp_path / "semi.csv"
    path.write_text("Postcode;Sex\nCA1 1HZ;female\n", encoding="utf-8")
    assert list(read_caseload(path, pack).people["sex"]) == ["F"]


def test_requirement_and_sex_aliases(tmp_path, pack):
    values = [
        ("sex offender group", "NSOGP"),
        ("SOGP", "NSOGP"),
        ("Northumbria", "NSOGP"),
        ("nsogp", "NSOGP"),
        ("Unpaid Work", "UPW"),
        ("community payback", "UPW"),
        ("office reporting", "REPORTING"),
        ("supervision", "REPORTING"),
        ("bbr", "BBR"),
        ("TSP", "TSP"),
    ]
    rows = [["postcode", "requirement", "sex"]]
    rows += [
        ["CA1 1HZ", given, sex]
        for (given, _), sex in zip(
            values, ["F", "M", "female", "male", "woman", "man", "", "Unknown", "f", "m"], strict=True
        )
    ]
    result = read_caseload(write_rows(tmp_path / "aliases.csv", rows), pack)
    assert result.problems.empty
    assert list(result.people["requirement"]) == [code for _, code in values]
    assert result.people["sex"].tolist()[:6] == ["F", "M", "F", "M", "F", "M"]
    assert result.people["sex"].isna().sum() == 2


@pytest.mark.parametrize(
    "heading",
    [
        "Name",
        "First Name",
        "surname",
        "Forename",
        "Full name",
        "FirstName",
        "Address",
        "Street",
        "Address Line 1",
        "house number",
        "Road",
        "DOB",
        "D.O.B.",
        "Date of Birth",
        "date_of_birth",
        "Birth date",
        "NOMIS",
        "CRN",
        "PNC number",
        "NINO",
        "National Insurance",
        "Phone",
        "Telephone",
        "E-mail",
        "email address",
    ],
)
def test_identifying_columns_refuse_the_whole_file(tmp_path, pack, heading):
    path = write_rows(tmp_path / "people.csv", [["postcode", heading], ["CA1 1HZ", "x"]])
    with pytest.raises(CaseloadError) as caught:
        read_caseload(path, pack)
    message = str(caught.value)
    assert f"'{heading}'" in message
    assert "criminal-justice personal data" in message and "minimum" in message and "Remove" in message
    assert_no_postcode(message)


def test_refusal_names_every_offending_column_in_xlsx(tmp_path, pack):
    path = write_rows(
        tmp_path / "people.xlsx",
        [["Surname", "postcode", "Address", "DOB", "sex"], ["Smith", "CA1 1HZ", "1 High St", "1990-01-01", "M"]],
    )
    with pytest.raises(CaseloadError) as caught:
        read_caseload(path, pack)
    message = str(caught.value)
    for heading in ("'Surname'", "'Address'", "'DOB'"):
        assert heading in message
    assert "names" in message and "street addresses" in message and "dates of birth" in message
    assert "Smith" not in message and "High St" not in message


def test_postcode_aliases_are_not_refused(tmp_path, pack):
    for heading in ("Postcode", " POST CODE ", "postal_code", "Home postcode", "Address postcode"):
        path = write_rows(tmp_path / "ok.csv", [[heading], ["CA1 1HZ"]])
        assert len(read_caseload(path, pack).people) == 1


def test_files_without_postcode_or_with_two_are_refused(tmp_path, pack):
    with pytest.raises(CaseloadError, match="no postcode column"):
        read_caseload(write_rows(tmp_path / "a.csv", [["id", "sex"], ["1", "F"]]), pack)
    with pytest.raises(CaseloadError, match="two columns give the postcode"):
        read_caseload(write_rows(tmp_path / "b.csv", [["postcode", "post code"], ["CA1 1HZ", "CA1 1HZ"]]), pack)


def test_unreadable_files_are_refused(tmp_path, pack):
    with pytest.raises(CaseloadError, match="not found"):
        read_caseload(tmp_path / "absent.csv", pack)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("postcode,notes\nCA1 1HZ,caf\xe9\n".encode("latin-1"))
    with pytest.raises(CaseloadError, match="CSV UTF-8"):
        read_caseload(latin, pack)
    other = tmp_path / "caseload.txt"
    other.write_text("postcode\n", encoding="utf-8")
    with pytest.raises(CaseloadError, match=r"\.csv or \.xlsx"):
        read_caseload(other, pack)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(CaseloadError, match="not a readable .xlsx"):
        read_caseload(broken, pack)


def test_ids_shaped_like_case_numbers_are_warned_about(tmp_path, pack):
    path = write_rows(tmp_path / "crn.csv", [["id", "postcode"], ["X123456", "CA1 1HZ"], ["A1234BC", "CA1 1HZ"]])
    warnings = read_caseload(path, pack).warnings
    assert len(warnings) == 1 and "2 id(s)" in warnings[0]


def test_summary_counts(mixed):
    summary = mixed.summary()
    assert summary["rows_read"] == 12 and summary["usable"] == 4 and summary["rows_with_problems"] == 8
    assert summary["problems"] == {reason: 1 for reason in REASONS}
    assert summary["by_district"] == {"Barrow-in-Furness": 1, "Carlisle": 1, "Copeland": 1, "Preston": 1}
    assert summary["by_requirement"] == {"BBR": 1, "NSOGP": 1, "UPW": 2}
    assert summary["women"] == 2 and summary["sex_recorded"] == 3 and summary["women_share"] == pytest.approx(0.6667)
    assert summary["synthetic"] is False
    json.dumps(summary)


def test_write_report(mixed, tmp_path):
    out = tmp_path / "report.csv"
    write_report(mixed, out)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["row"]), r["reason"]) for r in rows] == EXPECTED_PROBLEMS
    assert_no_postcode(out.read_text(encoding="utf-8"))
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


def test_cli_check_lists_problems_and_exits_0(tmp_path):
    report = tmp_path / "problems.csv"
    result = CliRunner().invoke(caseload, ["check", str(MIXED), "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "12 row(s) read, 4 usable, 8 with problems" in result.output
    assert "row      5  terminated" in result.output
    assert_no_postcode(result.output)
    assert report.is_file()
    as_json = CliRunner().invoke(caseload, ["check", str(MIXED), "--json"])
    assert as_json.exit_code == 0
    payload = json.loads(as_json.output)
    assert payload["usable"] == 4
    assert [(p["row"], p["reason"]) for p in payload["problem_rows"]] == EXPECTED_PROBLEMS
    assert_no_postcode(as_json.output)


def test_cli_check_exits_2_when_refused_or_nothing_usable(tmp_path):
    refused = write_rows(tmp_path / "named.csv", [["name", "postcode"], ["Jo", "CA1 1HZ"]])
    result = CliRunner().invoke(caseload, ["check", str(refused)])
    assert result.exit_code == 2
    assert "criminal-justice personal data" in result.output
    bad = write_rows(tmp_path / "bad.csv", [["postcode"], ["CA1 1AD"], ["BB1 1AE"]])
    result = CliRunner().invoke(caseload, ["check", str(bad), "--json"])
    assert result.exit_code == 2
    assert "no usable rows" in result.output
    assert_no_postcode(result.output)


def test_cells_beyond_the_headings_are_ignored_with_a_warning(tmp_path, pack):
    path = tmp_path / "long.csv"
    path.write_text("postcode\nCA1 1HZ,extra\nLA14 1RP\n", encoding="utf-8")
    result = read_caseload(path, pack)
    assert len(result.people) == 2
    assert result.warnings == ["1 row(s) have cells beyond the last column heading; those cells were ignored"]
