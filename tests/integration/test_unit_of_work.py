"""Each request is one transaction: a failure anywhere, even at COMMIT, leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.admin_pages import budget_table, html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from webapp.extensions import db

ReadBack = Callable[..., Any]
REFUSED = "Cannot delete category “Travel”: rows of another table refer to it."


@pytest.fixture
def travel(client: FlaskClient, read_back: ReadBack) -> int:
    """A category nothing the admin knows refers to."""
    assert client.post("/admin/categories/new", data={"name": "Travel"}).status_code == 303
    return int(read_back("SELECT id FROM categories WHERE name = 'Travel'"))


@pytest.fixture
def deferred_foreign_keys(app: Flask, backend: str) -> Iterator[None]:
    """Make SQLite check every foreign key at COMMIT instead of at each statement."""
    if backend != "sqlite":
        pytest.skip("PRAGMA defer_foreign_keys is SQLite's; other backends declare a key deferred")
    with app.app_context():
        engine = db.engine

    def defer(connection: Any) -> None:
        # Runs after the app's own "begin" listener, inside the transaction it opened;
        # SQLite turns the pragma off again at the end of every transaction.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")

    event.listen(engine, "begin", defer)
    yield
    event.remove(engine, "begin", defer)


def assert_not_saved(html: Any, response: Any, sentence: str) -> None:
    """A 409 error page that explains, never the success page or its message."""
    assert response.status_code == 409
    shown = html(response)
    assert shown.one("error-page").attrs.get("data-status") == "409"
    assert shown.text("error-message") == sentence
    assert shown.errors() == [f"Nothing was saved. {sentence}"]
    assert not shown.successes()
    assert "Location" not in response.headers


def test_a_rule_checked_at_commit_is_explained_and_rolled_back(
    client: FlaskClient, html: Any, read_back: ReadBack, backend: str, travel: int, budget_table: Callable[..., None]
) -> None:
    if backend == "mariadb":
        pytest.skip("MariaDB cannot defer a foreign key to COMMIT")
    budget_table(travel, deferred=True)

    response = client.post(f"/admin/categories/{travel}/delete")

    assert_not_saved(html, response, REFUSED)
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=travel) == 1
    # The success message queued for the delete that did not happen is gone for good too.
    assert not html(client.get("/admin/categories/")).successes()
    assert client.post("/admin/categories/new", data={"name": "Next"}).status_code == 303


@pytest.mark.usefixtures("deferred_foreign_keys")
def test_sqlite_deferred_foreign_keys_fail_at_commit(
    client: FlaskClient, html: Any, read_back: ReadBack, travel: int, budget_table: Callable[..., None]
) -> None:
    budget_table(travel)

    response = client.post(f"/admin/categories/{travel}/delete")

    assert_not_saved(html, response, REFUSED)
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=travel) == 1
    assert read_back("SELECT count(*) FROM budget") == 1
    assert client.post("/admin/categories/new", data={"name": "Next"}).status_code == 303


@pytest.mark.usefixtures("deferred_foreign_keys")
def test_a_change_that_passes_at_commit_is_saved(client: FlaskClient, read_back: ReadBack, travel: int) -> None:
    # The deferral itself breaks nothing: a delete nothing refers to commits as usual.
    response = client.post(f"/admin/categories/{travel}/delete")
    assert response.status_code == 303
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=travel) == 0


def test_a_refusal_never_shows_the_database_words(client: FlaskClient, read_back: ReadBack) -> None:
    user = read_back("SELECT id FROM users")
    food = read_back("SELECT id FROM categories")
    data = {"user_id": str(user), "category_id": str(food), "description": "Secret", "amount": "-5",
            "date": "2024-01-01"}
    response = client.post("/admin/expenses/new", data=data)
    assert response.status_code == 409
    body = response.get_data(as_text=True).lower()
    for leak in ("insert", "constraint failed", "integrityerror", "sqlalche.me", "ck_expenses", "violates"):
        assert leak not in body


def test_a_refused_flush_leaves_the_session_usable(client: FlaskClient, read_back: ReadBack) -> None:
    # The check on amounts lives only in the database, so each of these fails at the flush.
    data = {"user_id": str(read_back("SELECT id FROM users")), "category_id": str(read_back("SELECT id FROM categories")),
            "description": "Refund", "amount": "-5", "date": "2024-01-01"}
    for _ in range(10):
        assert client.post("/admin/expenses/new", data=data).status_code == 409
        assert client.get("/admin/expenses/").status_code == 200
    assert client.post("/admin/expenses/new", data={**data, "amount": "5"}).status_code == 303
    assert read_back("SELECT count(*) FROM expenses WHERE description = 'Refund'") == 1


def test_a_validation_failure_writes_nothing_it_did_before_failing(
    client: FlaskClient, read_back: ReadBack
) -> None:
    # A whole form is refused when one field is wrong: the good fields are not saved either.
    team = read_back("SELECT id FROM team WHERE name = 'Preventers'")
    response = client.post(f"/admin/team/{team}/edit", data={"name": "Renamed", "headquarters": "x" * 201})
    assert response.status_code == 422
    assert read_back("SELECT name FROM team WHERE id = :id", id=team) == "Preventers"
