"""Create, read, update and delete every demo model through its pages, as a browser would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.admin_pages import html, read_row  # noqa: F401 (fixtures)
from flask.testing import FlaskClient

from webapp.models import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday

ReadBack = Callable[..., Any]
ReadRow = Callable[[type, Any], "dict[str, Any] | None"]


@pytest.fixture
def save(client: FlaskClient, html: Any) -> Callable[..., str]:
    """Open a form page, change some fields, press Save; return where the 303 leads."""

    def submit(url: str, changes: dict[str, str], form: str = "row-form") -> str:
        opened = client.get(url)
        assert opened.status_code == 200, url
        data = {**html(opened).form_data(form), **changes}
        response = client.post(url, data=data)
        assert response.status_code == 303, html(response).errors() or html(response).texts("error-message")
        return response.headers["Location"]

    return submit


@pytest.fixture
def delete(save: Callable[..., str], client: FlaskClient, html: Any) -> Callable[[str, str], None]:
    """Delete the row at ``url`` from its confirmation page; expect to land on the list."""

    def confirm(url: str, slug: str) -> None:
        assert save(url + "delete", {}, form="delete-form") == f"/admin/{slug}/"
        assert "Deleted" in " ".join(html(client.get(f"/admin/{slug}/")).successes())

    return confirm


def shown(client: FlaskClient, html: Any, url: str) -> dict[str, str]:
    """The detail page's values by column key."""
    response = client.get(url)
    assert response.status_code == 200
    detail = html(response)
    return {e.attrs["data-testid"].removeprefix("value-"): e.text for e in detail.elements
            if (e.attrs.get("data-testid") or "").startswith("value-")}


def test_hero(client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow) -> None:
    team = read_back("SELECT id FROM team WHERE name = 'Preventers'")
    url = save("/admin/hero/new", {"name": "Tarantula", "secret_name": "Natalia Roman-on", "age": "32",
                                   "team_id": str(team)})
    hero = read_back("SELECT id FROM hero WHERE name = 'Tarantula'")
    assert url == f"/admin/hero/{hero}/"
    assert read_row(Hero, hero) == {"id": hero, "name": "Tarantula", "secret_name": "Natalia Roman-on", "age": 32,
                                    "team_id": team}
    assert shown(client, html, url) == {"id": str(hero), "name": "Tarantula", "secret_name": "Natalia Roman-on",
                                        "age": "32", "team_id": "Preventers"}

    # Emptied optional fields are stored as NULL, not as "" or 0.
    assert save(url + "edit", {"secret_name": "Natalia", "age": "", "team_id": ""}) == url
    assert read_row(Hero, hero) == {"id": hero, "name": "Tarantula", "secret_name": "Natalia", "age": None,
                                    "team_id": None}

    delete(url, "hero")
    assert read_row(Hero, hero) is None


def test_team(client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow) -> None:
    url = save("/admin/team/new", {"name": "Avengers", "headquarters": "Stark Tower"})
    team = read_back("SELECT id FROM team WHERE name = 'Avengers'")
    assert url == f"/admin/team/{team}/"
    assert shown(client, html, url)["headquarters"] == "Stark Tower"
    assert save(url + "edit", {"headquarters": "Avengers Compound"}) == url
    assert read_row(Team, team) == {"id": team, "name": "Avengers", "headquarters": "Avengers Compound"}
    delete(url, "team")
    assert read_row(Team, team) is None


def test_users(client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow) -> None:
    url = save("/admin/users/new", {"email": "bob@example.com", "name": "Bob"})
    user = read_back("SELECT id FROM users WHERE email = 'bob@example.com'")
    assert url == f"/admin/users/{user}/"
    assert shown(client, html, url)["email"] == "bob@example.com"
    assert save(url + "edit", {"name": "Robert"}) == url
    assert read_row(User, user) == {"id": user, "email": "bob@example.com", "name": "Robert"}
    delete(url, "users")
    assert read_row(User, user) is None


def test_categories(
    client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow
) -> None:
    url = save("/admin/categories/new", {"name": "Travel"})
    category = read_back("SELECT id FROM categories WHERE name = 'Travel'")
    assert url == f"/admin/categories/{category}/"
    assert shown(client, html, url) == {"id": str(category), "name": "Travel"}
    assert save(url + "edit", {"name": "Trips"}) == url
    assert read_row(Category, category) == {"id": category, "name": "Trips"}
    delete(url, "categories")
    assert read_row(Category, category) is None


def test_expenses(
    client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow
) -> None:
    user = read_back("SELECT id FROM users WHERE email = 'alice@example.com'")
    food = read_back("SELECT id FROM categories WHERE name = 'Food'")
    url = save("/admin/expenses/new", {"user_id": str(user), "category_id": str(food), "description": "Train",
                                       "amount": "12.30", "date": "2024-02-29"})
    expense = read_back("SELECT id FROM expenses WHERE description = 'Train'")
    assert url == f"/admin/expenses/{expense}/"
    assert read_row(Expense, expense) == {"id": expense, "user_id": user, "category_id": food, "description": "Train",
                                          "amount": Decimal("12.30"), "date": dt.date(2024, 2, 29)}
    values = shown(client, html, url)
    assert (values["user_id"], values["category_id"], values["amount"]) == ("Alice <alice@example.com>", "Food",
                                                                            "12.30")

    # The edit form shows "12.30" back; saving it untouched must not trip the digit limits.
    assert save(url + "edit", {"description": "Night train"}) == url
    assert read_row(Expense, expense)["description"] == "Night train"  # type: ignore[index]
    assert read_row(Expense, expense)["amount"] == Decimal("12.30")  # type: ignore[index]
    delete(url, "expenses")
    assert read_row(Expense, expense) is None


