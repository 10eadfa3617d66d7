"""Hostile caseload uploads: four sent at once, while /healthz is asked every 50 ms.

Run ``python bench/bench_hostile_uploads.py``; writes ``bench/results/hostile_uploads.md``. The app runs
under waitress on 127.0.0.1 with ``geoaccess serve``'s default of 8 threads and a temporary database.
The files are the audit's: a workbook whose sheet declares cells up to A1:XFD1048576 (as found, and with a
cell placed at its far end) and a workbook whose sheet unpacks to 2 GB of XML.
"""

from __future__ import annotations

import logging
import platform
import resource
import statistics
import tempfile
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import requests
from openpyxl import Workbook
from waitress.server import create_server

from geoaccess.web import create_app
from geoaccess.web.db import session_scope
from geoaccess.web.users import create_user

logging.getLogger("geoaccess.web.requests").setLevel(logging.WARNING)

RESULTS = Path(__file__).parent / "results" / "hostile_uploads.md"
SHEET = "xl/worksheets/sheet1.xml"
PASSWORD = "a long enough password 1"
FAR_CELL = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def workbook(path: Path) -> dict[str, bytes]:
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "postcode"])
    sheet.append(["P1", "CA1 1HZ"])
    book.save(path)
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_parts(path: Path, parts: dict[str, bytes], sheet_writer=None) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name == SHEET and sheet_writer is not None:
                member = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
                member.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(member, "w", force_zip64=True) as part:
                    sheet_writer(part)
            else:
                archive.writestr(name, data)
    return path.read_bytes()


def whole_sheet(folder: Path, far_cell: bool) -> bytes:
    parts = workbook(folder / "plain.xlsx")
    text = parts[SHEET].decode()
    start = text.index("<dimension ")
    text = text[:start] + '<dimension ref="A1:XFD1048576"/>' + text[text.index("/>", start) + 2 :]
    if far_cell:
        text = text.replace("</sheetData>", f"{FAR_CELL}</sheetData>")
    parts[SHEET] = text.encode()
    return write_parts(folder / f"whole-{far_cell}.xlsx", parts)


def unpacking(folder: Path) -> bytes:
    def two_gigabytes(part) -> None:
        part.write(b"<worksheet><!--")
        block = b"A" * (1024 * 1024)
        for _ in range(2048):
            part.write(block)
        part.write(b"--></worksheet>")

    return write_parts(folder / "unpacking.xlsx", workbook(folder / "plain.xlsx"), two_gigabytes)


def csrf(text: str) -> str:
    marker = 'name="csrf_token" value="'
    start = text.index(marker) + len(marker)
    return text[start : text.index('"', start)]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="geoaccess-bench-"))
    files = {
        "declares A1:XFD1048576 (4.7 KB)": whole_sheet(folder, far_cell=False),
        "declares A1:XFD1048576, cell at XFD1048576": whole_sheet(folder, far_cell=True),
    }
    bomb = unpacking(folder)
    files[f"2 GB of XML ({len(bomb) / 1024 / 1024:.1f} MB file)"] = bomb
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "SECRET_KEY": "bench",
            "PLANNER_FOLDER": str(folder / "planner"),
            "SESSION_COOKIE_SECURE": False,  # requests keeps Secure cookies for https only
        }
    )
    with app.app_context(), session_scope() as db:
        create_user(db, "manager1", "manager", PASSWORD, must_change_password=False)
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = []
    for label, content in files.items():
        rows.append((label, *four_at_once(base, content)))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    write_results(rows, rss_before, rss_after)
    print(RESULTS.read_text(encoding="utf-8"))


def four_at_once(base: str, content: bytes) -> tuple[str, float, int, float, float]:
    """Statuses, slowest upload (s), and /healthz answers, median and slowest (ms) meanwhile."""
    sessions = []
    for _ in range(4):
        session = requests.Session()
        token = csrf(session.get(f"{base}/login", timeout=30).text)
        session.post(f"{base}/login", data={"name": "manager1", "password": PASSWORD, "csrf_token": token})
        sessions.append((session, csrf(session.get(f"{base}/planner", timeout=30).text)))
    results: list[tuple[int, float]] = []

    def send(session: requests.Session, token: str) -> None:
        started = time.perf_counter()
        answer = session.post(
            f"{base}/planner/caseloads",
            data={"csrf_token": token},
            files={"caseload": ("upload.xlsx", content)},
            timeout=600,
            allow_redirects=False,
        )
        results.append((answer.status_code, time.perf_counter() - started))

    senders = [threading.Thread(target=send, args=pair) for pair in sessions]
    for sender in senders:
        sender.start()
    health: list[float] = []
    while any(sender.is_alive() for sender in senders):
        started = time.perf_counter()
        requests.get(f"{base}/healthz", timeout=60).raise_for_status()
        health.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    statuses = ", ".join(str(status) for status, _ in sorted(results))
    return statuses, max(s for _, s in results), len(health), statistics.median(health), max(health)


def write_results(rows: list, rss_before: float, rss_after: float) -> None:
    lines = [
        "# Hostile caseload uploads, four at once",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {platform.python_version()}, "
        "waitress with 8 threads, 2 caseload readers (child processes).",
        "",
        "| file | statuses | slowest upload (s) | /healthz answers | median (ms) | slowest (ms) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {row[0]} | {row[1]} | {row[2]:.2f} | {row[3]} | {row[4]:.1f} | {row[5]:.1f} |" for row in rows]
    lines += ["", f"Server process peak resident memory: {rss_before:.0f} MB before, {rss_after:.0f} MB after.", ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
