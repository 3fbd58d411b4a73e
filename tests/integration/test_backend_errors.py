"""Every error a database or its driver raises for a value is explained, on every backend.

The form refuses most bad values before the database sees them, so these tests hand rows
straight to the unit of work (as a view does after its checks) to prove what the database
side says: SQLite's error names, PostgreSQL's SQLSTATEs and constraint names, MariaDB's
errnos, and the drivers' own refusals. Where a backend stores what another refuses, the
test pins that too.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from webapp.admin import site
from webapp.admin.integrity import Problem
from webapp.extensions import db
from webapp.models import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday
from webapp.unit_of_work import flush_or_explain

ReadBack = Callable[..., Any]
BACKENDS = ("sqlite", "postgresql", "mariadb")
STORED = None  # the backend keeps the value as given
# What must never reach a user: SQL, driver names, raw error codes and messages.
RAW = re.compile(
    r"INSERT|UPDATE|SELECT|violates|Duplicate entry|constraint failed|CONSTRAINT|psycopg|pymysql|sqlite3"
    r"|\(\d{4},|SQLSTATE|\[SQL|out of range value|Incorrect",
    re.IGNORECASE,
)

Outcome = tuple[int, str | None, str] | None


def everywhere(status: int, field: str | None, sentence: str) -> dict[str, Outcome]:
    """The same outcome on every backend."""
    return {backend: (status, field, sentence) for backend in BACKENDS}


def only(backends: tuple[str, ...], status: int, field: str | None, sentence: str) -> dict[str, Outcome]:
    """Refused with ``sentence`` on ``backends``; stored by the others."""
    return {backend: (status, field, sentence) if backend in backends else STORED for backend in BACKENDS}


def shift(**values: Any) -> Shift:
    """Bob's Tuesday shift, 9 to 5, with ``values`` changed."""
    fields: dict[str, Any] = {
        "employee_id": 2,
        "weekday": Weekday.tuesday,
        "starts_at": dt.time(9),
        "ends_at": dt.time(17),
        **values,
    }
    return Shift(**fields)


def expense(**values: Any) -> Expense:
    """Alice's 1.00 of food, with ``values`` changed."""
    fields: dict[str, Any] = {
        "user_id": 1,
        "category_id": 1,
        "description": "Tea",
        "amount": Decimal("1.00"),
        "date": dt.date(2024, 2, 1),
        **values,
    }
    return Expense(**fields)


INT32 = "enter a whole number from -2147483648 to 2147483647."

