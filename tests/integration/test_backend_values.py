"""The same value typed into a form gives a predictable result on every backend.

Where backends differ (MariaDB's default collation compares text ignoring case, accents
and trailing spaces; PostgreSQL and MariaDB round extra decimal places; NUL bytes), the
form decides first, and a difference that remains is explained in the sentence. Each test
pins what each backend does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient

from webapp.admin import checks, site
from webapp.extensions import db
from webapp.models import Expense, User

ReadBack = Callable[..., Any]
EXPENSE = {"user_id": "1", "category_id": "1", "description": "Tea", "date": "2024-02-01"}


@pytest.mark.parametrize(
    ("typed", "ignoring"),
    [
        pytest.param("ALICE@example.com", "case", id="case"),
        pytest.param("alicé@example.com", "case and accents", id="accents"),
    ],
)
def test_a_unique_value_differing_only_in_case_or_accents(
    client: FlaskClient, html: Any, read_back: ReadBack, backend: str, typed: str, ignoring: str
) -> None:
    response = client.post("/admin/users/new", data={"email": typed, "name": "Twin"})
    if backend == "mariadb":
        assert response.status_code == 409
        assert html(response).one("error-email").text == (
            "A user with email “alice@example.com” already exists. "
            f"The database counts “{typed}” as the same email: it compares text ignoring {ignoring}."
        )
        assert read_back("SELECT count(*) FROM users") == 1
    else:  # SQLite and PostgreSQL compare text exactly
        assert response.status_code == 303
        assert read_back("SELECT count(*) FROM users") == 2


def test_a_natural_key_differing_only_in_case(
    client: FlaskClient, html: Any, read_back: ReadBack, backend: str
) -> None:
    response = client.post("/admin/userdata/new", data={"user_id": "brad", "user_data": "lower case"})
    if backend == "mariadb":
        assert response.status_code == 409
        assert html(response).one("error-user_id").text == (
            "User data with user id “Brad” already exists. "
            "The database counts “brad” as the same user id: it compares text ignoring case."
        )
        assert read_back("SELECT count(*) FROM userdata") == 6
    else:
        assert response.status_code == 303
        assert read_back("SELECT user_data FROM userdata WHERE user_id = 'brad'") == "lower case"


def test_trailing_spaces_are_trimmed_so_every_backend_finds_the_duplicate(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    response = client.post("/admin/users/new", data={"email": "alice@example.com   ", "name": "Twin"})
    assert response.status_code == 409
    assert html(response).one("error-email").text == "A user with email “alice@example.com” already exists."
    assert read_back("SELECT count(*) FROM users") == 1


def test_trailing_spaces_stored_behind_the_form_are_explained(app: Flask, backend: str) -> None:
    """A value with a trailing space written by another program: MariaDB ignores the space."""
    with app.test_request_context("/", method="POST"):
        entry = site.entry_for_model(User)
        assert entry is not None
        db.session.add(User(email="bob@example.com ", name="Bob"))
        db.session.commit()
        problems = checks.conflicts(entry, {"email": "bob@example.com", "name": "Robert"}, None)
        db.session.remove()
    if backend == "mariadb":
        assert [p.message for p in problems] == [
            "A user with email “bob@example.com ” already exists. "
            "The database counts “bob@example.com” as the same email: it compares text ignoring trailing spaces."
        ]
    else:
        assert problems == []


def test_changing_only_the_case_of_ones_own_value_is_no_conflict(
    client: FlaskClient, read_back: ReadBack
) -> None:
    response = client.post("/admin/users/1/edit", data={"email": "ALICE@example.com", "name": "Alice"})
    assert response.status_code == 303
    assert read_back("SELECT email FROM users WHERE id = 1") == "ALICE@example.com"


def test_extra_decimal_places_are_refused_by_the_form_everywhere(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    response = client.post("/admin/expenses/new", data={**EXPENSE, "amount": "1.005"})
    assert response.status_code == 422
    assert html(response).one("error-amount").text == "Enter at most 2 decimal places."
    assert read_back("SELECT count(*) FROM expenses") == 1


def test_what_each_database_does_with_extra_decimal_places(app: Flask, backend: str, read_back: ReadBack) -> None:
    """Why the form refuses them: PostgreSQL and MariaDB round, SQLite keeps every digit."""
    with app.app_context():
        db.session.add(Expense(user_id=1, category_id=1, description="Rounded", amount=Decimal("1.005"),
                               date=dt.date(2024, 2, 1)))
        db.session.commit()
        db.session.remove()
    stored = read_back("SELECT amount FROM expenses WHERE description = 'Rounded'")
    if backend == "sqlite":
        assert stored == pytest.approx(1.005)
    else:
        assert stored == Decimal("1.01")


def test_a_nul_character_is_refused_by_the_form_everywhere(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    """PostgreSQL cannot store NUL; SQLite and MariaDB can. The form refuses it on all three."""
    response = client.post("/admin/categories/new", data={"name": "Nul\x00l"})
    assert response.status_code == 422
    assert html(response).one("error-name").text == "Remove the NUL character from this text."
    assert read_back("SELECT count(*) FROM categories") == 1


@pytest.mark.parametrize(
    ("age", "sentence"),
    [
        ("2147483648", "Enter a whole number from -2147483648 to 2147483647."),
        ("9223372036854775808", "Enter a whole number from -2147483648 to 2147483647."),
    ],
)
def test_an_integer_too_large_for_any_backend_is_refused_by_the_form(
    client: FlaskClient, html: Any, read_back: ReadBack, age: str, sentence: str
) -> None:
    """SQLite would store 2^31 and PostgreSQL refuse it: the form keeps to what all accept."""
    response = client.post("/admin/hero/new", data={"name": "Old", "secret_name": "Timer", "age": age})
    assert response.status_code == 422
    assert html(response).one("error-age").text == sentence
    assert read_back("SELECT count(*) FROM hero") == 3


def test_a_string_too_long_for_any_backend_is_refused_by_the_form(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    """SQLite ignores VARCHAR(100); the form does not."""
    response = client.post("/admin/team/new", data={"name": "x" * 101, "headquarters": "Long"})
    assert response.status_code == 422
    assert html(response).one("error-name").text == "Enter at most 100 characters."
    assert read_back("SELECT count(*) FROM team") == 2


@pytest.mark.parametrize("key", ["brad", "Brad~20", "BRAD"])
def test_a_key_in_a_url_names_one_exact_row_on_every_backend(client: FlaskClient, key: str) -> None:
    """MariaDB's comparison would find Brad for these; the page answers as SQLite and PostgreSQL do."""
    assert client.get("/admin/userdata/Brad/").status_code == 200
    for page in ("", "edit", "delete"):
        assert client.get(f"/admin/userdata/{key}/{page}").status_code == 404


def test_a_float_keeps_its_digits_on_every_backend(client: FlaskClient, read_back: ReadBack) -> None:
    """A FLOAT column on MariaDB keeps about 6 digits; the demo's float is a DOUBLE everywhere."""
    data = {"employee_id": "2", "weekday": "friday", "starts_at": "09:00", "ends_at": "10:00", "hourly_rate": "1234.5678"}
    assert client.post("/admin/shifts/new", data=data).status_code == 303
    assert read_back("SELECT hourly_rate FROM shifts WHERE employee_id = 2") == 1234.5678
