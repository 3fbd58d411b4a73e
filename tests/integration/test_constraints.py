"""Every kind of rule gives its sentence and status, next to its field, and leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.test import TestResponse

from webapp.extensions import db

ReadBack = Callable[..., Any]

SUMMARY = "Nothing was saved. Correct the fields marked below."
HERO = {"name": "Tarantula", "secret_name": "Natalia", "age": "", "team_id": ""}
SHIFT = {"weekday": "tuesday", "starts_at": "09:00", "ends_at": "17:00", "hourly_rate": ""}


def refused(html: Any, response: TestResponse, status: int, field: str | None, sentence: str) -> None:
    """Assert the status, the sentence next to ``field`` and in an alert, and the field's markup.

    A value the form refuses (422) is explained at its field, and the alert says to look
    there; a conflict with the database (409) is explained in the alert too.
    """
    shown = html(response)
    assert response.status_code == status, shown.errors()
    assert (sentence if status == 409 else SUMMARY) in shown.errors()
    for flash in shown.all("flash-error"):
        assert flash.attrs.get("role") == "alert"
    if field is not None:
        error = shown.one(f"error-{field}")
        assert error.text == sentence
        control = shown.control(field)
        assert control.attrs.get("aria-invalid") == "true"
        assert control.attrs.get("aria-describedby") == error.attrs.get("id")
        assert shown.by_id(control.attrs["aria-describedby"] or "") is error
        assert error.inside(shown.one(f"field-{field}"))  # next to its input, in the same field


@pytest.fixture
def still_works(client: FlaskClient, read_back: ReadBack) -> Iterator[None]:
    """After the test's refusals, the next request on the same client saves normally."""
    yield
    response = client.post("/admin/categories/new", data={"name": "Next request"})
    assert response.status_code == 303
    assert read_back("SELECT count(*) FROM categories WHERE name = 'Next request'") == 1


@pytest.fixture
def employee(read_back: ReadBack) -> int:
    """Bob, who has no shifts yet."""
    return int(read_back("SELECT id FROM employee WHERE name = 'Bob'"))


# --- unique ---------------------------------------------------------------------------


