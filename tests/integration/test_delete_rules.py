"""The delete page says what depends on a row; a delete that something blocks changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.admin_pages import budget_table, html  # noqa: F401 (fixtures)
from flask.testing import FlaskClient

ReadBack = Callable[..., Any]


def ids(read_back: ReadBack) -> dict[str, int]:
    """The keys of the seeded rows the tests delete."""
    return {
        "food": read_back("SELECT id FROM categories WHERE name = 'Food'"),
        "alice": read_back("SELECT id FROM users WHERE email = 'alice@example.com'"),
        "preventers": read_back("SELECT id FROM team WHERE name = 'Preventers'"),
        "ann": read_back("SELECT id FROM employee WHERE name = 'Ann'"),
        "bob": read_back("SELECT id FROM employee WHERE name = 'Bob'"),
    }


def dependents(html: Any, client: FlaskClient, url: str) -> dict[str, tuple[str | None, str]]:
    """Per referencing table on the confirmation page: its action and its text."""
    response = client.get(url)
    assert response.status_code == 200
    shown = html(response)
    assert shown.one("confirm-delete").text == "Delete"
    return {
        (e.attrs.get("data-testid") or "").removeprefix("dependent-"): (e.attrs.get("data-action"), e.text)
        for e in shown.elements
        if (e.attrs.get("data-testid") or "").startswith("dependent-")
    }


def test_confirmation_lists_rows_that_block(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    key = ids(read_back)
    found = dependents(html, client, f"/admin/categories/{key['food']}/delete")
    assert list(found) == ["expenses"]
    action, words = found["expenses"]
    assert action == "block" and words.startswith("1 ")

    found = dependents(html, client, f"/admin/users/{key['alice']}/delete")
    assert list(found) == ["expenses"] and found["expenses"][0] == "block"


def test_confirmation_lists_rows_that_go_with_it(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    found = dependents(html, client, f"/admin/employee/{ids(read_back)['ann']}/delete")
    assert list(found) == ["shifts"]
    action, words = found["shifts"]
    assert action == "cascade" and words.startswith("1 ")


def test_confirmation_lists_rows_set_to_null(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    found = dependents(html, client, f"/admin/team/{ids(read_back)['preventers']}/delete")
    assert list(found) == ["hero"]
    action, words = found["hero"]
    assert action == "set null" and words.startswith("1 ")


def test_confirmation_of_a_row_nothing_refers_to(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.get(f"/admin/employee/{ids(read_back)['bob']}/delete")
    shown = html(response)
    assert shown.all("no-dependents") and not shown.all("dependents")


@pytest.mark.parametrize(
    ("expenses", "sentence"),
    [
        (1, "Cannot delete category “Food”: 1 expense refers to it."),
        (3, "Cannot delete category “Food”: 3 expenses refer to it."),
    ],
)
def test_a_blocked_delete_is_refused_and_changes_nothing(
    client: FlaskClient, html: Any, read_back: ReadBack, expenses: int, sentence: str
) -> None:
    key = ids(read_back)
    for number in range(expenses - 1):
        data = {"user_id": str(key["alice"]), "category_id": str(key["food"]), "description": f"Extra {number}",
                "amount": "1", "date": "2024-01-01"}
        assert client.post("/admin/expenses/new", data=data).status_code == 303

    response = client.post(f"/admin/categories/{key['food']}/delete")

    assert response.status_code == 409
    shown = html(response)
    assert shown.errors() == [sentence]
    assert shown.one("flash-error").attrs.get("role") == "alert"
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=key["food"]) == 1
    assert read_back("SELECT count(*) FROM expenses WHERE category_id = :id", id=key["food"]) == expenses
    # The next request works: the expense goes, then the category can.
    assert client.post("/admin/expenses/new", data={}).status_code == 422
    for expense in range(expenses):
        row = read_back("SELECT min(id) FROM expenses WHERE category_id = :id", id=key["food"])
        assert client.post(f"/admin/expenses/{row}/delete").status_code == 303
    assert client.post(f"/admin/categories/{key['food']}/delete").status_code == 303
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=key["food"]) == 0


def test_delete_sets_references_to_null(client: FlaskClient, read_back: ReadBack) -> None:
    key = ids(read_back)
    response = client.post(f"/admin/team/{key['preventers']}/delete")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/team/"
    assert read_back("SELECT count(*) FROM team WHERE id = :id", id=key["preventers"]) == 0
    assert read_back("SELECT team_id FROM hero WHERE name = 'Rusty-Man'") is None
    assert read_back("SELECT count(*) FROM hero") == 3


def test_delete_takes_dependent_rows_with_it(client: FlaskClient, read_back: ReadBack) -> None:
    key = ids(read_back)
    response = client.post(f"/admin/employee/{key['ann']}/delete")
    assert response.status_code == 303
    assert read_back("SELECT count(*) FROM employee WHERE id = :id", id=key["ann"]) == 0
    assert read_back("SELECT count(*) FROM shifts WHERE employee_id = :id", id=key["ann"]) == 0
    assert read_back("SELECT count(*) FROM employee") == 1


def test_a_reference_only_the_database_knows_blocks_the_delete(
    client: FlaskClient, html: Any, read_back: ReadBack, budget_table: Callable[..., None]
) -> None:
    assert client.post("/admin/categories/new", data={"name": "Travel"}).status_code == 303
    travel = read_back("SELECT id FROM categories WHERE name = 'Travel'")
    budget_table(travel)

    response = client.post(f"/admin/categories/{travel}/delete")

    assert response.status_code == 409
    assert html(response).errors() == ["Cannot delete category “Travel”: rows of another table refer to it."]
    assert read_back("SELECT count(*) FROM categories WHERE id = :id", id=travel) == 1
    assert client.post("/admin/categories/new", data={"name": "Next"}).status_code == 303


def test_delete_of_an_unknown_key_is_404(client: FlaskClient, read_back: ReadBack) -> None:
    assert client.get("/admin/categories/9999/delete").status_code == 404
    assert client.post("/admin/categories/9999/delete").status_code == 404
    assert client.post(f"/admin/hero/{2**63}/delete").status_code == 404
    assert read_back("SELECT count(*) FROM categories") == 1
