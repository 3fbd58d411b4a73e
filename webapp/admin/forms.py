"""Form fields built from column types, validated strictly before anything is added."""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import Boolean, Date, DateTime, Enum, Float, Integer, Numeric, String, Text, Time, select
from wtforms import BooleanField, Field, Form, StringField, TextAreaField
from wtforms.fields import DateField, DateTimeLocalField, TimeField
from wtforms.validators import Length, Optional, StopValidation, ValidationError
from wtforms.widgets import NumberInput, TextInput, html_params

from webapp.admin import keys, lookup
from webapp.admin.integrity import article
from webapp.admin.introspect import ColumnInfo, integer_range
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

# Above this many related rows a foreign key is typed as a key instead of chosen from a list.
CHOICES_LIMIT = 200

INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


# --- validators -----------------------------------------------------------------------


class Required:
    """Refuse empty input (whitespace counts as empty)."""

    field_flags = {"required": True}

    def __call__(self, form: Form, field: Field) -> None:
        if not field.raw_data or not str(field.raw_data[0]).strip():
            field.errors[:] = []
            raise StopValidation("This field is required.")


class Between:
    """Keep a number inside the range its column type can hold."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self.field_flags = {"min": low, "max": high}

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is not None and not self.low <= field.data <= self.high:
            raise ValidationError(f"Enter a whole number from {self.low} to {self.high}.")


class Digits:
    """Keep a decimal within ``Numeric(precision, scale)``."""

    def __init__(self, precision: int | None, scale: int | None) -> None:
        self.precision = precision
        # Numeric(p) has scale 0 in SQL: PostgreSQL and MariaDB would round 1.5 to 2 silently.
        self.scale = 0 if scale is None and precision is not None else scale

    def __call__(self, form: Form, field: Field) -> None:
        if field.data is None:
            return
        # Count digits in plain notation; trailing zeros after the point are harmless
        # ("52.50" fits Numeric(10, 2)) and leading zeros are not digits that need room.
        whole, _point, fraction = format(abs(field.data), "f").partition(".")
        places = len(fraction.rstrip("0"))
        whole = len(whole.lstrip("0"))
        if self.scale == 0 and places:
            raise ValidationError("Enter a whole number.")
        if self.scale is not None and places > self.scale:
            raise ValidationError(f"Enter at most {decimal_places(self.scale)}.")
        if self.precision is not None:
            allowed = self.precision - (self.scale or 0)
            if whole > allowed:
                raise ValidationError(f"Enter at most {allowed} digits before the decimal point.")


def decimal_places(count: int) -> str:
    """«1 decimal place», «2 decimal places»."""
    return f"{count} decimal place{'' if count == 1 else 's'}"


class NoNul:
    """Refuse the NUL character, which no database stores the same way."""

    def __call__(self, form: Form, field: Field) -> None:
        if field.data and "\x00" in field.data:
            raise ValidationError("Remove the NUL character from this text.")


# --- fields ---------------------------------------------------------------------------


class ParsedField(Field):
    """A single-value field parsed strictly from its text; empty input is None."""

    widget = TextInput()
    error = "Enter a valid value."

    def parse(self, text: str) -> Any:
        """Convert ``text`` or raise ValueError."""
        raise NotImplementedError

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = None
        text = str(valuelist[0]).strip() if valuelist else ""
        if text:
            try:
                self.data = self.parse(text)
            except (ValueError, ArithmeticError):
                raise ValueError(self.error) from None

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else self.format(self.data)

    def format(self, value: Any) -> str:
        """Spell a stored value for the input."""
        return str(value)


class WholeNumberField(ParsedField):
    """An integer in ASCII digits only (no ``1_000``, no other scripts' digits)."""

    widget = NumberInput()
    error = "Enter a whole number."

    def parse(self, text: str) -> int:
        if not INTEGER.fullmatch(text):
            raise ValueError(text)
        return int(text)


class DecimalNumberField(ParsedField):
    """An exact decimal in ASCII digits; no NaN, no Infinity, no exponent."""

    error = "Enter a number, like 12.50."

    def parse(self, text: str) -> Decimal:
        if not DECIMAL.fullmatch(text):
            raise ValueError(text)
        return Decimal(text)


class FloatNumberField(ParsedField):
    """A finite floating-point number in ASCII digits."""

    error = "Enter a number, like 1.5 or 2e3."

    def parse(self, text: str) -> float:
        number = float(text) if FLOAT.fullmatch(text) else math.nan
        if not math.isfinite(number):
            raise ValueError(text)
        return number


class TextField(StringField):
    """Text with surrounding whitespace removed; empty input is None."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        self.data = text or None


class LongTextField(TextAreaField):
    """Long text, trimmed like :class:`TextField`."""

    process_formdata = TextField.process_formdata


class ChoiceField(ParsedField):
    """One of a fixed set of values, rendered as a select."""

    error = "Choose one of the listed values."

    def __init__(self, *args: Any, options: list[tuple[str, str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options  # (submitted text, label, Python value)

    def parse(self, text: str) -> Any:
        for value, _label, data in self.options:
            if value == text:
                return data
        raise ValueError(text)

    def format(self, value: Any) -> str:
        for text, _label, data in self.options:
            if data == value:
                return text
        return str(value)

    def choices(self) -> list[tuple[str, str]]:
        """(value, label) pairs for the select, with an empty choice when optional."""
        return [placeholder(self), *((text, label) for text, label, _data in self.options)]

    def widget(self, field: Field, **kwargs: Any) -> Markup:  # type: ignore[override]
        return render_select(field, field.choices(), **kwargs)


class RelatedField(ParsedField):
    """A foreign key: a select of related rows, or the key typed in for a large table."""

    def __init__(self, *args: Any, relation: Any, target_column: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relation = relation
        self.target_column = target_column
        self.error = f"Enter the key of {a_label(self)}."

    def parse(self, text: str) -> Any:
        value = keys.typed(text, self.target_column)
        if value is None:
            raise ValueError(text)
        return value

    def choices(self) -> list[tuple[str, str]] | None:
        """(key, label) of every related row, or None when there are too many to list."""
        target = self.relation.target
        if not lookup.small(target, CHOICES_LIMIT):
            return None  # counted by key alone: the form costs the same with a million rows
        rows = db.session.scalars(select(target)).all()
        listed = sorted(((str(getattr(row, self.relation.target_key)), str(row)) for row in rows), key=lambda c: c[1])
        return [placeholder(self), *listed]

    def widget(self, field: Field, **kwargs: Any) -> Markup:  # type: ignore[override]
        choices = field.choices()
        if choices is None:
            return lookup.lookup_input(field, field.relation.target, field.relation.target_key, **kwargs)
        return render_select(field, choices, **kwargs)


def placeholder(field: Field) -> tuple[str, str]:
    """The empty first option: a prompt when a choice is required, a dash when not."""
    return ("", f"Choose {a_label(field)}…" if field.flags.required else "—")


def a_label(field: Field) -> str:
    """«a category», «an employee»: the field's label as a common noun."""
    noun = field.label.text.lower()
    return f"{article(noun).lower()} {noun}"


def render_select(field: Field, choices: list[tuple[str, str]], **kwargs: Any) -> Markup:
    """Render a select whose selected option is the field's current value."""
    kwargs.setdefault("id", field.id)
    if field.flags.required:
        kwargs["required"] = True
    attrs = Markup(html_params(name=field.name, **kwargs))
    current = field._value()
    options = Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            value, Markup(" selected") if value == current else "", label
        )
        for value, label in choices
    )
    return Markup("<select {}>{}</select>").format(attrs, options)