@pytest.mark.usefixtures("still_works")
def test_unique_column(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/team/new", data={"name": "Preventers", "headquarters": "Elsewhere"})
    refused(html, response, 409, "name", "A team with name “Preventers” already exists.")
    assert read_back("SELECT count(*) FROM team") == 2


@pytest.mark.usefixtures("still_works")
def test_composite_unique_constraint(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/hero/new", data={**HERO, "name": "Deadpond", "secret_name": "Dive Wilson"})
    refused(html, response, 409, "name", "A hero with name “Deadpond” and secret name “Dive Wilson” already exists.")
    assert read_back("SELECT count(*) FROM hero") == 3

    # Either half alone is fine.
    response = client.post("/admin/hero/new", data={**HERO, "name": "Deadpond", "secret_name": "Wade"})
    assert response.status_code == 303


@pytest.mark.usefixtures("still_works")
def test_unique_on_edit_leaves_the_row_as_it_was(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    user = read_back("SELECT id FROM users WHERE email = 'alice@example.com'")
    assert client.post("/admin/users/new", data={"email": "bob@example.com", "name": "Bob"}).status_code == 303
    bob = read_back("SELECT id FROM users WHERE email = 'bob@example.com'")
    response = client.post(f"/admin/users/{bob}/edit", data={"email": "alice@example.com", "name": "Bobby"})
    refused(html, response, 409, "email", "A user with email “alice@example.com” already exists.")
    assert read_back("SELECT name FROM users WHERE id = :id", id=bob) == "Bob"
    # Saving a row with its own unique value unchanged is not a duplicate of itself.
    response = client.post(f"/admin/users/{user}/edit", data={"email": "alice@example.com", "name": "Alice B"})
    assert response.status_code == 303


@pytest.mark.usefixtures("still_works")
def test_natural_primary_key_taken(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/userdata/new", data={"user_id": "Brad", "user_data": "again"})
    refused(html, response, 409, "user_id", "User data with user id “Brad” already exists.")
    assert read_back("SELECT user_data FROM userdata WHERE user_id = 'Brad'") == "Notes about Brad"


@pytest.mark.usefixtures("still_works")
def test_composite_primary_key_taken(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    ann = read_back("SELECT id FROM employee WHERE name = 'Ann'")
    data = {**SHIFT, "employee_id": str(ann), "weekday": "monday", "starts_at": "10:00", "ends_at": "12:00"}
    response = client.post("/admin/shifts/new", data=data)
    refused(html, response, 409, "employee_id", "A shift with employee “Ann” and weekday “Monday” already exists.")
    assert read_back("SELECT count(*) FROM shifts") == 1
    assert str(read_back("SELECT starts_at FROM shifts")).lstrip("0").startswith("9:00")  # the stored one stays


@pytest.fixture
def headquarters_unique(app: Flask) -> None:
    """A unique index the models do not declare: a rule that lives only in the database."""
    with app.app_context():
        db.session.execute(text("CREATE UNIQUE INDEX ux_team_headquarters ON team (headquarters)"))
        db.session.commit()
    # reset_database drops the table, and the index with it, before the next test.


@pytest.mark.usefixtures("headquarters_unique", "still_works")
def test_unique_found_by_the_database_is_a_conflict_too(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/team/new", data={"name": "Copycats", "headquarters": "Sharp Tower"})
    refused(html, response, 409, "headquarters", "A team with headquarters “Sharp Tower” already exists.")
    assert read_back("SELECT count(*) FROM team WHERE name = 'Copycats'") == 0


@pytest.fixture
def names_unique_ignoring_case(app: Flask, backend: str) -> None:
    """A unique index on an expression: the database names no column for it."""
    if backend == "mariadb":
        pytest.skip("MariaDB has no index on an expression")
    with app.app_context():
        db.session.execute(text("CREATE UNIQUE INDEX ux_team_name_lower ON team (lower(name))"))
        db.session.commit()


@pytest.mark.usefixtures("names_unique_ignoring_case", "still_works")
def test_unique_index_on_an_expression(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/team/new", data={"name": "preventers", "headquarters": "Elsewhere"})
    refused(html, response, 409, None, "A team with the same values already exists.")
    assert read_back("SELECT count(*) FROM team") == 2


# --- foreign key ----------------------------------------------------------------------


@pytest.mark.usefixtures("still_works")
def test_foreign_key_to_a_missing_row(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/hero/new", data={**HERO, "team_id": "9999"})
    refused(html, response, 409, "team_id", "Team 9999 does not exist.")
    assert read_back("SELECT count(*) FROM hero WHERE name = 'Tarantula'") == 0


@pytest.mark.usefixtures("still_works")
def test_every_missing_related_row_is_named(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    data = {"user_id": "9998", "category_id": "9999", "description": "Ghost", "amount": "1", "date": "2024-01-01"}
    response = client.post("/admin/expenses/new", data=data)
    refused(html, response, 409, "user_id", "User 9998 does not exist.")
    refused(html, response, 409, "category_id", "Category 9999 does not exist.")
    assert read_back("SELECT count(*) FROM expenses") == 1


@pytest.mark.usefixtures("still_works")
def test_foreign_key_is_a_choice_of_related_rows(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    form = html(client.get("/admin/expenses/new"))
    select = form.control("category_id")
    assert select.tag == "select"
    options = {e.attrs.get("value"): e.text for e in form.elements if e.tag == "option" and e.parent is select}
    food = read_back("SELECT id FROM categories WHERE name = 'Food'")
    assert options == {"": "Choose a category…", str(food): "Food"}
    label = next(e for e in form.elements if e.tag == "label" and e.attrs.get("for") == select.attrs.get("id"))
    assert label.text == "Category"
    shifts = html(client.get("/admin/shifts/new"))
    assert shifts.control("employee_id").tag == "select"
    assert "Choose an employee…" in [e.text for e in shifts.elements if e.tag == "option"]


# --- not null -------------------------------------------------------------------------


@pytest.mark.usefixtures("still_works")
@pytest.mark.parametrize("name", ["", "   "])
def test_not_null_without_default_is_required(client: FlaskClient, html: Any, read_back: ReadBack, name: str) -> None:
    response = client.post("/admin/hero/new", data={**HERO, "name": name})
    refused(html, response, 422, "name", "This field is required.")
    assert read_back("SELECT count(*) FROM hero") == 3


@pytest.mark.usefixtures("still_works")
def test_not_null_on_edit(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    team = read_back("SELECT id FROM team WHERE name = 'Preventers'")
    response = client.post(f"/admin/team/{team}/edit", data={"name": "Preventers", "headquarters": ""})
    refused(html, response, 422, "headquarters", "This field is required.")
    assert read_back("SELECT headquarters FROM team WHERE id = :id", id=team) == "Sharp Tower"


# --- check ----------------------------------------------------------------------------


@pytest.mark.usefixtures("still_works")
def test_check_that_only_the_database_knows(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    user = read_back("SELECT id FROM users")
    food = read_back("SELECT id FROM categories")
    data = {"user_id": str(user), "category_id": str(food), "description": "Refund", "amount": "-5",
            "date": "2024-01-01"}
    response = client.post("/admin/expenses/new", data=data)
    refused(html, response, 409, "amount", "Amount cannot be negative.")
    assert read_back("SELECT count(*) FROM expenses WHERE description = 'Refund'") == 0


@pytest.mark.usefixtures("still_works")
def test_check_on_edit(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    hero = read_back("SELECT id FROM hero WHERE name = 'Rusty-Man'")
    data = {"name": "Rusty-Man", "secret_name": "Tommy Sharp", "age": "-1", "team_id": ""}
    response = client.post(f"/admin/hero/{hero}/edit", data=data)
    refused(html, response, 409, "age", "Age cannot be negative.")
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hero) == 48
    assert read_back("SELECT team_id FROM hero WHERE id = :id", id=hero) is not None


@pytest.mark.usefixtures("still_works")
def test_check_across_two_columns(client: FlaskClient, html: Any, read_back: ReadBack, employee: int) -> None:
    data = {**SHIFT, "employee_id": str(employee), "starts_at": "17:00", "ends_at": "09:00"}
    response = client.post("/admin/shifts/new", data=data)
    refused(html, response, 409, "ends_at", "A shift must end after it starts.")
    assert read_back("SELECT count(*) FROM shifts WHERE employee_id = :id", id=employee) == 0


# --- values the column cannot hold ----------------------------------------------------


@pytest.mark.usefixtures("still_works")
def test_string_too_long(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/categories/new", data={"name": "é" * 51})
    refused(html, response, 422, "name", "Enter at most 50 characters.")
    assert read_back("SELECT count(*) FROM categories") == 1
    # The limit counts characters, not bytes: 50 two-byte letters fit.
    assert client.post("/admin/categories/new", data={"name": "é" * 50}).status_code == 303


@pytest.mark.usefixtures("still_works")
@pytest.mark.parametrize(
    ("amount", "sentence"),
    [
        ("123456789", "Enter at most 8 digits before the decimal point."),
        ("1.234", "Enter at most 2 decimal places."),
    ],
)
def test_too_many_digits(client: FlaskClient, html: Any, read_back: ReadBack, amount: str, sentence: str) -> None:
    data = {"user_id": "1", "category_id": "1", "description": "Big", "amount": amount, "date": "2024-01-01"}
    response = client.post("/admin/expenses/new", data=data)
    refused(html, response, 422, "amount", sentence)
    assert read_back("SELECT count(*) FROM expenses") == 1


# What WTForms alone would let through: NaN, infinities, digit separators, other scripts' digits.
NOT_NUMBERS = ["NaN", "nan", "Infinity", "-inf", "1_000", "١٢", "１２", "12abc"]
NUMBER_FIELDS = [
    ("hero", "age", "Enter a whole number.", [*NOT_NUMBERS, "1e3", "1.5"]),
    ("expenses", "amount", "Enter a number, like 12.50.", [*NOT_NUMBERS, "1e3"]),
    ("shifts", "hourly_rate", "Enter a number, like 1.5 or 2e3.", [*NOT_NUMBERS, "1e400"]),
]


@pytest.mark.usefixtures("still_works")
@pytest.mark.parametrize(("slug", "field", "sentence", "refused_texts"), NUMBER_FIELDS)
def test_numbers_are_plain_ascii_and_finite(
    client: FlaskClient,
    html: Any,
    read_back: ReadBack,
    employee: int,
    slug: str,
    field: str,
    sentence: str,
    refused_texts: list[str],
) -> None:
    base = {
        "hero": HERO,
        "expenses": {"user_id": "1", "category_id": "1", "description": "x", "date": "2024-01-01"},
        "shifts": {**SHIFT, "employee_id": str(employee)},
    }[slug]
    before = read_back(f"SELECT count(*) FROM {slug}")
    for typed in refused_texts:
        response = client.post(f"/admin/{slug}/new", data={**base, field: typed})
        assert html(response).control(field).attrs.get("value") == typed, typed
        refused(html, response, 422, field, sentence)
    assert read_back(f"SELECT count(*) FROM {slug}") == before


@pytest.mark.usefixtures("still_works")
@pytest.mark.parametrize("age", [str(2**31), str(-(2**31) - 1), str(2**63), "9" * 5000])
def test_integer_out_of_range(client: FlaskClient, html: Any, read_back: ReadBack, age: str) -> None:
    response = client.post("/admin/hero/new", data={**HERO, "age": age})
    sentence = "Enter a whole number from -2147483648 to 2147483647."
    refused(html, response, 422, "age", sentence if len(age) < 5000 else "Enter a whole number.")
    assert read_back("SELECT count(*) FROM hero") == 3


@pytest.mark.usefixtures("still_works")
@pytest.mark.parametrize(
    ("field", "typed"),
    [("date", "2024-02-30"), ("date", "٢٠٢٤-٠١-٠١"), ("date", "yesterday")],
)
def test_dates_are_real_and_ascii(client: FlaskClient, html: Any, read_back: ReadBack, field: str, typed: str) -> None:
    data = {"user_id": "1", "category_id": "1", "description": "x", "amount": "1", field: typed}
    response = client.post("/admin/expenses/new", data=data)
    assert response.status_code == 422
    assert html(response).all(f"error-{field}")
    assert read_back("SELECT count(*) FROM expenses") == 1


@pytest.mark.usefixtures("still_works")
def test_nul_character_is_refused(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    response = client.post("/admin/categories/new", data={"name": "Fo\x00od"})
    refused(html, response, 422, "name", "Remove the NUL character from this text.")
    assert read_back("SELECT count(*) FROM categories") == 1


@pytest.mark.usefixtures("still_works")
def test_an_enum_outside_its_members(client: FlaskClient, html: Any, read_back: ReadBack, employee: int) -> None:
    response = client.post("/admin/shifts/new", data={**SHIFT, "employee_id": str(employee), "weekday": "funday"})
    refused(html, response, 422, "weekday", "Choose one of the listed values.")
    assert read_back("SELECT count(*) FROM shifts") == 1


@pytest.mark.usefixtures("still_works")
def test_a_field_keeps_what_was_typed_after_a_refusal(client: FlaskClient, html: Any) -> None:
    response = client.post("/admin/hero/new", data={**HERO, "age": "1_000"})
    assert html(response).control("age").attrs.get("value") == "1_000"
    assert html(response).control("name").attrs.get("value") == "Tarantula"
