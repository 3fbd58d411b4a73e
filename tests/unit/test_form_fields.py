"""Column types become fields whose validators refuse what the database would refuse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from tests.unit.sample_models import Colour, Owner, Sample
from webapp.admin.forms import form_class, populate
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.models import Weekday

REQUIRED = {"code": "NEW", "small": "1"}  # the sample's NOT NULL columns without a default


def submit(entry: ModelAdmin, data: dict[str, str], creating: bool = True) -> FlaskForm:
    """Build ``entry``'s form from posted ``data`` and validate it."""
    form = form_class(entry, creating)(formdata=MultiDict(data))
    form.validate()
    return form


def one(entry: ModelAdmin, key: str, text: str) -> tuple[Any, list[str]]:
    """Post ``text`` into field ``key`` of a create form: its value and its errors."""
    form = submit(entry, {**REQUIRED, key: text})
    return form[key].data, list(form[key].errors)


# --- which columns are fields ---------------------------------------------------------


def test_generated_columns_are_not_fields(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    sample = form_class(entries["unit_sample"], True)()
    assert "id" not in sample  # autoincrement key
    assert "created" not in sample  # server default
    assert "touched" not in sample  # on-update
    expected = ["code", "notes", "small", "big", "plain", "price", "whole", "tenth", "ratio", "active", "checked", "day",
                "at", "time", "colour", "size", "owner_id"]
    assert [field.name for field in sample] == expected

    userdata = form_class(entries["userdata"], True)()
    assert [field.name for field in userdata] == ["user_id", "user_data"]  # no time_stamp


def test_a_natural_key_is_entered_on_create_only(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    assert form_class(entries["userdata"], True)().user_id.flags.required
    assert "user_id" not in form_class(entries["userdata"], False)()
    shift = form_class(entries["shifts"], True)()
    assert shift.employee_id.flags.required and shift.weekday.flags.required
    assert "employee_id" not in form_class(entries["shifts"], False)()


def test_not_null_without_default_is_required(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    required = sorted(field.name for field in form if field.flags.required)
    assert required == ["code", "small"]
    # A NOT NULL column with a default can be left empty on create, not once the row exists.
    assert not form_class(entries["expenses"], True)().date.flags.required
    assert form_class(entries["expenses"], False)().date.flags.required


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_required_fields_refuse_empty_input(in_request: Flask, entries: dict[str, ModelAdmin], empty: str | None) -> None:
    data = {} if empty is None else {"code": empty, "small": empty}
    form = submit(entries["unit_sample"], data)
    assert form.errors == {"code": ["This field is required."], "small": ["This field is required."]}


def test_empty_optional_input_is_none(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    optional = ["notes", "big", "plain", "price", "whole", "tenth", "ratio", "checked", "day", "at", "time", "colour", "size",
                "owner_id"]
    form = submit(entries["unit_sample"], {**REQUIRED, **{key: "  " for key in optional}})
    assert form.errors == {}
    assert {key: form[key].data for key in optional} == dict.fromkeys(optional)

    row = Sample()
    populate(entries["unit_sample"], form, row, True)
    assert row.notes is None and row.price is None and row.owner_id is None


def test_a_default_prefills_the_create_form(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    assert form_class(entries["unit_sample"], True)(formdata=None).active.data is True
    assert form_class(entries["expenses"], True)(formdata=None).date.data == dt.date.today()


def test_an_unticked_box_is_false_when_editing(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = submit(entries["unit_sample"], {"code": "X", "small": "1"}, creating=False)
    assert form.errors == {} and form.active.data is False
    row = Sample(active=True)
    populate(entries["unit_sample"], form, row, False)
    assert row.active is False


# --- each type: what it accepts and what it refuses ------------------------------------

ACCEPTED = [
    ("code", " ABC ", "ABC"),
    ("code", "ÄÖÜ東京", "ÄÖÜ東京"),
    ("notes", "x" * 10_000, "x" * 10_000),
    ("small", "-32768", -32768),
    ("small", "+32767", 32767),
    ("big", str(2**63 - 1), 2**63 - 1),
    ("big", str(-(2**63)), -(2**63)),
    ("plain", "007", 7),
    ("price", "999.99", Decimal("999.99")),
    ("price", "-999.99", Decimal("-999.99")),
    ("price", "52.50", Decimal("52.50")),
    ("price", "0.1", Decimal("0.1")),
    ("price", ".5", Decimal("0.5")),
    ("price", "0007.10", Decimal("7.10")),
    ("whole", "9999", Decimal("9999")),
    ("whole", "12.0", Decimal("12.0")),
    ("tenth", "-99.9", Decimal("-99.9")),
    ("ratio", "1.5", 1.5),
    ("ratio", "-2e3", -2000.0),
    ("ratio", "1e-400", 0.0),
    ("checked", "true", True),
    ("checked", "false", False),
    ("day", "2024-02-29", dt.date(2024, 2, 29)),
    ("at", "2024-01-02T03:04", dt.datetime(2024, 1, 2, 3, 4)),
    ("at", "2024-01-02T03:04:05", dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("at", "2024-01-02 03:04", dt.datetime(2024, 1, 2, 3, 4)),
    ("time", "09:30", dt.time(9, 30)),
    ("time", "23:59:59", dt.time(23, 59, 59)),
    ("colour", "dark_green", Colour.dark_green),
    ("size", "M", "M"),
]


@pytest.mark.parametrize(("key", "text", "value"), ACCEPTED)
def test_a_field_accepts(in_request: Flask, entries: dict[str, ModelAdmin], key: str, text: str, value: Any) -> None:
    assert one(entries["unit_sample"], key, text) == (value, [])


NOT_NUMBERS = ["NaN", "nan", "Infinity", "-inf", "1_000", "١٢", "１２", "১", "12abc", "1,5", "0x10", "--1", " - 1"]
REFUSED = [
    *(("small", text, "Enter a whole number.") for text in [*NOT_NUMBERS, "1.0", "1e3"]),
    ("small", "32768", "Enter a whole number from -32768 to 32767."),
    ("small", "-32769", "Enter a whole number from -32768 to 32767."),
    ("plain", str(2**31), "Enter a whole number from -2147483648 to 2147483647."),
    ("big", str(2**63), f"Enter a whole number from {-(2**63)} to {2**63 - 1}."),
    ("big", "9" * 5000, "Enter a whole number."),  # past Python's own digit limit for int()
    *(("price", text, "Enter a number, like 12.50.") for text in [*NOT_NUMBERS, "1e3", "1.2.3"]),
    ("price", "1000", "Enter at most 3 digits before the decimal point."),
    ("price", "1.005", "Enter at most 2 decimal places."),
    ("whole", "10000", "Enter at most 4 digits before the decimal point."),
    ("whole", "1.5", "Enter a whole number."),  # Numeric(4) is Numeric(4, 0)
    ("tenth", "0.25", "Enter at most 1 decimal place."),
    *(("ratio", text, "Enter a number, like 1.5 or 2e3.") for text in [*NOT_NUMBERS, "1e400", "-1e309"]),
    ("code", "x" * 9, "Enter at most 8 characters."),
    ("code", "東" * 9, "Enter at most 8 characters."),
    ("code", "a\x00b", "Remove the NUL character from this text."),
    ("notes", "\x00", "Remove the NUL character from this text."),
    ("checked", "maybe", "Choose one of the listed values."),
    ("colour", "Red", "Choose one of the listed values."),  # the label, not the submitted name
    ("colour", "blue", "Choose one of the listed values."),
    ("size", "XL", "Choose one of the listed values."),
    ("owner_id", "abc", "Enter the key of an owner."),
    ("owner_id", str(2**63), "Enter the key of an owner."),
]


@pytest.mark.parametrize(("key", "text", "error"), REFUSED)
def test_a_field_refuses(in_request: Flask, entries: dict[str, ModelAdmin], key: str, text: str, error: str) -> None:
    value, errors = one(entries["unit_sample"], key, text)
    assert errors == [error]


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("day", "2024-02-30"), ("day", "24-01-01"), ("day", "٢٠٢٤-٠١-٠١"), ("day", "2024-01-01T00:00"),
        ("at", "2024-01-01"), ("at", "2024-13-01T00:00"), ("at", "２０２４-01-01T00:00"),
        ("time", "24:00"), ("time", "9h30"), ("time", "٠٩:٣٠"),
    ],
)
def test_dates_and_times_refuse(in_request: Flask, entries: dict[str, ModelAdmin], key: str, text: str) -> None:
    value, errors = one(entries["unit_sample"], key, text)
    assert value is None and len(errors) == 1


def test_decimal_places_are_said_in_the_help(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    assert form.price.description == "Up to 2 decimal places."
    assert form.tenth.description == "Up to 1 decimal place."
    assert form.whole.description == ""


# --- how fields render ----------------------------------------------------------------


def test_widgets_fit_their_types(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    assert 'maxlength="8"' in form.code() and "<input" in form.code()
    assert form.notes().startswith("<textarea")
    assert 'type="number"' in form.small()
    assert 'inputmode="decimal"' in form.price()
    assert 'type="checkbox"' in form.active()
    assert 'type="date"' in form.day()
    assert 'type="datetime-local"' in form.at()
    assert 'type="time"' in form.time()
    assert form.colour().startswith("<select")


def test_an_enum_is_a_choice_of_its_labels(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    assert form.colour.choices() == [("", "—"), ("red", "Red"), ("dark_green", "Dark green")]
    shifts = form_class(entries["shifts"], True)()
    assert shifts.weekday.choices()[0] == ("", "Choose a weekday…")
    assert [label for _, label in shifts.weekday.choices()[1:]] == [day.value for day in Weekday]


def test_a_nullable_boolean_is_yes_no_or_empty(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    assert form.checked.choices() == [("", "—"), ("true", "Yes"), ("false", "No")]


def test_a_foreign_key_is_a_choice_of_related_rows(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    form = form_class(entries["unit_sample"], True)()
    assert form.owner_id.label.text == "Owner"  # named by its relationship
    owners = {owner.name: owner.id for owner in db.session.scalars(db.select(Owner))}
    assert form.owner_id.choices() == [("", "—"), (str(owners["Amy"]), "Amy"), (str(owners["Zed"]), "Zed")]

    hero = form_class(entries["hero"], True)()
    assert hero.team_id.label.text == "Team"
    assert [label for _, label in hero.team_id.choices()] == ["—", "Preventers", "Z-Force"]
    expense = form_class(entries["expenses"], True)()
    assert expense.user_id.choices()[0] == ("", "Choose a user…")


def test_the_edit_form_shows_stored_values_back(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    row = Sample(code="X", small=1, price=Decimal("52.50"), ratio=0.1, day=dt.date(2024, 1, 2),
                 time=dt.time(9, 30), colour=Colour.dark_green, checked=False)
    form = form_class(entries["unit_sample"], False)(obj=row, formdata=None)
    assert form.price._value() == "52.50"
    assert form.ratio._value() == "0.1"
    assert form.colour._value() == "dark_green"
    assert form.checked._value() == "false"
    assert 'value="2024-01-02"' in form.day()
    assert 'value="09:30' in form.time()
