"""Uploaded caseloads are read in a child process with memory, CPU and time limits, a few at a time.

Before, the web app read an upload in the request's own thread with no memory limit: four hostile
uploads at once held every server thread and /healthz stopped answering. Now the serving process keeps
its memory and threads whatever the file, and the child is stopped at the first limit it passes.
"""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import requests
from browser_support import served
from hostile_files import SHEET, declare_whole_sheet, normal_xlsx, rewrite_sheet
from web_support import CSRF, PASSWORD, app_for_tests, csrf_of, signed_in

from geoaccess.analysis.caseload import CaseloadError, read_caseload
from geoaccess.analysis.synthetic import synthetic_caseload, synthetic_csv_frame
from geoaccess.isolation import IsolatedCallFailed, LimitExceeded, run_isolated
from geoaccess.web import background, uploads

LIMITS = {"memory_bytes": 256 * 1024 * 1024, "cpu_seconds": 5, "wall_seconds": 30.0}
SECRET = "SECRET-INPUT-TEXT"


# --- the child process -----------------------------------------------------------------------------


def test_isolated_call_returns_the_childs_result() -> None:
    assert run_isolated(sum, [1, 2, 3], **LIMITS) == 6


def test_child_past_its_memory_limit_is_stopped() -> None:
    with pytest.raises(LimitExceeded, match="256 MB of memory"):
        run_isolated(bytearray, 8 * 1024**3, **LIMITS)


def test_child_past_its_cpu_limit_is_stopped() -> None:
    with pytest.raises(LimitExceeded, match="1 CPU seconds"):
        run_isolated(sum, range(10**13), **{**LIMITS, "cpu_seconds": 1})


def test_child_past_its_time_limit_is_stopped() -> None:
    with pytest.raises(LimitExceeded, match="0.5 seconds"):
        run_isolated(time.sleep, 60, **{**LIMITS, "wall_seconds": 0.5})


def test_refusals_come_back_unchanged(tmp_path: Path) -> None:
    with pytest.raises(CaseloadError) as raised:
        run_isolated(read_caseload, tmp_path / "missing.csv", **LIMITS)
    assert "caseload file not found" in str(raised.value)


def test_faults_in_the_child_are_named_by_type_only() -> None:
    with pytest.raises(IsolatedCallFailed) as raised:
        run_isolated(int, SECRET, **LIMITS)
    assert "ValueError" in str(raised.value) and SECRET not in str(raised.value)


# --- the web app -----------------------------------------------------------------------------------


def make_app(folder: Path, **config: object):
    return app_for_tests(folder, {"manager1": "manager"}, **config)


@pytest.fixture
def small_memory_app(tmp_path: Path) -> Iterator:
    app = make_app(tmp_path, CASELOAD_READER_MEMORY_BYTES=256 * 1024 * 1024)
    yield app
    background.shutdown(app)


def csrf_token(text: str) -> str:
    return CSRF.search(text).group(1)


def large_caseload_csv(rows: int) -> bytes:
    people = synthetic_csv_frame(synthetic_caseload())
    large = pd.concat([people] * (rows // len(people) + 1), ignore_index=True).head(rows)
    large["id"] = [f"P{number}" for number in range(rows)]
    return large.to_csv(index=False).encode("utf-8")


@pytest.mark.slow
def test_upload_needing_more_than_the_reader_memory_is_refused_and_nothing_kept(small_memory_app) -> None:
    """With the reader's memory set to 256 MB, a legal 100,000-row caseload (needing ~400 MB) is refused
    with 413 while an ordinary one is kept: the read happens in the limited child, not in the server."""
    client = signed_in(small_memory_app, "manager1")
    token = csrf_of(client, "/planner")
    root = uploads.uploads_root(small_memory_app)
    refused = client.post(
        "/planner/caseloads",
        data={"csrf_token": token, "caseload": (io.BytesIO(large_caseload_csv(100_000)), "large.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 413
    assert "MB of memory" in refused.get_data(as_text=True)
    assert not root.exists() or not any(root.iterdir())
    kept = client.post(
        "/planner/caseloads",
        data={"csrf_token": token, "caseload": (io.BytesIO(large_caseload_csv(50)), "small.csv")},
        content_type="multipart/form-data",
    )
    assert kept.status_code == 302


def whole_sheet_bomb(tmp_path: Path) -> bytes:
    """The audit's 4.7 KB workbook declaring cells up to A1:XFD1048576, with one cell at its far end."""
    path = rewrite_sheet(
        normal_xlsx(tmp_path / "bomb.xlsx"),
        lambda text: declare_whole_sheet(text).replace(
            "</sheetData>", '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
        ),
    )
    return path.read_bytes()


def unpacking_bomb(tmp_path: Path) -> bytes:
    """A workbook whose worksheet unpacks to 64 MB of XML (the audit's 2 GB one, in miniature)."""
    source = normal_xlsx(tmp_path / "source.xlsx")
    path = tmp_path / "unpacking.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in original.infolist():
            if info.filename != SHEET:
                bomb.writestr(info.filename, original.read(info))
                continue
            member = zipfile.ZipInfo(info.filename)
            member.compress_type = zipfile.ZIP_DEFLATED
            with bomb.open(member, "w") as part:
                part.write(b"<worksheet><!--")
                block = b"A" * (1024 * 1024)
                for _ in range(64):
                    part.write(block)
                part.write(b"--></worksheet>")
    return path.read_bytes()


@pytest.mark.slow
def test_four_hostile_uploads_at_once_leave_the_server_answering(tmp_path: Path) -> None:
    """Four bombs sent together are each refused with a 4xx while /healthz keeps answering 200."""
    app = make_app(tmp_path)
    bombs = [whole_sheet_bomb(tmp_path), unpacking_bomb(tmp_path)] * 2
    try:
        with served(app, threads=8) as base:
            clients = []
            for _ in bombs:
                session = requests.Session()
                token = csrf_token(session.get(f"{base}/login", timeout=30).text)
                session.post(f"{base}/login", data={"name": "manager1", "password": PASSWORD, "csrf_token": token})
                clients.append((session, csrf_token(session.get(f"{base}/planner", timeout=30).text)))
            statuses: list[int] = []

            def send(session: requests.Session, token: str, content: bytes) -> None:
                files = {"caseload": ("bomb.xlsx", content)}
                answer = session.post(f"{base}/planner/caseloads", data={"csrf_token": token}, files=files, timeout=60)
                statuses.append(answer.status_code)

            senders = [
                threading.Thread(target=send, args=(session, token, content))
                for (session, token), content in zip(clients, bombs, strict=True)
            ]
            for sender in senders:
                sender.start()
            health: list[int] = []
            while any(sender.is_alive() for sender in senders):
                health.append(requests.get(f"{base}/healthz", timeout=10).status_code)
                time.sleep(0.05)
            for sender in senders:
                sender.join()
    finally:
        background.shutdown(app)
    assert sorted(statuses) == [400] * 4, statuses
    assert health and set(health) == {200}
