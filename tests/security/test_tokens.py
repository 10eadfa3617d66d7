"""API tokens are listed and revocable: the CLI's --list never prints a token, a revoked token is refused,
and only admins can revoke from the users page (a POST with the CSRF token)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select
from web_support import add_user, app_for_tests, page_csrf, signed_in, token_for

from geoaccess.cli.users import users
from geoaccess.errors import BadInput
from geoaccess.web import background
from geoaccess.web.db import ApiToken, User, session_scope, utcnow
from geoaccess.web.users import MOST_TOKEN_DAYS, find_user, issue_token

API = "/api/v1/venues"


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Flask]:
    app = app_for_tests(tmp_path, {}, VENUE_LOADER=list)
    yield app
    background.shutdown(app)


def token_ids(app: Flask, name: str) -> list[int]:
    with app.app_context(), session_scope() as db:
        query = select(ApiToken.id).join(User, User.id == ApiToken.user_id).where(User.name == name)
        return list(db.scalars(query.order_by(ApiToken.id)).all())


def cli(app: Flask, *args: str) -> Result:
    return CliRunner().invoke(users, list(args), obj={"app_factory": lambda: app})


def bearer(app: Flask, token: str) -> int:
    return app.test_client().get(API, headers={"Authorization": f"Bearer {token}"}).status_code


def test_cli_revoked_token_is_refused_with_401_and_others_keep_working(app: Flask) -> None:
    add_user(app, "olive", "officer")
    issued = cli(app, "token", "olive")
    assert issued.exit_code == 0, issued.output
    first = issued.output.strip()
    second = token_for(app, "olive")
    assert bearer(app, first) == 200 and bearer(app, second) == 200
    first_id = token_ids(app, "olive")[0]
    revoked = cli(app, "token", "olive", "--revoke", str(first_id))
    assert revoked.exit_code == 0, revoked.output
    assert bearer(app, first) == 401
    assert bearer(app, second) == 200
    again = cli(app, "token", "olive", "--revoke", str(first_id))
    assert again.exit_code != 0 and "no API token" in again.output


def test_cli_revoke_all_refuses_every_token_of_that_user_only(app: Flask) -> None:
    add_user(app, "olive", "officer")
    add_user(app, "oscar", "officer")
    olives = [token_for(app, "olive"), token_for(app, "olive")]
    oscars = token_for(app, "oscar")
    result = cli(app, "token", "olive", "--revoke-all")
    assert result.exit_code == 0 and "revoked 2" in result.output
    assert [bearer(app, t) for t in olives] == [401, 401]
    assert bearer(app, oscars) == 200


def test_cli_cannot_revoke_another_users_token(app: Flask) -> None:
    add_user(app, "olive", "officer")
    add_user(app, "oscar", "officer")
    oscars = token_for(app, "oscar")
    result = cli(app, "token", "olive", "--revoke", str(token_ids(app, "oscar")[0]))
    assert result.exit_code != 0 and "olive has no API token" in result.output
    assert bearer(app, oscars) == 200


def test_cli_list_shows_ids_and_hash_endings_but_never_a_token(app: Flask) -> None:
    add_user(app, "olive", "officer")
    tokens = [token_for(app, "olive"), token_for(app, "olive")]
    result = cli(app, "token", "olive", "--list")
    assert result.exit_code == 0, result.output
    for token in tokens:
        assert token not in result.output
        assert token[3:] not in result.output and token[-8:] not in result.output
    assert "ga_" not in result.output
    lines = result.output.strip().splitlines()
    assert [int(line.split()[0]) for line in lines] == token_ids(app, "olive")
    with app.app_context(), session_scope() as db:
        hashes = db.scalars(select(ApiToken.token_hash).order_by(ApiToken.id)).all()
    assert all(h[-4:] in line for h, line in zip(hashes, lines, strict=True))
    assert all(h not in result.output for h in hashes)  # not even the whole hash
    assert len(token_ids(app, "olive")) == 2  # listing issues nothing


def test_admin_page_lists_tokens_and_revoke_refuses_the_token(app: Flask) -> None:
    add_user(app, "root", "admin")
    add_user(app, "olive", "officer")
    token = token_for(app, "olive")
    olive_id = find_id(app, "olive")
    token_id = token_ids(app, "olive")[0]
    client = signed_in(app, "root")
    page = client.get("/admin/users").get_data(as_text=True)
    url = f"/admin/users/{olive_id}/tokens/{token_id}/revoke"
    assert url in page and token not in page
    assert client.post(url).status_code == 400  # no CSRF token
    assert bearer(app, token) == 200
    response = client.post(url, data={"csrf_token": page_csrf(client)})
    assert response.status_code == 303
    assert bearer(app, token) == 401
    assert url not in client.get("/admin/users").get_data(as_text=True)


def find_id(app: Flask, name: str) -> int:
    with app.app_context(), session_scope() as db:
        user = find_user(db, name)
        assert user is not None
        return user.id


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_only_admins_can_revoke_from_the_users_page(app: Flask, role: str) -> None:
    add_user(app, "someone", role)
    olive_id = add_user(app, "olive", "officer")
    token = token_for(app, "olive")
    url = f"/admin/users/{olive_id}/tokens/{token_ids(app, 'olive')[0]}/revoke"
    anonymous = app.test_client()
    response = anonymous.post(url, data={"csrf_token": page_csrf(anonymous)})
    assert response.status_code in (302, 401, 403)
    client = signed_in(app, "someone")
    assert client.post(url, data={"csrf_token": page_csrf(client)}).status_code == 403
    bearer_post = app.test_client().post(url, headers={"Authorization": f"Bearer {token_for(app, 'someone')}"})
    assert bearer_post.status_code in (302, 400, 401, 403)
    assert bearer(app, token) == 200
    assert len(token_ids(app, "olive")) == 1


def test_an_expired_token_is_refused_and_a_current_one_works(app: Flask) -> None:
    add_user(app, "erin", "officer")
    with app.app_context(), session_scope() as db:
        user = find_user(db, "erin")
        assert user is not None
        lasting, expiring = issue_token(db, user, days=30), issue_token(db, user, days=1)
        row = db.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        assert row is not None and row.expires is not None
        row.expires = utcnow() - dt.timedelta(seconds=1)
    client = app.test_client()
    assert client.get("/api/v1/venues", headers={"Authorization": f"Bearer {lasting}"}).status_code == 200
    assert client.get("/api/v1/venues", headers={"Authorization": f"Bearer {expiring}"}).status_code == 401


def test_a_token_lasts_from_one_day_to_ten_years(app: Flask) -> None:
    add_user(app, "erin", "officer")
    with app.app_context(), session_scope() as db:
        user = find_user(db, "erin")
        assert user is not None
        for days in (0, -1, MOST_TOKEN_DAYS + 1):
            with pytest.raises(BadInput):
                issue_token(db, user, days=days)
    refused = cli(app, "token", "erin", "--days", "0")
    assert refused.exit_code == 2 and "from 1 to" in refused.output
    issued = cli(app, "token", "erin", "--days", "7")
    assert issued.exit_code == 0 and issued.output.strip().startswith("ga_")
