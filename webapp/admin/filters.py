"""Filters in the list's query string: ``col=v``, ``col__isnull=true``, ``col__gte=``, ``col__lte=``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import Boolean, Date, DateTime, Enum, Float, Integer, Numeric, String, Time
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import BadRequest

from webapp.admin import cursors, site
from webapp.admin.forms import enum_options
from webapp.admin.introspect import ColumnInfo
from webapp.admin.listing import quote
from webapp.admin.registry import ModelAdmin

# Query-string names the list uses for itself; a column of the same name cannot be filtered.
RESERVED = frozenset({"page", "last", "after", "before", "sort", "q", "count"})
LOOKUPS = ("", "isnull", "gte", "lte")
RANGED = (Integer, Numeric, Float, Date, DateTime, Time)
EQUATABLE = (*RANGED, String, Enum, Boolean)
SYMBOLS = {"": "is", "gte": "≥", "lte": "≤"}


@dataclass(frozen=True)
class Filter:
    """One filter from the query string, its text and its typed value."""

    key: str  # the column's attribute key
    lookup: str  # "", "isnull", "gte" or "lte"
    raw: str
    value: Any

    @property
    def name(self) -> str:
        """The query-string name: ``category_id`` or ``amount__gte``."""
        return f"{self.key}__{self.lookup}" if self.lookup else self.key


def parse(entry: ModelAdmin, args: Mapping[str, str]) -> tuple[Filter, ...]:
    """Read every filter in ``args``; empty values are no filter, anything malformed is a 400."""
    known = {info.key: info for info in entry.columns}
    found = []
    for name in args:
        key, _, lookup = name.partition("__")
        if name in RESERVED or (key not in known and not lookup):
            continue  # not a filter: the list's own parameters, or something for someone else
        if key not in known:
            raise BadRequest(f"Cannot filter by {key!r}: choose one of {', '.join(known)}.")
        if lookup not in LOOKUPS:
            raise BadRequest(f"Cannot filter {key!r} by {lookup!r}: use {key}, {key}__isnull, {key}__gte or {key}__lte.")
        raw = args[name].strip()
        if raw:
            found.append(Filter(key, lookup, raw, typed(known[key], lookup, raw)))
    return tuple(found)


def typed(info: ColumnInfo, lookup: str, raw: str) -> Any:
    """The Python value of a filter's text, or a 400 that says what was expected."""
    kind = info.column.type
    if lookup == "isnull":
        value = cursors.parse(raw, BOOLEAN)
        if value is None:
            raise BadRequest(f"The filter {info.key}__isnull takes true or false.")
        return value
    allowed = RANGED if lookup else EQUATABLE
    if not isinstance(kind, allowed) or "\x00" in raw:
        what = "numbers, dates and times" if lookup else "these columns"
        raise BadRequest(f"{info.label} cannot be filtered that way; ranges work on {what}.")
    if lookup == "lte" and isinstance(kind, DateTime) and len(raw) == 10:
        day = cursors.parse(raw, DATE)  # a whole day: everything before the next midnight
        if day is not None:
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time()) - dt.timedelta(microseconds=1)
    value = cursors.parse(raw, info.column)
    if value is None:
        raise BadRequest(f"{raw!r} is not a valid {info.label.lower()} to filter by ({example(info)}).")
    return value


def condition(entry: ModelAdmin, item: Filter) -> ColumnElement[bool]:
    """The WHERE condition of one filter."""
    column = entry.column(item.key).column
    if item.lookup == "isnull":
        return column.is_(None) if item.value else column.is_not(None)
    if item.lookup == "gte":
        return column >= item.value
    if item.lookup == "lte":
        return column <= item.value
    return column == item.value


def describe(entry: ModelAdmin, item: Filter, label: str | None = None) -> str:
    """A short sentence for an active filter: «Category is Food», «Amount ≥ 10»."""
    info = entry.column(item.key)
    if item.lookup == "isnull":
        return f"{info.label} is {'empty' if item.value else 'not empty'}"
    shown = label if label is not None else item.raw
    if isinstance(info.column.type, Boolean) and not item.lookup:
        shown = "yes" if item.value else "no"
    return f"{info.label} {SYMBOLS[item.lookup]} {shown}"