CASES = [
    # --- the rules: unique, foreign key, not null, check --------------------------------
    pytest.param(
        lambda: User(email="alice@example.com", name="Twin"),
        everywhere(409, "email", "A user with email “alice@example.com” already exists."),
        id="unique-column",
    ),
    pytest.param(
        lambda: Hero(name="Deadpond", secret_name="Dive Wilson"),
        everywhere(409, "name", "A hero with name “Deadpond” and secret name “Dive Wilson” already exists."),
        id="unique-constraint",
    ),
    pytest.param(
        lambda: UserData(user_id="Brad", user_data="again"),
        everywhere(409, "user_id", "User data with user id “Brad” already exists."),
        id="natural-primary-key",
    ),
    pytest.param(
        lambda: shift(employee_id=1, weekday=Weekday.monday),
        everywhere(409, "employee_id", "A shift with employee “Ann” and weekday “Monday” already exists."),
        id="composite-primary-key",
    ),
    pytest.param(
        lambda: expense(user_id=9999),
        everywhere(409, "user_id", "User 9999 does not exist."),
        id="foreign-key",
    ),
    pytest.param(
        lambda: Team(name="Nowhere Men", headquarters=None),
        everywhere(409, "headquarters", "Headquarters is required."),
        id="not-null",
    ),
    pytest.param(
        lambda: Hero(name="Kid", secret_name="Minus", age=-1),
        everywhere(409, "age", "Age cannot be negative."),  # MariaDB: OperationalError 4025
        id="check",
    ),
    pytest.param(
        lambda: shift(starts_at=dt.time(17), ends_at=dt.time(9)),
        everywhere(409, "ends_at", "A shift must end after it starts."),
        id="check-two-columns",
    ),
    # --- values a column cannot hold: PostgreSQL's DataError, MariaDB's strict mode -----
    pytest.param(
        lambda: Team(name="x" * 101, headquarters="Long"),
        only(("postgresql", "mariadb"), 422, "name", "Name is too long: enter at most 100 characters."),
        id="string-too-long",
    ),
    pytest.param(
        lambda: expense(amount=Decimal("123456789012")),
        only(
            ("postgresql", "mariadb"),
            422,
            "amount",
            "Amount 123456789012 is too large: enter at most 8 digits before the decimal point.",
        ),
        id="numeric-overflow",
    ),
    pytest.param(
        lambda: Hero(name="Old", secret_name="Timer", age=2**31),
        only(("postgresql", "mariadb"), 422, "age", f"Age 2147483648 is out of range: {INT32}"),
        id="integer-overflow",
    ),
    pytest.param(
        lambda: Hero(name="Older", secret_name="Timer", age=2**63),
        everywhere(422, "age", f"Age 9223372036854775808 is out of range: {INT32}"),  # SQLite: OverflowError
        id="integer-overflow-64-bit",
    ),
    pytest.param(
        lambda: Hero(name="Ageless", secret_name="Who", age="abc"),
        only(("postgresql", "mariadb"), 422, "age", "Age “abc” is not a whole number."),
        id="invalid-text-for-integer",
    ),
    pytest.param(
        lambda: shift(hourly_rate="fast"),
        everywhere(422, "hourly_rate", "Hourly rate “fast” is not a number."),  # SQLite: float() refuses it
        id="invalid-text-for-float",
    ),
    pytest.param(
        lambda: expense(date="2024-02-30"),
        everywhere(422, "date", "Date “2024-02-30” is not a date."),
        id="invalid-date",
    ),
    # --- what the drivers refuse before the server sees it ----------------------------
    pytest.param(
        lambda: Team(name="Nul\x00l", headquarters="Void"),
        only(("postgresql",), 422, "name", "Name cannot contain the NUL character. Remove it and try again."),
        id="nul-byte",
    ),
    pytest.param(
        lambda: Team(name="Half \ud800 a pair", headquarters="Void"),
        everywhere(422, "name", "Name contains a character that is not valid text. Remove it and try again."),
        id="lone-surrogate",
    ),
    pytest.param(
        lambda: shift(hourly_rate=math.inf),
        only(("mariadb",), 422, "hourly_rate", "Hourly rate must be a finite number."),
        id="infinite-float",
    ),
    pytest.param(
        lambda: expense(amount=Decimal("NaN")),
        # PostgreSQL's numeric has NaN; SQLite stores it as NULL (a NOT NULL error); PyMySQL refuses.
        only(("sqlite", "mariadb"), 422, "amount", "Amount must be a finite number."),
        id="decimal-nan",
    ),
]


def save(app: Flask, make: Callable[[], Any]) -> Problem | None:
    """Add a new row and flush it as a view does; the explained problem, or None when stored."""
    with app.test_request_context("/", method="POST"):
        row = make()
        entry = site.entry_for_model(type(row))
        assert entry is not None
        db.session.add(row)
        problem = flush_or_explain(entry, row)
        if problem is None:
            db.session.commit()
        db.session.remove()
        return problem


def count(app: Flask, model: type) -> int:
    """The rows of ``model``'s table, on a fresh session."""
    with app.app_context():
        number = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return int(number or 0)


@pytest.mark.parametrize(("make", "outcomes"), CASES)
def test_a_value_the_database_refuses_is_explained(
    app: Flask, backend: str, make: Callable[[], Any], outcomes: dict[str, Outcome]
) -> None:
    with app.app_context():
        model = type(make())
    before = count(app, model)
    problem = save(app, make)
    expected = outcomes[backend]
    if expected is STORED:
        assert problem is None, f"{backend} should store it, but: {problem}"
        assert count(app, model) == before + 1
        return
    assert problem is not None, f"{backend} stored a value it should refuse"
    assert (problem.status, problem.field, problem.message) == expected
    assert not RAW.search(problem.message)
    assert count(app, model) == before  # nothing half-written


def test_the_session_is_usable_after_every_refusal(app: Flask) -> None:
    """A refusal rolls back, so the next unit of work on the same app saves."""
    for param in CASES:
        save(app, param.values[0])
    assert save(app, lambda: Category(name="After all that")) is None
    assert count(app, Category) == 2


# --- through the pages: the database is the final judge --------------------------------


