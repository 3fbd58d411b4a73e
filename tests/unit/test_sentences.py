"""Each kind of database rule, raised for real by SQLite, becomes its sentence, field and status."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from tests.unit.sample_models import Sample
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, StatementError

from webapp.admin.integrity import Kind, Problem, Violation, classify, explain, missing_sentence, unique_sentence
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.models import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday


def refusal(row: Any, *, delete: bool = False) -> tuple[BaseException, SimpleNamespace]:
    """Add (or delete) ``row``, flush, and return what the database raised and what was attempted."""
    attempted = SimpleNamespace(**{attr.key: getattr(row, attr.key) for attr in row.__mapper__.column_attrs})
    db.session.delete(row) if delete else db.session.add(row)
    with pytest.raises((DBAPIError, StatementError, OverflowError)) as caught:
        db.session.flush()
    db.session.rollback()
    return caught.value, attempted


def explained(entry: ModelAdmin, row: Any) -> Problem:
    """The problem the admin would show for saving ``row``."""
    error, attempted = refusal(row)
    violation = classify(error)
    assert violation is not None, error
    return explain(violation, entry, attempted)


def test_unique_column(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["team"], Team(name="Preventers", headquarters="Elsewhere"))
    assert problem == Problem("A team with name “Preventers” already exists.", "name", 409)


def test_composite_unique(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["hero"], Hero(name="Deadpond", secret_name="Dive Wilson"))
    assert problem == Problem("A hero with name “Deadpond” and secret name “Dive Wilson” already exists.", "name")


def test_natural_primary_key(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["userdata"], UserData(user_id="Brad"))
    assert problem == Problem("User data with user id “Brad” already exists.", "user_id", 409)


def test_composite_primary_key(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    ann = db.session.scalar(select(Employee.id).where(Employee.name == "Ann"))
    row = Shift(employee_id=ann, weekday=Weekday.monday, starts_at=dt.time(8), ends_at=dt.time(9))
    problem = explained(entries["shifts"], row)
    assert problem == Problem("A shift with employee “Ann” and weekday “Monday” already exists.", "employee_id")


def test_foreign_key_to_a_missing_row(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["hero"], Hero(name="Nobody", secret_name="N", team_id=9999))
    assert problem == Problem("Team 9999 does not exist.", "team_id", 409)


def test_foreign_key_blocking_a_delete(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    food = db.session.scalar(select(Category).where(Category.name == "Food"))
    error, attempted = refusal(food, delete=True)
    violation = classify(error)
    assert violation is not None and violation.kind is Kind.FOREIGN_KEY
    problem = explain(violation, entries["categories"], attempted, deleting="Food")
    assert problem == Problem("Cannot delete category “Food”: rows of another table refer to it.", None, 409)


def test_not_null(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["hero"], Hero(name=None, secret_name="S"))
    assert problem == Problem("Name is required.", "name", 409)


def test_check_with_its_own_message(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    user = db.session.scalar(select(User.id))
    category = db.session.scalar(select(Category.id))
    row = Expense(user_id=user, category_id=category, description="Refund", amount=-1)
    assert explained(entries["expenses"], row) == Problem("Amount cannot be negative.", "amount", 409)


def test_check_without_a_message_shows_its_rule(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    problem = explained(entries["unit_sample"], Sample(code="NEG", small=-1))
    assert problem == Problem("The values break the rule “small >= 0”.", None, 409)


def test_integer_the_driver_cannot_send(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    # SQLite's driver raises OverflowError for 2**63 before the database sees it.
    problem = explained(entries["hero"], Hero(name="Big", secret_name="B", age=2**63))
    sentence = "Age 9223372036854775808 is out of range: enter a whole number from -2147483648 to 2147483647."
    assert problem == Problem(sentence, "age", 422)


@pytest.mark.parametrize(
    ("violation", "values", "problem"),
    [
        # What PostgreSQL and MariaDB report and SQLite never does: the sentences are the same.
        (Violation(Kind.TOO_LONG, ("name",)), {"name": "x" * 101},
         Problem("Name is too long: enter at most 100 characters.", "name", 422)),
        (Violation(Kind.TOO_LONG), {"name": "ok", "secret_name": "y" * 101},
         Problem("Secret name is too long: enter at most 100 characters.", "secret_name", 422)),
        (Violation(Kind.OUT_OF_RANGE), {"age": -(2**31) - 1},
         Problem("Age -2147483649 is out of range: enter a whole number from -2147483648 to 2147483647.", "age", 422)),
        (Violation(Kind.BAD_VALUE), {"secret_name": "a\x00b"},
         Problem("Secret name cannot contain the NUL character. Remove it and try again.", "secret_name", 422)),
        (Violation(Kind.NOT_NULL), {},
         Problem("A required value is missing. Fill in every required field and try again.", None, 409)),
        (Violation(Kind.CHECK, constraint="no_such_rule"), {},
         Problem("The values break a rule of the database. Check the fields and try again.", None, 409)),
        (Violation(Kind.CHECK, constraint="ck_hero_age_not_negative"), {"age": -1},
         Problem("Age cannot be negative.", "age", 409)),
        (Violation(Kind.UNIQUE, constraint="uq_hero_name_secret_name"), {"name": "Deadpond", "secret_name": "Dive Wilson"},
         Problem("A hero with name “Deadpond” and secret name “Dive Wilson” already exists.", "name", 409)),
        (Violation(Kind.UNIQUE, constraint="ux_not_in_the_models"), {},
         Problem("A hero with the same values already exists.", None, 409)),
        (Violation(Kind.UNIQUE, constraint="PRIMARY"), {"id": 7},  # MariaDB's name for every primary key
         Problem("A hero with id “7” already exists.", "id", 409)),
    ],
)
def test_sentences_for_what_other_databases_report(
    in_request: Flask, entries: dict[str, ModelAdmin], violation: Violation, values: dict[str, Any], problem: Problem
) -> None:
    hero = {"id": None, "name": "Hero", "secret_name": "S", "age": None, "team_id": None}
    assert explain(violation, entries["hero"], SimpleNamespace(**{**hero, **values})) == problem


def test_an_error_that_is_not_about_the_data_is_not_explained(in_request: Flask) -> None:
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert classify(caught.value) is None  # so the unit of work re-raises it instead of blaming a field


@pytest.mark.parametrize(
    ("slug", "keys", "values", "sentence"),
    [
        ("users", ("email",), ("alice@example.com",), "A user with email “alice@example.com” already exists."),
        ("expenses", ("description",), ("Milk",), "An expense with description “Milk” already exists."),
        ("employee", ("name",), ("Ann",), "An employee with name “Ann” already exists."),
        ("userdata", ("user_id",), ("Brad",), "User data with user id “Brad” already exists."),
        ("shifts", ("employee_id", "weekday"), (1, Weekday.friday),
         "A shift with employee “1” and weekday “Friday” already exists."),
    ],
)
def test_unique_sentence_grammar(
    entries: dict[str, ModelAdmin], slug: str, keys: tuple[str, ...], values: tuple[Any, ...], sentence: str
) -> None:
    assert unique_sentence(entries[slug], keys, values) == sentence


def test_missing_sentence() -> None:
    assert missing_sentence("Category", 9999) == "Category 9999 does not exist."
    assert missing_sentence("Weekday", Weekday.friday) == "Weekday Friday does not exist."  # the label the form offered
