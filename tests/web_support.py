"""What the web tests share: signing a test client in, and reading a page's CSRF token."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "a long enough password 1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(app: Flask, name: str, password: str = PASSWORD) -> FlaskClient:
    """A test client signed in as ``name``."""
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def csrf_of(client: FlaskClient, url: str) -> str:
    """The CSRF token in the form of the page at ``url``."""
    return CSRF.search(client.get(url).get_data(as_text=True)).group(1)