def test_expense_date_defaults_to_today_when_left_empty(save: Any, read_row: ReadRow, read_back: ReadBack) -> None:
    user = read_back("SELECT id FROM users WHERE email = 'alice@example.com'")
    food = read_back("SELECT id FROM categories WHERE name = 'Food'")
    save("/admin/expenses/new", {"user_id": str(user), "category_id": str(food), "description": "Bread",
                                 "amount": "2", "date": ""})
    expense = read_back("SELECT id FROM expenses WHERE description = 'Bread'")
    assert read_row(Expense, expense)["date"] == dt.date.today()  # type: ignore[index]


def test_userdata_with_a_natural_key(
    client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow
) -> None:
    form = html(client.get("/admin/userdata/new"))
    assert form.control("user_id").attrs.get("maxlength") == "32"  # the key is typed in on create
    assert not form.all("field-time_stamp")  # the database stamps it

    url = save("/admin/userdata/new", {"user_id": "Mallory", "user_data": "likes tea"})
    assert url == "/admin/userdata/Mallory/"
    row = read_row(UserData, "Mallory")
    assert row is not None and row["user_data"] == "likes tea" and isinstance(row["time_stamp"], dt.datetime)

    edit = html(client.get(url + "edit"))
    assert not edit.all("field-user_id")  # a key is not edited once the row exists
    assert edit.text("value-user_id") == "Mallory"
    assert not edit.all("field-time_stamp") and edit.text("value-time_stamp")  # shown, never edited

    assert save(url + "edit", {"user_data": ""}) == url
    assert read_back("SELECT count(*) FROM userdata WHERE user_id = 'Mallory' AND user_data IS NULL") == 1
    delete(url, "userdata")
    assert read_row(UserData, "Mallory") is None


def test_employee(
    client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow
) -> None:
    url = save("/admin/employee/new", {"name": "Cleo"})
    employee = read_back("SELECT id FROM employee WHERE name = 'Cleo'")
    assert url == f"/admin/employee/{employee}/"
    assert save(url + "edit", {"name": ""}) == url
    assert read_row(Employee, employee) == {"id": employee, "name": None}
    assert shown(client, html, url)["id"] == str(employee)
    delete(url, "employee")
    assert read_row(Employee, employee) is None


def test_shifts_with_a_composite_key(
    client: FlaskClient, html: Any, save: Any, delete: Any, read_back: ReadBack, read_row: ReadRow
) -> None:
    bob = read_back("SELECT id FROM employee WHERE name = 'Bob'")
    url = save("/admin/shifts/new", {"employee_id": str(bob), "weekday": "friday", "starts_at": "08:00",
                                     "ends_at": "12:30", "remote": "y", "hourly_rate": "21.5"})
    assert url == f"/admin/shifts/{bob},friday/"
    key = (bob, Weekday.friday)
    assert read_row(Shift, key) == {"employee_id": bob, "weekday": Weekday.friday, "starts_at": dt.time(8),
                                    "ends_at": dt.time(12, 30), "remote": True, "hourly_rate": 21.5}
    values = shown(client, html, url)
    assert (values["employee_id"], values["weekday"], values["remote"]) == ("Bob", "Friday", "Yes")

    # Untick "remote", clear the rate: False and NULL. The key columns are not in the edit form.
    changes = {"ends_at": "13:00", "hourly_rate": ""}
    opened = html(client.get(url + "edit"))
    assert "checked" in opened.control("remote").attrs
    data = {k: v for k, v in {**opened.form_data("row-form"), **changes}.items() if k != "remote"}
    response = client.post(url + "edit", data=data)
    assert response.status_code == 303 and response.headers["Location"] == url
    assert read_row(Shift, key) == {"employee_id": bob, "weekday": Weekday.friday, "starts_at": dt.time(8),
                                    "ends_at": dt.time(13), "remote": False, "hourly_rate": None}
    delete(url, "shifts")
    assert read_row(Shift, key) is None


def test_a_successful_save_says_so_on_the_next_page(client: FlaskClient, html: Any) -> None:
    response = client.post("/admin/categories/new", data={"name": "Books"}, follow_redirects=True)
    shown_page = html(response)
    assert response.status_code == 200
    assert shown_page.successes() == ["Created category “Books”."]
    assert shown_page.one("flash-success").attrs.get("role") == "status"
    assert shown_page.text("value-name") == "Books"


def test_a_table_of_its_own_template_is_shown_with_it_and_the_others_with_the_default(client: FlaskClient) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    app = client.application
    own = '{% extends "admin/list.html" %}{% block title %}Our teams{% endblock %}'
    app.jinja_env.loader = ChoiceLoader([DictLoader({"admin/team/list.html": own}), app.jinja_env.loader])
    for _ in range(2):  # found once, then every time
        teams = client.get("/admin/team/").get_data(as_text=True)
        heroes = client.get("/admin/hero/").get_data(as_text=True)
        assert "<title>Our teams &middot; webapp</title>" in teams and 'data-testid="list-table"' in teams
        assert "<title>Heroes &middot; webapp</title>" in heroes