def example(info: ColumnInfo) -> str:
    """A hint at the expected spelling of a value of ``info``'s type."""
    kind = info.column.type
    if isinstance(kind, Boolean):
        return "true or false"
    if isinstance(kind, DateTime):
        return "like 2024-01-15 or 2024-01-15T09:30"
    if isinstance(kind, Date):
        return "like 2024-01-15"
    if isinstance(kind, Time):
        return "like 09:30"
    if isinstance(kind, Enum):
        return "one of " + ", ".join(kind.enum_class.__members__ if kind.enum_class else kind.enums)
    if isinstance(kind, Integer):
        return "a whole number"
    if isinstance(kind, (Numeric, Float)):
        return "a number, like 12.50"
    return "text"


@dataclass(frozen=True)
class Control:
    """What the filter form shows for one column."""

    info: ColumnInfo
    kind: str  # "related", "choice", "range" or "empty"
    names: tuple[str, ...]  # the query-string names its inputs use
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for a choice
    input_type: str = "text"
    lookup: str | None = None  # the URL that suggests related rows


def controls(entry: ModelAdmin) -> list[Control]:
    """A filter control for each shown column that has a useful one."""
    found = []
    for key in entry.list_columns:
        info = entry.column(key)
        kind = info.column.type
        if key in RESERVED:
            continue
        if info.relation:
            target = site.entry_for_model(info.relation.target)
            lookup = url_for(f"crud_{target.slug}.lookup", field=info.relation.target_key) if target else None
            found.append(Control(info, "related", (key,), lookup=lookup))
        elif isinstance(kind, Boolean):
            found.append(Control(info, "choice", (key,), (("", "Any"), ("true", "Yes"), ("false", "No"))))
        elif isinstance(kind, Enum):
            found.append(Control(info, "choice", (key,), (("", "Any"), *enum_choices(kind))))
        elif isinstance(kind, RANGED) and not info.primary_key:
            found.append(Control(info, "range", (f"{key}__gte", f"{key}__lte"), input_type=input_type(info)))
        if info.column.nullable and not isinstance(kind, Boolean):
            found.append(Control(info, "empty", (f"{key}__isnull",), (("", "Any"), ("true", "Empty"), ("false", "Not empty"))))
    return found


def fieldsets(controls: Iterable[Control], chosen: Mapping[str, str]) -> Markup:
    """The filter form's fieldsets, one a control, each input holding its value as typed.

    Printed here, beside the list's rows, rather than by the template: four controls cost
    the template some 40 lookups and escapes, 50 µs of every list page.
    """
    printed = []
    for control in controls:
        info, kind, name = control.info, control.kind, control.names[0]
        label, first = quote(info.label), quote(name)
        printed.append(f'<fieldset class="filter" data-testid="filter-{kind}-{quote(info.key)}">\n')
        if kind == "range":
            upper, input_type = quote(control.names[1]), quote(control.input_type)
            printed.append(
                f"<legend>{label}</legend>\n"
                f'<label>from <input type="{input_type}" name="{first}" value="{quote(chosen[name])}" '
                f'data-testid="filter-{first}"></label>\n'
                f'<label>to <input type="{input_type}" name="{upper}" value="{quote(chosen[control.names[1]])}" '
                f'data-testid="filter-{upper}"></label>\n'
            )
        elif kind == "related":
            lookup = f' list="filter-{first}-options" data-lookup="{quote(control.lookup)}"' if control.lookup else ""
            printed.append(
                f'<label for="filter-{first}">{label} (key)</label>\n'
                f'<input type="text" id="filter-{first}" name="{first}" value="{quote(chosen[name])}" autocomplete="off" '
                f'data-testid="filter-{first}"{lookup}>\n'
            )
            if control.lookup:
                printed.append(f'<datalist id="filter-{first}-options"></datalist>\n')
        else:
            options = "".join(
                f'<option value="{quote(value)}"{" selected" if chosen[name] == value else ""}>{quote(text)}</option>'
                for value, text in control.options
            )
            printed.append(
                f'<label for="filter-{first}">{label}{" is" if kind == "empty" else ""}</label>\n'
                f'<select id="filter-{first}" name="{first}" data-testid="filter-{first}">\n{options}\n</select>\n'
            )
        printed.append("</fieldset>\n")
    return Markup("".join(printed))


def enum_choices(kind: Enum) -> list[tuple[str, str]]:
    """(query-string value, label) of each member of an Enum type: what the form offers."""
    return [(text, label) for text, label, _value in enum_options(kind)]


def input_type(info: ColumnInfo) -> str:
    """The HTML input type of a range bound."""
    kind = info.column.type
    if isinstance(kind, DateTime):
        return "datetime-local"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Time):
        return "time"
    return "text"


# cursors.parse reads ``column.type``; these stand in for a column of each type.
BOOLEAN = type("BooleanColumn", (), {"type": Boolean()})()
DATE = type("DateColumn", (), {"type": Date()})()
