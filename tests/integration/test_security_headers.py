"""Security headers on every registered route, on static files and on every error page."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.test import TestResponse

from webapp.admin import keys, site
from webapp.extensions import db
from webapp.models import Account

PASSWORDS = {"admin": "admin-password", "editor": "editor-password", "viewer": "viewer-password"}  # as conftest
LEAKS = ("Traceback", "SELECT ", "INSERT ", "UPDATE ", "sqlalchemy", "psycopg", "pymysql", "sqlite3", "[parameters")


def assert_secured(response: TestResponse, what: str) -> None:
    """The headers every response must carry."""
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, what
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), what


def assert_error_page(response: TestResponse, status: int) -> None:
    """An error in the admin's look: its status, a sentence, the stylesheet; no internals."""
    assert response.status_code == status
    assert_secured(response, f"the {status} page")
    page = response.get_data(as_text=True)
    assert "/static/admin.css" in page
    assert 'data-testid="error-page"' in page or 'data-testid="flash-error"' in page or "aria-invalid" in page
    for leak in LEAKS:
        assert leak not in page, f"the {status} page shows {leak!r}"


def url_for_rule(app: Flask, endpoint: str, arguments: set[str], slug: str = "hero") -> str:
    """A URL naming real rows for every argument a rule takes."""
    with app.test_request_context():
        args: dict[str, Any] = {}
        if "key" in arguments:
            entry = app.extensions[site.EXTENSION][slug if "slug" in arguments else endpoint[5:].split(".")[0]]
            args["key"] = keys.encode(entry.key_values(db.session.scalars(select(entry.model).limit(1)).first()))
        if "slug" in arguments:
            args["slug"] = slug
        if "token" in arguments:
            args["token"] = "no-such-import"
        if "account_id" in arguments:
            args["account_id"] = db.session.scalar(select(Account.id).where(Account.name == "viewer"))
        if "filename" in arguments:
            args["filename"] = "admin.css"
        url = url_for(endpoint, **args)
        db.session.remove()
    return url


def test_every_registered_route_sends_the_headers(app: Flask, admin_client: Any) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        url = url_for_rule(app, rule.endpoint, set(rule.arguments))
        method = "GET" if "GET" in rule.methods else "POST"
        with admin_client.open(url, method=method) as response:
            assert response.status_code < 500, url
            assert_secured(response, f"{method} {url}")
            if rule.endpoint != "static":
                assert response.headers.get("Cache-Control") == "no-store", url
        checked += 1
    assert checked >= 40


def test_the_signed_out_pages_send_the_headers_too(anonymous_client: Any) -> None:
    for url in ("/login", "/admin/", "/healthz", "/static/admin.css", "/static/missing.css", "/nowhere"):
        with anonymous_client.get(url) as response:
            assert_secured(response, url)


def test_400(client: Any) -> None:
    assert_error_page(client.get("/admin/hero/?page=zero"), 400)


def test_400_for_a_missing_csrf_token(app: Flask, client: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    assert_error_page(client.post("/admin/team/new", data={"name": "x"}), 400)


def test_403(viewer_client: Any) -> None:
    assert_error_page(viewer_client.post("/admin/team/new", data={"name": "x"}), 403)


def test_404(client: Any) -> None:
    assert_error_page(client.get("/admin/no-such-table/"), 404)
    assert_error_page(client.get("/admin/hero/999999/"), 404)


def test_409(client: Any) -> None:
    assert_error_page(client.post("/admin/team/new", data={"name": "Preventers", "headquarters": "x"}), 409)


def test_422(client: Any) -> None:
    assert_error_page(client.post("/admin/team/new", data={"name": "", "headquarters": ""}), 422)


def test_429(anonymous_client: Any) -> None:
    for _ in range(5):
        anonymous_client.post("/login", data={"name": "editor", "password": "wrong-password"})
    assert_error_page(anonymous_client.post("/login", data={"name": "editor", "password": "x"}), 429)


def test_500(app: Flask, client_as: Any) -> None:
    def broken() -> str:
        raise RuntimeError("SELECT secret FROM internals -- a bug")

    app.add_url_rule("/admin/-/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer like production, not raise into the test
    assert_error_page(client_as("viewer").get("/admin/-/broken"), 500)


def test_503_when_the_database_does_not_answer(app_with: Any, tmp_path: Any) -> None:
    down = app_with(reset=False, DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'nowhere.sqlite'}")
    response = down.test_client().post("/login", data={"name": "editor", "password": PASSWORDS["editor"]})
    assert_error_page(response, 503)
