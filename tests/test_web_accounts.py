"""Accounts and roles: sign-in, throttling, CSRF, role checks, API tokens, first-start admin, users CLI, admin pages."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from sqlalchemy import select
from web_support import PAGE_CSRF, PASSWORD, add_user, page_csrf
from werkzeug.routing import IntegerConverter

from geoaccess.cli.users import users
from geoaccess.web import create_app
from geoaccess.web.auth import api_auth, current_user, login_required
from geoaccess.web.db import ApiToken, User, session_scope, utcnow
from geoaccess.web.users import find_user, issue_token


def _test_routes() -> Blueprint:
    bp = Blueprint("t", __name__)

    @bp.get("/t/any")
    @login_required
    def any_user() -> str:
        return f"hello {current_user().name}"

    @bp.get("/t/manager")
    @login_required("manager", "admin")
    def manager_page() -> str:
        return "manager page"

    @bp.route("/t/api", methods=["GET", "POST"])
    @api_auth("manager")
    def manager_api():
        return jsonify(user=current_user().name)

    @bp.get("/t/api/any")
    @api_auth
    def any_api():
        return jsonify(user=current_user().name)

    return bp


def make_app(tmp_path: Path, **config: object) -> Flask:
    settings = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite'}",
        "VENUE_LOADER": list,
        "SESSION_COOKIE_SECURE": False,
        "SECRET_KEY": "test-secret",
    }
    settings.update(config)
    app = create_app(settings)
    app.register_blueprint(_test_routes())
    return app


@pytest.fixture()
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, name: str, password: str = PASSWORD, **extra: str):
    return client.post("/login", data={"name": name, "password": password, "csrf_token": page_csrf(client), **extra})


def post(client: FlaskClient, url: str, **data: str):
    return client.post(url, data={"csrf_token": page_csrf(client), **data})


def user_row(app: Flask, name: str) -> User:
    with app.app_context(), session_scope() as db:
        user = find_user(db, name)
        assert user is not None
        return user


# --- sign-in ----------------------------------------------------------------------------


def test_login_success_redirects_and_signs_in(app: Flask, client: FlaskClient) -> None:
    add_user(app, "olive", "officer")
    response = login(client, "olive", next="/t/any")
    assert response.status_code == 302 and response.headers["Location"] == "/t/any"
    assert client.get("/t/any").get_data(as_text=True) == "hello olive"
    page = client.get("/").get_data(as_text=True)
    assert "olive (officer)" in page and "Sign out" in page
    assert user_row(app, "olive").last_login is not None


def test_login_failure_says_nothing_about_the_name(app: Flask, client: FlaskClient) -> None:
    add_user(app, "olive", "officer")
    wrong = login(client, "olive", "not the password")
    unknown = login(client, "nobody", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = re.compile(r'<div class="alert alert-danger" role="alert">(.*?)</div>', re.S)
    assert message.search(wrong.get_data(as_text=True)).group(1) == message.search(
        unknown.get_data(as_text=True)
    ).group(1)
    assert client.get("/t/any").status_code == 302
    assert user_row(app, "olive").failed_logins == 1


NAVIGATION = {
    "officer": ["Journey check", "Saved checks", "Venue map", "Change password"],
    "manager": ["Journey check", "Saved checks", "Planner", "Venue map", "Change password"],
    "admin": [
        "Journey check", "Saved checks", "Planner", "Venue map", "Users", "Edit venues", "Data in use",
        "Change password",
    ],
}  # fmt: skip
"""The main navigation's links for each role, in order."""


