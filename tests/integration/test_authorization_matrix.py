"""Every role × every page and action × every registered model, built from the app's own routes."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from werkzeug.routing import Rule

from webapp.admin import keys, site
from webapp.extensions import db
from webapp.models import Account, Base
from webapp.models import admin as demo_admin

SLUGS = sorted(model.__table__.name for model in demo_admin.MODELS)
PUBLIC = {"login", "logout", "static", "healthz"}
ROLES_AND_ANONYMOUS = ["anonymous", "viewer", "editor", "admin"]
SAFE = {"GET", "HEAD", "OPTIONS"}
WRITE_PAGES = ("create", "edit", "delete", "import")


class Expect(enum.Enum):
    """What a request should get."""

    SIGN_IN = "a redirect to the sign-in page"
    FORBIDDEN = "403, nothing written"
    ALLOWED = "anything but 403 or a redirect to sign in"


def expected(role: str, endpoint: str, method: str) -> Expect:
    """The expected outcome, from the issue's roles: viewer reads, editor writes, admin manages accounts."""
    if role == "anonymous":
        return Expect.SIGN_IN
    if endpoint.startswith("accounts."):
        return Expect.ALLOWED if role == "admin" else Expect.FORBIDDEN
    if endpoint == "password":
        return Expect.ALLOWED  # everyone may change their own password
    writes = method not in SAFE or endpoint.rpartition(".")[2].startswith(WRITE_PAGES)
    return Expect.FORBIDDEN if writes and role == "viewer" else Expect.ALLOWED


@pytest.fixture
def dump(database_url: str) -> Iterator[Callable[[], dict[str, list[tuple[Any, ...]]]]]:
    """Every row of every table, read on a fresh connection: what a forbidden request must not change."""
    engine = create_engine(database_url)

    def read() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as connection:
            return {
                table.name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables
            }

    yield read
    engine.dispose()


def url_of(app: Flask, rule: Rule, slug: str | None) -> str:
    """A URL for ``rule`` that names a real row (or account) where it takes one."""
    with app.test_request_context():
        args: dict[str, Any] = {}
        if "key" in rule.arguments:
            entry = app.extensions[site.EXTENSION][slug]
            row = db.session.scalars(select(entry.model).limit(1)).first()
            args["key"] = keys.encode(entry.key_values(row))
        if "slug" in rule.arguments:
            args["slug"] = slug
        if "token" in rule.arguments:
            args["token"] = "no-such-import"
        if "account_id" in rule.arguments:
            args["account_id"] = db.session.scalar(select(Account.id).where(Account.name == "viewer"))
        if "filename" in rule.arguments:
            args["filename"] = "admin.css"
        url = url_for(rule.endpoint, **args)
        db.session.remove()
    return url


def rules_for(app: Flask, slug: str | None) -> list[Rule]:
    """The rules of one table's pages (``slug``), or of every page that is not a table's."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        table_rule = rule.endpoint.startswith(f"crud_{slug}.") or rule.endpoint == "audit.history"
        other_rule = not rule.endpoint.startswith("crud_") and rule.endpoint != "audit.history"
        if (slug is not None and table_rule) or (slug is None and other_rule):
            found.append(rule)
    # Deleting comes last, so every other page still finds the row it names.
    return sorted(found, key=lambda rule: (rule.endpoint.endswith("delete"), rule.rule))


def check(app: Flask, client: FlaskClient, role: str, rules: list[Rule], slug: str | None, dump: Any) -> list[str]:
    """Request every rule with every method as ``role``; return what broke the rules."""
    wrong = []
    for rule in rules:
        url = url_of(app, rule, slug)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            want = expected(role, rule.endpoint, method)
            before = dump() if want is not Expect.ALLOWED else None
            response = client.open(url, method=method, data={})
            problem = judge(want, response.status_code, response.headers.get("Location", ""))
            if before is not None and dump() != before:
                problem = (problem or "") + " and it wrote to the database"
            if problem:
                wrong.append(f"{role} {method} {url} ({rule.endpoint}): {problem}")
    return wrong


def judge(want: Expect, status: int, location: str) -> str | None:
    """Why a response does not match ``want``, or None."""
    if status >= 500:
        return f"answered {status}"
    if want is Expect.SIGN_IN:
        ok = status in (302, 303) and re.search(r"/login(\?|$)", location)
        return None if ok else f"answered {status}, not a redirect to the sign-in page"
    if want is Expect.FORBIDDEN:
        return None if status == 403 else f"answered {status}, not 403"
    if status == 403 or "/login" in location:
        return f"answered {status} {location}, but the role may do this"
    return None


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
def test_every_page_of_every_table(app: Flask, client_as: Any, dump: Any, role: str, slug: str) -> None:
    rules = rules_for(app, slug)
    assert {rule.endpoint.rpartition(".")[2] for rule in rules} >= {"index", "detail", "create", "edit", "delete"}
    assert check(app, client_as(role), role, rules, slug, dump) == []


@pytest.mark.parametrize("role", ROLES_AND_ANONYMOUS)
def test_every_page_that_is_not_a_table(app: Flask, client_as: Any, dump: Any, role: str) -> None:
    rules = rules_for(app, None)
    assert {"admin.index", "audit.changes", "accounts.index", "accounts.create"} <= {r.endpoint for r in rules}
    assert check(app, client_as(role), role, rules, None, dump) == []


def test_the_matrix_covers_every_registered_table(app: Flask) -> None:
    assert sorted(app.extensions[site.EXTENSION]) == SLUGS


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_links_to_forbidden_actions_are_not_shown(client_as: Any, role: str) -> None:
    client = client_as(role)
    pages = [client.get(url).get_data(as_text=True) for url in ("/admin/", "/admin/hero/", "/admin/hero/1/")]
    writes = role != "viewer"
    for hook in ("action-create", "action-edit", "action-delete"):
        assert any(f'data-testid="{hook}' in page for page in pages) is writes, hook
    assert ('data-testid="nav-accounts"' in pages[0]) is (role == "admin")
    assert 'data-testid="action-history"' in pages[2]


def test_a_viewer_post_is_refused_with_a_sentence(client_as: Any, read_back: Any) -> None:
    response = client_as("viewer").post("/admin/hero/new", data={"name": "X", "secret_name": "Y"})
    assert response.status_code == 403
    assert "does not allow this" in response.get_data(as_text=True)
    assert read_back("SELECT COUNT(*) FROM hero WHERE name = 'X'") == 0


def test_a_role_change_applies_to_the_next_request(client_as: Any, database_url: str) -> None:
    client = client_as("editor")
    assert client.get("/admin/hero/new").status_code == 200
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE accounts SET role = 'viewer' WHERE name = 'editor'"))
    engine.dispose()
    assert client.get("/admin/hero/new").status_code == 403
