"""What the hostile-file tests share: running a read under a time guard, and .xlsx caseloads built at test time."""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"


def normal_xlsx(path: Path, rows: int = 2) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "postcode"])
    for number in range(rows):
        sheet.append([f"P{number:03d}", "CA1 1HZ" if number % 2 == 0 else "LA14 1RP"])
    workbook.save(path)
    return path


def rewrite_sheet(path: Path, change) -> Path:
    """Rewrite the first worksheet's XML inside the .xlsx with ``change(text) -> text``."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[SHEET] = change(parts[SHEET].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def declare_whole_sheet(text: str) -> str:
    start = text.index("<dimension ")
    end = text.index("/>", start) + 2
    return text[:start] + '<dimension ref="A1:XFD1048576"/>' + text[end:]


def run_within(call: Callable[[], object], seconds: float) -> tuple[object, BaseException | None, float]:
    """``call()`` in a daemon thread: its result or exception, and the seconds it took."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    started = time.perf_counter()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    took = time.perf_counter() - started
    assert not worker.is_alive(), f"still reading after {seconds:g} s"
    error = outcome.get("error")
    assert error is None or isinstance(error, BaseException)
    return outcome.get("result"), error, took