@pytest.mark.parametrize(
    ("role", "landing"), [("officer", "/officer"), ("manager", "/planner"), ("admin", "/admin/users")]
)
def test_each_role_lands_on_its_own_page_with_every_page_it_may_use_in_the_navigation(
    app: Flask, client: FlaskClient, role: str, landing: str
) -> None:
    add_user(app, "pat", role)
    assert login(client, "pat").headers["Location"] == landing
    assert client.get("/login").headers["Location"] == landing  # signed in already: straight there
    page = client.get(landing).get_data(as_text=True)
    nav = page[page.index('<nav class="navbar') : page.index("</nav>")]
    links = re.findall(r'<a class="nav-link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav)
    assert [label for _, _, label in links] == NAVIGATION[role]
    assert [href for href, current, _ in links if current] == [landing]  # the page one is on, marked
    for href, _, label in links:
        assert client.get(href).status_code == 200, label  # every link is a page this role may open
    assert page.index('class="ga-skip-link" href="#main"') < page.index("<nav")  # the first thing to tab to
    assert '<main class="container my-4" id="main" tabindex="-1">' in page


def test_open_redirects_are_refused(app: Flask, client: FlaskClient) -> None:
    add_user(app, "olive", "officer")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response = login(client, "olive", next=target)
        assert response.headers["Location"] == "/officer", target  # the officer's own start page instead
        post(client, "/logout")


def test_five_failures_lock_the_account_for_15_minutes(app: Flask, client: FlaskClient) -> None:
    add_user(app, "olive", "officer")
    for _ in range(5):
        assert login(client, "olive", "wrong password!").status_code == 401
    locked = user_row(app, "olive").locked_until
    assert locked is not None
    assert dt.timedelta(minutes=14) < locked - utcnow() <= dt.timedelta(minutes=15)
    assert login(client, "olive").status_code == 401  # right password, still locked
    with app.app_context(), session_scope() as db:  # 15 minutes later
        find_user(db, "olive").locked_until = utcnow() - dt.timedelta(seconds=1)
    assert login(client, "olive").status_code == 302
    assert user_row(app, "olive").failed_logins == 0


def test_too_many_failures_from_one_address_get_429(tmp_path: Path) -> None:
    app = make_app(tmp_path, LOGIN_IP_MAX_FAILURES=3)
    add_user(app, "olive", "officer")
    client = app.test_client()
    for name in ("a", "b", "c"):  # different names: the per-account lock never triggers
        assert login(client, name, "guess guess guess").status_code == 401
    assert login(client, "olive").status_code == 429
    other = app.test_client()  # another address is not affected
    response = other.post(
        "/login",
        data={"name": "olive", "password": PASSWORD, "csrf_token": page_csrf(other)},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 302


def test_logout_is_a_post_and_ends_the_session(app: Flask, client: FlaskClient) -> None:
    add_user(app, "olive", "officer")
    login(client, "olive")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/t/any").status_code == 200
    response = post(client, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/t/any").status_code == 302


def test_session_cookie_is_secure_httponly_lax_and_lasts_8_hours(tmp_path: Path) -> None:
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    add_user(app, "olive", "officer")
    client = app.test_client()
    response = login(client, "olive")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.permanent_session_lifetime == dt.timedelta(hours=8)
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    left = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=dt.UTC) - utcnow()
    assert dt.timedelta(hours=7, minutes=59) < left <= dt.timedelta(hours=8)


def test_a_password_change_ends_other_sessions(app: Flask) -> None:
    add_user(app, "olive", "officer")
    first, second = app.test_client(), app.test_client()
    login(first, "olive")
    login(second, "olive")
    new = "a brand new passphrase"
    response = post(first, "/account/password", current_password=PASSWORD, new_password=new, confirm_password=new)
    assert response.status_code == 302
    assert first.get("/t/any").status_code == 200
    assert second.get("/t/any").status_code == 302


# --- CSRF -------------------------------------------------------------------------------


def _dummy_url(rule) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x" for arg in rule.arguments}
    return rule.build(values)[1]


def test_every_form_post_without_csrf_token_is_400(app: Flask, client: FlaskClient) -> None:
    add_user(app, "root", "admin")
    login(client, "root")
    rules = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())]
    assert len(rules) >= 6
    for rule in rules:
        url = _dummy_url(rule)
        response = client.post(url, data={"name": "x"})
        assert response.status_code == 400, url
        if url.startswith("/api/"):
            assert response.mimetype == "application/problem+json", url
        bad = client.post(url, data={"name": "x", "csrf_token": "forged"})
        assert bad.status_code == 400, url
    assert client.post("/login", data={"name": "root", "password": PASSWORD}).status_code == 400


