"""What the browser tests share: Debian's Chromium under Playwright, and the app served on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from web_support import app_for_tests

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [  # no background networking: this machine refuses every outside connection
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def launch_chromium() -> Iterator[object]:
    """A headless Chromium (Debian's, never a downloaded build); skips saying how to install it."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium: apt-get update && apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python: pip install playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def served(app, threads: int = 4) -> Iterator[str]:
    """``app`` served by waitress on a free loopback port, in a background thread; yields its base URL."""
    from waitress import wasyncore
    from waitress.server import create_server

    socket_map: dict = {}
    server = create_server(app, map=socket_map, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)
        thread.join(timeout=5)


@contextmanager
def served_app(folder: Path, users: dict[str, str], **config: Any) -> Iterator[tuple[str, Flask]]:
    """An app of :func:`web_support.app_for_tests` (``users`` with its password) served on loopback; yields
    its base URL and the app, and stops its jobs after."""
    from geoaccess.web import background

    app = app_for_tests(folder, users, **config)
    with served(app) as url:
        yield url, app
    background.shutdown(app, wait=False)


@dataclass
class Watch:
    """What a page tried that it must not: requests beyond this machine, failed requests, console errors."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def watched_page(browser, viewport: dict) -> tuple[object, Watch]:
    """A new page whose every request beyond 127.0.0.1 (or files and data: URLs) is aborted and recorded."""
    watch = Watch()
    context = browser.new_context(viewport=viewport)

    def only_local(route: object, request: object) -> None:
        url = request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("file:", "data:")):
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("requestfailed", lambda r: watch.failed.append(f"{r.url} ({r.failure})"))
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    return page, watch


SERIOUS = ("serious", "critical")
"""The axe-core impacts a page must have none of."""


def axe_violations(target: object) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on a page or frame (axe-core as shipped in the
    ``axe-playwright-python`` package; evaluated through the DevTools protocol, so the page's CSP allows it):
    rule, impact, count and the first offending element of each."""
    from importlib.resources import files

    source = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    target.evaluate(source + "\n;0")
    return target.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
            rule: v.id, impact: v.impact, count: v.nodes.length, help: v.help,
            first: v.nodes[0].html.slice(0, 200)}))"""
    )


def serious_violations(page: object) -> dict[str, list[dict]]:
    """axe's serious and critical violations on ``page`` and in each of its frames (maps), by frame URL."""
    found = {}
    for frame in page.frames:
        bad = [v for v in axe_violations(frame) if v["impact"] in SERIOUS]
        if bad:
            found[frame.url] = bad
    return found


def fill_in_the_barrow_check(page: object) -> None:
    """The officer's form for the inspection's hard case, filled in and sent: a Barrow-in-Furness home, BBR at
    Carlisle on Thursday 18:00-20:30, 10 minutes early, every venue too; waits for the verdict."""
    page.fill("#home", "LA14 1RP")
    page.select_option("#programme", "BBR")
    page.select_option("#venue", "carlisle-crc-lmc")
    page.select_option("#day", "thu")
    page.fill("#start", "18:00")
    page.fill("#end", "20:30")
    page.fill("#margin", "10")
    page.check("#every_venue")
    page.click("#ga-check")
    page.wait_for_selector("#ga-verdict")