class AsciiMixin:
    """Refuse digits from other scripts that strptime would quietly accept."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).isascii():
            self.data = None
            raise ValueError(self.gettext("Not a valid value."))
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)  # type: ignore[misc]


class IsoDateField(AsciiMixin, DateField):
    """A date as YYYY-MM-DD."""


class IsoDateTimeField(AsciiMixin, DateTimeLocalField):
    """A date and time as YYYY-MM-DDTHH:MM[:SS]."""


class IsoTimeField(AsciiMixin, TimeField):
    """A time of day as HH:MM[:SS]."""


# --- building forms -------------------------------------------------------------------


@functools.cache
def form_class(entry: ModelAdmin, creating: bool) -> type[FlaskForm]:
    """Build the create or edit form of ``entry``: one field per user-entered column."""
    fields = {info.key: field_for(info, creating) for info in form_columns(entry, creating)}
    return type(f"{entry.model.__name__}{'Create' if creating else 'Edit'}Form", (FlaskForm,), fields)


def form_columns(entry: ModelAdmin, creating: bool) -> list[ColumnInfo]:
    """Columns the user fills in: not generated ones, and no key once the row exists."""
    return [
        info
        for info in entry.columns
        if not info.generated and (creating or not info.primary_key) and editable_type(info)
    ]


def editable_type(info: ColumnInfo) -> bool:
    """Whether the admin knows how to edit values of this column's type."""
    # Float is named apart: since SQLAlchemy 2.1 it is no longer a subclass of Numeric.
    return isinstance(info.column.type, (String, Integer, Numeric, Float, Boolean, Date, DateTime, Time))


