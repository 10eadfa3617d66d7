"""CSV injection (OWASP): no CSV geoaccess writes, from the CLI or the web app, holds a text cell a
spreadsheet would run as a formula; text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, and numbers are written as numbers."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from web_support import app_for_tests, csrf_of, signed_in

from geoaccess.analysis.caseload import Caseload, problems_frame, write_report
from geoaccess.analysis.chunked import write_table
from geoaccess.cli.main import main
from geoaccess.csv_cells import neutralise_csv_frame, neutralise_csv_rows, neutralise_csv_text
from geoaccess.web import background

SCENARIO = "=cmd|' /C calc'!A0"
VENUE = '=HYPERLINK("http://evil.example","Carlisle hall")'
PERSON = '=HYPERLINK("http://evil.example","P001")'


def read_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the helper --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-3", "@SUM(A1)", "\tx", "\rx", SCENARIO, VENUE])
def test_text_starting_a_formula_gets_a_leading_quote(text: str) -> None:
    assert neutralise_csv_text(text) == "'" + text


@pytest.mark.parametrize("text", ["Carlisle", "", "'=already quoted", "a=b", "<5", "2024-05-01", " =x"])
def test_plain_text_is_left_alone(text: str) -> None:
    assert neutralise_csv_text(text) == text


@pytest.mark.parametrize("number", [-3.5, -3, 0, 7, 0.25, True, None])
def test_numbers_and_other_values_are_left_alone(number: object) -> None:
    assert neutralise_csv_text(number) is number


def test_rows_and_frames_neutralise_text_cells_only() -> None:
    rows = neutralise_csv_rows([{"scenario": SCENARIO, "change": -3.5, "note": "-3", "n": -2}])
    assert rows == [{"scenario": "'" + SCENARIO, "change": -3.5, "note": "'-3", "n": -2}]
    frame = pd.DataFrame(
        {
            "id": [PERSON, "P002"],
            "minutes": [-3.5, 12.0],
            "count": [-3, 4],
            "text": ["-3", None],
            "area": pd.Categorical(["@x", "Carlisle"]),
            "flag": [True, False],
        }
    )
    safe = neutralise_csv_frame(frame)
    assert list(safe["id"]) == ["'" + PERSON, "P002"]
    assert list(safe["text"])[0] == "'-3" and pd.isna(list(safe["text"])[1])
    assert list(safe["area"]) == ["'@x", "Carlisle"]
    assert safe["minutes"].dtype == frame["minutes"].dtype and list(safe["minutes"]) == [-3.5, 12.0]
    assert safe["count"].dtype == frame["count"].dtype and list(safe["count"]) == [-3, 4]
    assert list(safe["flag"]) == [True, False]
    assert frame["id"][0] == PERSON  # the caller's frame is not changed


def test_write_table_csv_neutralises_text_and_keeps_negative_numbers(tmp_path: Path) -> None:
    path = write_table(pd.DataFrame({"person_id": [PERSON], "change": [-3.5]}), tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8").splitlines()[1] == f'"\'{PERSON.replace(chr(34), chr(34) * 2)}",-3.5'


# --- the CLI -----------------------------------------------------------------------------------


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_venue_export_csv_quotes_a_venue_named_as_a_formula(tmp_path: Path) -> None:
    mine = tmp_path / "mine.csv"
    with mine.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "kind", "town", "lon", "lat", "programmes"])
        writer.writerow(["evil-hall", VENUE, "hub", "Carlisle", "-2.9330", "54.8920", "UPW"])
    out = tmp_path / "venues.csv"
    result = run("venues", "export", "--venues", str(mine), "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in read_rows(out.read_text(encoding="utf-8"))}
    assert rows["evil-hall"]["name"] == "'" + VENUE
    assert rows["evil-hall"]["lon"] == "-2.933"  # a number, written as a number
    assert not [c for r in rows.values() for c in r.values() if c and c[0] in "=+@\t\r"]


def test_per_person_csv_quotes_a_caseload_id_that_looks_like_a_formula(tmp_path: Path) -> None:
    caseload = tmp_path / "caseload.csv"
    caseload.write_text(f'id,postcode,requirement\n"{PERSON.replace(chr(34), chr(34) * 2)}",CA1 1HZ,BBR\n')
    per_person = tmp_path / "people.csv"
    result = run("access", "--caseload", str(caseload), "--per-person", str(per_person))
    assert result.exit_code == 0, result.output
    (row,) = read_rows(per_person.read_text(encoding="utf-8"))
    assert row["person_id"] == "'" + PERSON
    numbers = [v for k, v in row.items() if k != "person_id" and v]
    assert numbers and not [v for v in numbers if v.startswith("'")]  # numbers are not quoted


def test_caseload_problem_report_quotes_a_message_that_looks_like_a_formula(tmp_path: Path) -> None:
    problems = problems_frame([{"row": 2, "reason": "malformed", "message": "-3 is not a postcode"}])
    write_report(Caseload(people=pd.DataFrame(), problems=problems), tmp_path / "report.csv")
    assert read_rows((tmp_path / "report.csv").read_text(encoding="utf-8")) == [
        {"row": "2", "reason": "malformed", "message": "'-3 is not a postcode"}
    ]


# --- the planner's result CSVs -------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    app = app_for_tests(tmp_path_factory.mktemp("csv-injection"), {"manager1": "manager"})
    yield app
    background.shutdown(app)


@pytest.fixture(scope="module")
def planner(app) -> tuple:
    """A signed-in manager, their CSRF token, and their saved scenario named as a formula."""
    client = signed_in(app, "manager1")
    csrf = csrf_of(client, "/planner")
    client.post("/planner/scenarios", data={"csrf_token": csrf, "programme": "BBR", "name": SCENARIO})
    sid = re.findall(r'id="scenario-([0-9a-f]{8})"', client.get("/planner").get_data(as_text=True))[-1]
    client.post(
        f"/planner/scenarios/{sid}/venues",
        data={"csrf_token": csrf, "venue_id": "barrow-crc-centre", "sessions": "Thu 18:00-20:30"},
    )
    return client, csrf, sid


def _run(planner: tuple, form: dict[str, str], timeout: float = 180.0) -> int:
    client, csrf, _ = planner
    started = client.post("/planner/run", data={"csrf_token": csrf, "caseload": "synthetic", **form})
    assert started.status_code == 302, started.get_data(as_text=True)[:500]
    job_id = int(started.location.rsplit("/", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/planner/jobs/{job_id}").get_json()
        if job["status"] in ("done", "failed"):
            assert job["status"] == "done", job["message"]
            return job_id
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} did not finish")


def assert_scenario_quoted(planner: tuple, job_id: int, tables: tuple[str, ...]) -> None:
    client = planner[0]
    for table in tables:
        exported = client.get(f"/planner/results/{job_id}/{table}.csv")
        assert exported.status_code == 200, table
        text = exported.get_data(as_text=True)
        rows = read_rows(text)
        assert "'" + SCENARIO in {r["scenario"] for r in rows}, table
        assert not [c for r in rows for c in r.values() if c and c[0] in "=+@\t\r"], table
        assert not re.search(r"^=|,=", text, re.MULTILINE), table


@pytest.mark.slow
def test_planner_compare_csvs_quote_a_scenario_named_as_a_formula(planner) -> None:
    job_id = _run(planner, {"kind": "compare", "baseline": "today:BBR", "others": f"saved:{planner[2]}"})
    assert_scenario_quoted(planner, job_id, ("overall", "districts", "changes"))


@pytest.mark.slow
def test_planner_measures_csvs_quote_a_scenario_named_as_a_formula(planner) -> None:
    job_id = _run(planner, {"kind": "measures", "scenario": f"saved:{planner[2]}"})
    assert_scenario_quoted(planner, job_id, ("overall", "districts", "lsoas"))