def test_a_check_only_the_database_knows_is_a_409_on_the_field(client: FlaskClient, html: Any) -> None:
    """The form takes any age; the CHECK refuses -1 (MariaDB says so with OperationalError 4025)."""
    response = client.post("/admin/hero/new", data={"name": "Kid", "secret_name": "Minus", "age": "-1"})
    page = html(response)
    assert response.status_code == 409, page.errors()
    assert page.one("error-age").text == "Age cannot be negative."
    assert "Age cannot be negative." in page.errors()


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the form's look-up of conflicts, as if another request saved between check and flush."""
    monkeypatch.setattr("webapp.admin.checks.conflicts", lambda *args, **kwargs: [])


@pytest.mark.usefixtures("race")
def test_a_duplicate_found_by_the_database_is_a_409_on_its_field(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    response = client.post("/admin/users/new", data={"email": "alice@example.com", "name": "Twin"})
    page = html(response)
    assert response.status_code == 409
    assert page.one("error-email").text == "A user with email “alice@example.com” already exists."
    assert read_back("SELECT count(*) FROM users") == 1


@pytest.mark.usefixtures("race")
def test_a_missing_related_row_found_by_the_database_is_a_409_on_its_field(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    data = {"user_id": "9999", "category_id": "1", "description": "Tea", "amount": "1.00", "date": "2024-02-01"}
    response = client.post("/admin/expenses/new", data=data)
    page = html(response)
    assert response.status_code == 409
    assert page.one("error-user_id").text == "User 9999 does not exist."
    assert read_back("SELECT count(*) FROM expenses") == 1


@pytest.mark.usefixtures("race")
def test_an_edit_into_a_duplicate_found_by_the_database_is_a_409(
    client: FlaskClient, html: Any, read_back: ReadBack
) -> None:
    client.post("/admin/users/new", data={"email": "bob@example.com", "name": "Bob"})
    bob = read_back("SELECT id FROM users WHERE email = 'bob@example.com'")
    response = client.post(f"/admin/users/{bob}/edit", data={"email": "alice@example.com", "name": "Bob"})
    assert response.status_code == 409
    assert html(response).one("error-email").text == "A user with email “alice@example.com” already exists."
    assert read_back("SELECT email FROM users WHERE id = :id", id=bob) == "bob@example.com"


def test_employees_and_categories_are_seeded(app: Flask) -> None:
    """The cases above rely on the seed: Ann (1) and Bob (2), Alice (1), Food (1)."""
    with app.app_context():
        assert [e.name for e in db.session.scalars(select(Employee).order_by(Employee.id))] == ["Ann", "Bob"]
        assert db.session.get(User, 1).email == "alice@example.com"  # type: ignore[union-attr]
        assert db.session.get(Category, 1).name == "Food"  # type: ignore[union-attr]
        db.session.remove()


# --- what can be typed into an address: never a 500, on any backend --------------------

TYPED = ["%00", "a%00b", "%ED%A0%80", "99999999999999999999", "2147483648", "NaN", "1e400", "2024-02-30",
         "%F0%9F%A6%B8", "%25", "_", "x" * 300]
ADDRESSES = [
    "/admin/{table}/?q={value}",
    "/admin/{table}/?sort={value}",
    "/admin/{table}/?page={value}",
    "/admin/{table}/?after={value}",
    "/admin/{table}/?{column}={value}",
    "/admin/{table}/?{column}__gte={value}",
    "/admin/{table}/?{column}__isnull={value}",
    "/admin/{table}/export.csv?q={value}&{column}={value}",
    "/admin/{table}/lookup.json?field={column}&q={value}",
    "/admin/{table}/{value}/",
    "/admin/{table}/{value}/edit",
]
COLUMNS = {"expenses": ("user_id", "amount", "date", "description"), "shifts": ("weekday", "remote", "hourly_rate", "starts_at")}


@pytest.mark.parametrize("value", TYPED)
def test_nothing_typed_into_an_address_is_a_500(client: FlaskClient, value: str) -> None:
    """Values each backend's driver or type refuses (NUL, surrogates, overflow, an enum's LIKE)."""
    for table, columns in COLUMNS.items():
        for address in ADDRESSES:
            for column in columns if "{column}" in address else columns[:1]:
                url = address.format(table=table, column=column, value=value)
                response = client.get(url)
                assert response.status_code < 500, url
                response.close()