def field_for(info: ColumnInfo, creating: bool) -> Field:
    """Return the unbound field that edits ``info``'s column."""
    column, kind = info.column, info.column.type
    required = info.required if creating else not column.nullable
    checks: list[Any] = [Required() if required else Optional()]
    options: dict[str, Any] = {"label": info.label, "validators": checks}
    if creating and column.default is not None and (column.default.is_scalar or column.default.is_callable):
        options["default"] = default_of(column)
    if info.relation:
        target_column = next(iter(column.foreign_keys)).column
        return RelatedField(relation=info.relation, target_column=target_column, **options)
    if isinstance(kind, Enum):
        return ChoiceField(options=enum_options(kind), **options)
    if isinstance(kind, Boolean):
        if column.nullable:
            return ChoiceField(options=[("true", "Yes", True), ("false", "No", False)], **options)
        options["validators"] = []  # an unticked box is a value (False), not a missing one
        return BooleanField(**options)
    if isinstance(kind, DateTime):
        return IsoDateTimeField(
            format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
            render_kw={"step": 1},
            **options,
        )
    if isinstance(kind, Date):
        return IsoDateField(format="%Y-%m-%d", **options)
    if isinstance(kind, Time):
        return IsoTimeField(format=["%H:%M", "%H:%M:%S"], **options)
    if isinstance(kind, Integer):
        checks.append(Between(*integer_range(kind)))
        return WholeNumberField(**options)
    if isinstance(kind, Float):
        return FloatNumberField(**options)
    if isinstance(kind, Numeric):
        checks.append(Digits(kind.precision, kind.scale))
        scale = kind.scale or 0
        options["render_kw"] = {"inputmode": "decimal"}
        options["description"] = f"Up to {decimal_places(scale)}." if scale else ""
        return DecimalNumberField(**options)
    checks.append(NoNul())
    length = getattr(kind, "length", None)
    if length:
        checks.append(Length(max=length, message=f"Enter at most {length} characters."))
        options["render_kw"] = {"maxlength": length}
    long_text = isinstance(kind, Text) or (length or 0) > 255 or length is None
    return LongTextField(**options) if long_text else TextField(**options)


def enum_options(kind: Enum) -> list[tuple[str, str, Any]]:
    """(submitted text, label, value) for each member of an Enum column type."""
    if kind.enum_class is not None:
        members: list[enum.Enum] = list(kind.enum_class)
        return [(member.name, str(member.value), member) for member in members]
    return [(value, value, value) for value in kind.enums]


def default_of(column: Any) -> Callable[[], Any] | Any:
    """The column's Python-side default, to prefill a create form."""
    default = column.default
    if default.is_callable:
        return lambda: default.arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
    return default.arg


def populate(entry: ModelAdmin, form: FlaskForm, row: Any, creating: bool) -> None:
    """Copy the form's values onto ``row``; on create, empty input leaves defaults in charge."""
    for info in form_columns(entry, creating):
        value = form[info.key].data
        if creating and value is None and info.column.default is not None:
            continue
        setattr(row, info.key, value)
