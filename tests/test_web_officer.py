"""The officer's journey check pages: auth, the round trip, the map and PDF, saved checks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import web_support
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from web_support import CSRF, app_for_tests, signed_in

from geoaccess.venues import load_venues
from geoaccess.web import background
from geoaccess.web.db import SavedCheck, session_scope
from geoaccess.web.officer import saved_verdict
from geoaccess.weekdays import SHORT_DAYS, WEEKDAYS

CHECK = {
    "home": "LA14 1RP",
    "venue": "carlisle-crc-lmc",
    "programme": "BBR",
    "day": "thu",
    "start": "18:00",
    "end": "20:30",
    "margin": "10",
    "every_venue": "1",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    users = {"olive": "officer", "owen": "officer", "mary": "manager", "ada": "admin"}
    app = app_for_tests(tmp_path_factory.mktemp("officer"), users)
    yield app
    background.shutdown(app, wait=False)


def csrf_of(client: FlaskClient, url: str = "/officer") -> str:
    return web_support.csrf_of(client, url)


@pytest.fixture(scope="module")
def olive(app: Flask) -> FlaskClient:
    return signed_in(app, "olive")


@pytest.fixture(scope="module")
def checked(olive: FlaskClient) -> str:
    """The page for LA14 1RP -> Carlisle BBR Thursday 18:00-20:30."""
    response = olive.post("/officer", data={**CHECK, "csrf_token": csrf_of(olive)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def key_of(html: str) -> str:
    return re.search(r'name="key" value="([^"]+)"', html).group(1)


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/officer"),
        ("post", "/officer"),
        ("get", "/officer/checks"),
        ("get", "/officer/map/abc"),
        ("get", "/officer/map/abc.pdf"),
        ("post", "/officer/save"),
        ("post", "/officer/checks/1/delete"),
    ],
)
def test_anonymous_is_sent_to_sign_in(app: Flask, method: str, url: str) -> None:
    client = app.test_client()
    if method == "post":  # CSRF is checked first for a form post; with a token, sign-in is required
        token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        response = client.post(url, data={"csrf_token": token})
    else:
        response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_every_role_may_use_the_page(app: Flask) -> None:
    for name in ("olive", "mary", "ada"):
        assert signed_in(app, name).get("/officer").status_code == 200


def test_posts_without_csrf_token_are_refused(olive: FlaskClient, checked: str) -> None:
    assert olive.post("/officer", data=CHECK).status_code == 400
    assert olive.post("/officer/save", data={"key": key_of(checked), "label": "x"}).status_code == 400
    assert olive.post("/officer/checks/1/delete").status_code == 400


def test_the_home_is_never_in_a_url(checked: str) -> None:
    assert 'method="post"' in checked
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', checked):
        assert "LA14" not in url.upper() and "1RP" not in url.upper()


# --- the check ----------------------------------------------------------------------------------


def test_check_shows_itineraries_flags_in_words_and_provenance(checked: str) -> None:
    assert "Works, but hard: over two hours or home after 23:00" in checked
    assert "the journey there on Thursday takes more than two hours" in checked
    assert "home more than two hours after the session ends at 20:30 on Thursday" in checked
    assert "home after 23:00 on Thursday" in checked
    assert 'id="ga-outbound"' in checked and 'id="ga-return"' in checked
    assert "Barrow-In-Furness" in checked and "Lancaster" in checked and "Carlisle" in checked
    assert "MODELLED" in checked and "Timetable: modelled" in checked
    assert '<iframe class="ga-map ga-journey-map' in checked


def test_every_session_of_the_programme_is_listed_at_its_own_times_monday_first(checked: str) -> None:
    table = re.search(r'<table class="table table-sm table-striped ga-week".*?</table>', checked, re.S).group(0)
    cell = r'<td data-label="{}"[^>]*>([^<]*)</td>'
    rows = re.findall(r"\s*".join(cell.format(name) for name in ("Day", "Venue", "Session")), table)
    held = [
        (SHORT_DAYS.index(s.day), v.name, f"{s.start}–{s.end}")
        for v in load_venues()
        for p in v.programmes
        if p.code == "BBR"
        for s in p.sessions
    ]
    assert sorted((WEEKDAYS.index(day.lower()), name, times) for day, name, times in rows) == sorted(
        (index, str(escape(name)), times) for index, name, times in held
    )  # exactly the sessions held, each at its own day and times (Preston Wednesday, Carlisle Thursday)
    days = [WEEKDAYS.index(day.lower()) for day, _, _ in rows]
    assert days == sorted(days)
    assert '<details class="mt-4 ga-every-session" id="ga-every-session" open>' in checked


def test_nearest_venue_offering_the_programme(olive: FlaskClient) -> None:
    form = {**CHECK, "venue": "", "csrf_token": csrf_of(olive)}
    html = olive.post("/officer", data=form).get_data(as_text=True)
    assert "Nearest venue offering BBR" in html


def test_bad_input_is_named_without_the_postcode(olive: FlaskClient) -> None:
    response = olive.post("/officer", data={**CHECK, "home": "ZZ99 9ZZ", "csrf_token": csrf_of(olive)})
    assert response.status_code == 422
    error = re.search(r'id="ga-error">([^<]*)<', response.get_data(as_text=True)).group(1)
    assert "postcode" in error and "ZZ99" not in error
    response = olive.post("/officer", data={**CHECK, "start": "21:00", "csrf_token": csrf_of(olive)})
    assert response.status_code == 422 and "before it starts" in response.get_data(as_text=True)
    response = olive.post("/officer", data={**CHECK, "venue": "", "programme": "", "csrf_token": csrf_of(olive)})
    assert response.status_code == 422 and "choose a venue" in response.get_data(as_text=True)


def test_map_and_pdf_come_from_the_cache_and_only_for_their_owner(app: Flask, olive: FlaskClient, checked: str) -> None:
    key = key_of(checked)
    page = olive.get(f"/officer/map/{key}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "leaflet" in page.get_data(as_text=True).lower()
    assert "nonce-" in page.headers["Content-Security-Policy"]
    pdf = olive.get(f"/officer/map/{key}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    other = signed_in(app, "owen")
    assert other.get(f"/officer/map/{key}").status_code == 404
    assert other.get(f"/officer/map/{key}.pdf").status_code == 404
    assert olive.get("/officer/map/not-a-key").status_code == 404


def test_pdf_shows_the_home_only_at_its_sector(app: Flask, olive: FlaskClient, checked: str) -> None:
    from geoaccess.services.maps import round_trip_document
    from geoaccess.web.officer import cache

    with app.test_request_context():
        from flask import g

        with session_scope() as db:
            from sqlalchemy import select

            from geoaccess.web.db import User

            g.ga_user = db.scalar(select(User).where(User.name == "olive"))
        item = cache().get(key_of(checked), g.ga_user.id)
        doc = round_trip_document(item["check"], coarsen=True)
    ends = next(layer for layer in doc.layers if layer.name == "Ends").frame
    home = item["check"].home_point
    assert all(abs(point.x - home[0]) > 1e-4 or abs(point.y - home[1]) > 1e-4 for point in ends.geometry)
    assert "postcode sector" in doc.subtitle
    assumed = sum(1 for leg in item["check"].legs if leg.basis == "assumed")
    assert assumed and f"rests on {assumed} assumed trip times" in doc.subtitle  # the PDF says so too


# --- saving -------------------------------------------------------------------------------------


def test_nothing_is_stored_until_saved_then_no_postcode(app: Flask, checked: str) -> None:
    client = signed_in(app, "olive")
    html = client.post("/officer", data={**CHECK, "csrf_token": csrf_of(client)}).get_data(as_text=True)
    with app.app_context(), session_scope() as db:
        before = db.query(SavedCheck).count()
    response = client.post(
        "/officer/save", data={"key": key_of(html), "label": "case 17 BBR", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/officer/checks")
    with app.app_context(), session_scope() as db:
        rows = db.query(SavedCheck).order_by(SavedCheck.id).all()
    assert len(rows) == before + 1
    saved = rows[-1]
    assert saved.label == "case 17 BBR"
    text = saved.summary_json
    assert "LA14" not in text.upper() and "1RP" not in text.upper()
    summary = json.loads(text)
    assert not re.search(r"-?\d+\.\d{3,}", text)  # no coordinates
    assert summary["venue_id"] == "carlisle-crc-lmc" and summary["weekday"] == "thursday"
    assert summary["flags"] == ["outbound_over_120", "return_over_120", "home_after_2300"]
    assert summary["session"]["start"] == "18:00" and summary["outbound"]["minutes"] > 120
    listing = client.get("/officer/checks").get_data(as_text=True)
    assert "case 17 BBR" in listing and "LA14" not in listing
    assert summary["verdict"] == "works_but_hard"
    assert "<td>Works, but hard: over two hours or home after 23:00</td>" in listing and "<td>yes</td>" not in listing
    saved_at = rows[-1].created.astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")
    assert f'<td class="text-nowrap">{saved_at}</td>' in listing and " UTC" not in listing  # the UK's clock


def test_a_check_saved_before_verdicts_were_kept_still_shows_its_level() -> None:
    assert saved_verdict({"feasible": False, "flags": ["no_outbound"]}) == "Does not work"
    assert saved_verdict({"feasible": True, "flags": ["home_after_2300"]}).startswith("Works, but hard")
    assert saved_verdict({"feasible": True, "flags": []}) == "Works"


def test_officers_see_and_delete_only_their_own_checks(app: Flask) -> None:
    olive, owen = signed_in(app, "olive"), signed_in(app, "owen")
    html = owen.post("/officer", data={**CHECK, "every_venue": "", "csrf_token": csrf_of(owen)}).get_data(as_text=True)
    owen.post("/officer/save", data={"key": key_of(html), "label": "owen's own", "csrf_token": csrf_of(owen)})
    assert "owen&#39;s own" in owen.get("/officer/checks").get_data(as_text=True)
    assert "owen&#39;s own" not in olive.get("/officer/checks").get_data(as_text=True)
    with app.app_context(), session_scope() as db:
        owens = db.query(SavedCheck).filter(SavedCheck.label == "owen's own").one().id
    assert (
        olive.post(
            f"/officer/checks/{owens}/delete", data={"csrf_token": csrf_of(olive, "/officer/checks")}
        ).status_code
        == 404
    )
    # nor may one officer save another's cached check
    olive.post("/officer/save", data={"key": key_of(html), "label": "stolen", "csrf_token": csrf_of(olive)})
    with app.app_context(), session_scope() as db:
        assert db.query(SavedCheck).filter(SavedCheck.label == "stolen").count() == 0
    assert (
        owen.post(f"/officer/checks/{owens}/delete", data={"csrf_token": csrf_of(owen, "/officer/checks")}).status_code
        == 302
    )
    with app.app_context(), session_scope() as db:
        assert db.get(SavedCheck, owens) is None


def test_saving_an_expired_check_says_so(olive: FlaskClient) -> None:
    response = olive.post(
        "/officer/save", data={"key": "gone", "label": "x", "csrf_token": csrf_of(olive)}, follow_redirects=True
    )
    assert "expired" in response.get_data(as_text=True)


def test_cache_expires_entries() -> None:
    from geoaccess.web.officer import CheckCache

    cache = CheckCache(ttl_s=-1)
    key = cache.put(1, {"x": 1})
    assert cache.get(key, 1) is None
    cache = CheckCache(ttl_s=60, size=2)
    keys = [cache.put(1, {"n": n}) for n in range(3)]
    assert cache.get(keys[0], 1) is None and cache.get(keys[2], 1) == {"n": 2} and cache.get(keys[2], 2) is None


def test_print_stylesheet_hides_navigation_and_forms(olive: FlaskClient, checked: str) -> None:
    assert "officer.css" in checked and 'class="ga-noprint ga-check-form' in checked
    css = olive.get("/static/officer.css").get_data(as_text=True)
    hidden = css[css.index("@media print") :].split("{", 2)[1]
    for selector in ("nav", "form", ".ga-noprint"):
        assert selector in hidden


def test_the_answer_comes_first_in_one_line_with_its_level_and_caveat(checked: str) -> None:
    headline = re.search(r'<p class="ga-headline" id="ga-headline" tabindex="-1">([^<]*)</p>', checked).group(1)
    assert re.fullmatch(
        r"Leave by \d\d:\d\d – arrive \d\d:\d\d – home \d\d:\d\d( next day)? – away \d+ h \d\d min", headline
    )
    assert (
        checked.index('id="ga-headline"')
        < checked.index('id="ga-verdict"')
        < checked.index('<form method="post" action="/officer"')
    )
    assert 'class="alert ga-verdict ga-verdict-works_but_hard"' in checked
    assert "modelled from published service patterns" in checked and 'href="/about/data"' in checked
    assert "minutes in all" not in checked and re.search(r"Away from home \d+ h \d\d min in all", checked)
    assert "Check another journey" in checked


def test_the_data_is_explained_in_plain_english(olive: FlaskClient) -> None:
    page = olive.get("/about/data").get_data(as_text=True)
    assert "How the times are worked out" in page and "MODELLED</strong> means" in page
    assert "modelled" in re.search(r'<p id="ga-data-now">([^<]*)</p>', page).group(1)


def test_the_last_way_home_and_the_car_time_are_beside_the_first(checked: str) -> None:
    first = re.search(
        r"<strong>Leave (\d\d:\d\d), arrive (\d\d:\d\d)</strong>", checked[checked.index('id="ga-return"') :]
    )
    last = re.search(r"Last way home that night:</strong> leave\s+(\d\d:\d\d), home (\d\d:\d\d)( next day)?", checked)
    assert first and last
    assert "20:30" <= first.group(1) <= last.group(1)  # after the session, and no earlier than the first way
    car = re.search(r"<strong>By car:</strong> (\d+ h \d\d min|\d+ min)\s+door to door", checked)
    assert car and "(on a modelled road network)" in checked


def test_a_check_that_does_not_work_says_why_and_offers_the_nearest_other_venue(olive: FlaskClient) -> None:
    form = {**CHECK, "start": "06:00", "end": "08:00", "every_venue": "", "csrf_token": csrf_of(olive)}
    html = olive.post("/officer", data=form).get_data(as_text=True)
    assert 'class="alert ga-verdict ga-verdict-does_not_work"' in html and "Does not work" in html
    assert 'id="ga-dead-end"' in html
    other = re.search(r'<p class="mb-0 mt-2" id="ga-other-venue">(.*?)</p>', html, re.S).group(1)
    assert "Nearest other venue holding BBR:" in other and "Preston Probation Office (Preston)" in other
    assert re.search(r"\d+ h \d\d min by car", other) and "sessions Wed 18:00-20:30" in other
    assert "<strong>By car:</strong>" in html  # and the car time to the venue asked about