def test_forms_work_over_https_without_a_referer(app: Flask) -> None:
    add_user(app, "olive", "officer")
    client = app.test_client()
    page = client.get("/login", base_url="https://ga.example").get_data(as_text=True)
    token = PAGE_CSRF.search(page).group(1)
    response = client.post(
        "/login", base_url="https://ga.example", data={"name": "olive", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_session_json_posts_need_the_x_csrftoken_header(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager")
    login(client, "mo")
    response = client.post("/t/api", json={})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 400
    ok = client.post("/t/api", json={}, headers={"X-CSRFToken": page_csrf(client)})
    assert ok.status_code == 200 and ok.get_json() == {"user": "mo"}


# --- roles ------------------------------------------------------------------------------


def test_pages_anonymous_wrong_role_right_role(app: Flask) -> None:
    add_user(app, "olive", "officer")
    add_user(app, "mo", "manager")
    add_user(app, "root", "admin")
    anonymous = app.test_client()
    response = anonymous.get("/t/manager?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/t/manager?tab%3D2"
    assert anonymous.get("/admin/users").headers["Location"] == "/login?next=/admin/users"
    for name, manager_page, admin_page in (("olive", 403, 403), ("mo", 200, 403), ("root", 200, 200)):
        client = app.test_client()
        login(client, name)
        assert client.get("/t/manager").status_code == manager_page, name
        assert client.get("/admin/users").status_code == admin_page, name
        assert client.get("/t/any").status_code == 200


def test_login_next_returns_to_the_page_asked_for(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager")
    target = client.get("/t/manager").headers["Location"]
    form = client.get(target).get_data(as_text=True)
    assert 'name="next" value="/t/manager"' in form
    assert login(client, "mo", next="/t/manager").headers["Location"] == "/t/manager"


# --- API tokens -------------------------------------------------------------------------


def _token(app: Flask, name: str) -> str:
    with app.app_context(), session_scope() as db:
        return issue_token(db, find_user(db, name))


def _assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def test_api_bearer_token_good_bad_missing_wrong_role(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager")
    add_user(app, "olive", "officer")
    token = _token(app, "mo")
    good = client.get("/t/api", headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and good.get_json() == {"user": "mo"}
    posted = client.post("/t/api", json={}, headers={"Authorization": f"Bearer {token}"})  # no CSRF needed
    assert posted.status_code == 200
    missing = client.get("/t/api")
    _assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for header in (f"Bearer {token}x", "Bearer ", "Basic b2xpdmU6cGFzcw==", token):
        _assert_problem(client.get("/t/api", headers={"Authorization": header}), 401)
    _assert_problem(client.post("/t/api", json={}, headers={"Authorization": "Bearer nope"}), 401)
    _assert_problem(client.get("/t/api", headers={"Authorization": f"Bearer {_token(app, 'olive')}"}), 403)
    with app.app_context(), session_scope() as db:
        row = db.scalar(select(ApiToken).join(User, User.id == ApiToken.user_id).where(User.name == "mo"))
        assert row.last_used is not None and row.token_hash != token and len(row.token_hash) == 64


def test_api_session_auth_and_a_bad_token_never_falls_back_to_it(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager")
    login(client, "mo")
    assert client.get("/t/api").get_json() == {"user": "mo"}
    _assert_problem(client.get("/t/api", headers={"Authorization": "Bearer forged"}), 401)


def test_disabled_users_tokens_and_sessions_stop_working(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager")
    token = _token(app, "mo")
    login(client, "mo")
    with app.app_context(), session_scope() as db:
        find_user(db, "mo").disabled = True
    _assert_problem(client.get("/t/api", headers={"Authorization": f"Bearer {token}"}), 401)
    assert client.get("/t/any").status_code == 302
    assert login(app.test_client(), "mo").status_code == 401


def test_api_refuses_accounts_that_must_change_their_password(app: Flask, client: FlaskClient) -> None:
    add_user(app, "mo", "manager", must_change=True)
    _assert_problem(client.get("/t/api/any", headers={"Authorization": f"Bearer {_token(app, 'mo')}"}), 403)


# --- first start ------------------------------------------------------------------------


def test_first_start_creates_admin_prints_password_once_and_forces_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(tmp_path, BOOTSTRAP_ADMIN=True)
    printed = capsys.readouterr().err
    passwords = re.findall(r"^    (\S+)$", printed, re.M)
    assert len(passwords) == 1
    password = passwords[0]
    assert len(password) >= 16 and "admin" in printed
    make_app(tmp_path, BOOTSTRAP_ADMIN=True)  # second start: no new admin, password not shown again
    again = capsys.readouterr().err
    assert password not in again and "reset-password admin" in again
    with app.app_context(), session_scope() as db:
        assert [u.name for u in db.scalars(select(User))] == ["admin"]

    client = app.test_client()
    response = login(client, "admin", password)
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/password")
    for url in ("/", "/admin/users", "/t/any"):
        assert client.get(url).headers.get("Location", "").startswith("/account/password"), url
    short = post(client, "/account/password", current_password=password, new_password="short", confirm_password="short")
    assert short.status_code == 400
    new = "my own long passphrase"
    done = post(client, "/account/password", current_password=password, new_password=new, confirm_password=new)
    assert done.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert user_row(app, "admin").must_change_password is False


def test_first_start_passwords_differ_and_no_admin_when_testing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in "abc":
        (tmp_path / name).mkdir()
    make_app(tmp_path / "a", BOOTSTRAP_ADMIN=True)
    make_app(tmp_path / "b", BOOTSTRAP_ADMIN=True)
    first, second = re.findall(r"^    (\S+)$", capsys.readouterr().err, re.M)
    assert first != second  # never a fixed default
    app = make_app(tmp_path / "c")  # TESTING without BOOTSTRAP_ADMIN: no admin made
    with app.app_context(), session_scope() as db:
        assert db.scalars(select(User)).all() == []


# --- users CLI --------------------------------------------------------------------------


def _cli(app: Flask, *args: str, input: str | None = None):
    return CliRunner().invoke(users, list(args), obj={"app_factory": lambda: app}, input=input)


def test_users_cli_add_list_token_reset(app: Flask, client: FlaskClient) -> None:
    added = _cli(app, "add", "bob", "--role", "manager")
    assert added.exit_code == 0, added.output
    password = added.output.strip().splitlines()[-1]
    assert login(client, "bob", password).headers["Location"].startswith("/account/password")

    assert _cli(app, "add", "bob", "--role", "officer").exit_code == 2  # taken
    assert _cli(app, "add", "carol", "--role", "chief").exit_code == 2
    assert _cli(app, "add", "bad name", "--role", "officer").exit_code == 2
    stdin = _cli(app, "add", "carol", "--role", "officer", "--password-stdin", input="carols passphrase\n")
    assert stdin.exit_code == 0 and "carols passphrase" not in stdin.output
    assert login(app.test_client(), "carol", "carols passphrase").headers["Location"] == "/officer"
    assert _cli(app, "add", "dan", "--role", "officer", "--password-stdin", input="short\n").exit_code == 2

    listed = _cli(app, "list")
    assert listed.exit_code == 0 and "bob" in listed.output and "carol" in listed.output
    assert password not in listed.output
    as_json = _cli(app, "list", "--json")
    assert {r["name"]: r["role"] for r in json.loads(as_json.output)} == {"bob": "manager", "carol": "officer"}

    token = _cli(app, "token", "carol").output.strip()
    response = client.get("/t/api/any", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json() == {"user": "carol"}
    assert _cli(app, "token", "nobody").exit_code == 2

    reset = _cli(app, "reset-password", "carol")
    assert reset.exit_code == 0
    assert login(app.test_client(), "carol", "carols passphrase").status_code == 401
    new = reset.output.strip().splitlines()[-1]
    assert login(app.test_client(), "carol", new).headers["Location"].startswith("/account/password")


def test_users_cli_uses_the_apps_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    app = make_app(tmp_path, DATABASE_URL=url)
    result = CliRunner().invoke(
        users, ["add", "erin", "--role", "officer"], obj={"app_factory": lambda: make_app(tmp_path, DATABASE_URL=url)}
    )
    assert result.exit_code == 0
    assert user_row(app, "erin").role == "officer"


# --- admin pages ------------------------------------------------------------------------


def test_admin_pages_add_role_reset_disable(app: Flask, client: FlaskClient) -> None:
    root = add_user(app, "root", "admin")
    login(client, "root")
    page = client.get("/admin/users")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"

    added = post(client, "/admin/users", name="fay", role="officer")
    assert added.status_code == 201
    password = re.search(r'ga-one-time-password">([^<]+)<', added.get_data(as_text=True)).group(1)
    assert login(app.test_client(), "fay", password).status_code == 302
    assert post(client, "/admin/users", name="fay", role="officer").status_code == 400
    assert post(client, "/admin/users", name="gus", role="emperor").status_code == 400

    fay = user_row(app, "fay").id
    assert post(client, f"/admin/users/{fay}/role", role="manager").status_code == 303
    assert user_row(app, "fay").role == "manager"
    assert post(client, f"/admin/users/{fay}/role", role="nope").status_code == 400

    reset = post(client, f"/admin/users/{fay}/reset")
    new = re.search(r'ga-one-time-password">([^<]+)<', reset.get_data(as_text=True)).group(1)
    assert new != password and user_row(app, "fay").must_change_password

    assert post(client, f"/admin/users/{fay}/disable").status_code == 303
    assert login(app.test_client(), "fay", new).status_code == 401
    assert post(client, f"/admin/users/{fay}/disable", disabled="0").status_code == 303
    assert login(app.test_client(), "fay", new).status_code == 302

    assert post(client, f"/admin/users/{root}/disable").status_code == 400  # not oneself
    assert post(client, f"/admin/users/{root}/role", role="officer").status_code == 400  # the last admin
    assert post(client, "/admin/users/999/reset").status_code == 404


def test_admin_pages_refuse_other_roles(app: Flask) -> None:
    add_user(app, "mo", "manager")
    target = add_user(app, "olive", "officer")
    client = app.test_client()
    login(client, "mo")
    for url in (
        "/admin/users",
        f"/admin/users/{target}/role",
        f"/admin/users/{target}/reset",
        f"/admin/users/{target}/disable",
    ):
        response = client.get(url) if url == "/admin/users" else post(client, url, role="admin")
        assert response.status_code == 403, url
    assert user_row(app, "olive").role == "officer"
