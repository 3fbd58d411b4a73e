"""No lost updates: a form carries the row as it was loaded, and saving compares it."""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest

from webapp.admin.registry import ModelAdmin
from webapp.admin.site import display

FIELD = "_version"  # the hidden input; a leading underscore keeps it clear of column keys


@dataclass(frozen=True)
class Change:
    """A column someone else changed after the form was opened."""

    key: str
    label: str
    theirs: str  # the value stored now
    yours: str  # the value the form submitted
    kept_theirs: bool = False  # the user had left the field alone, so the form now holds theirs


def snapshot(entry: ModelAdmin, row: Any) -> dict[str, str | None]:
    """Every column of ``row`` as text: the row as the user saw it when the page opened."""
    return {info.key: _text(getattr(row, info.key)) for info in entry.columns}


def token(values: Mapping[str, str | None]) -> str:
    """Serialize a snapshot for the hidden input."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def submitted() -> dict[str, str | None] | None:
    """The snapshot the form was opened with, or None when the client sent none."""
    raw = request.form.get(FIELD)
    if raw is None:
        return None
    try:
        values = json.loads(raw)
    except ValueError:
        raise BadRequest("The form's record of the row is damaged. Reload the page and try again.") from None
    if not isinstance(values, dict) or not all(isinstance(v, (str, type(None))) for v in values.values()):
        raise BadRequest("The form's record of the row is damaged. Reload the page and try again.")
    return values


def changes(entry: ModelAdmin, seen: Mapping[str, str | None] | None, row: Any) -> list[Change]:
    """Columns whose stored value differs from what the user saw; none if nothing was seen."""
    if seen is None:
        return []
    now = snapshot(entry, row)
    return [
        Change(info.key, info.label, display(getattr(row, info.key)), request.form.get(info.key, ""))
        for info in entry.columns
        if seen.get(info.key) != now[info.key]
    ]


def merge(form: FlaskForm, seen: Mapping[str, str | None], row: Any, found: list[Change]) -> list[Change]:
    """Put their value into every field the user left as it was; say which ones were kept."""
    merged = []
    for change in found:
        field = form[change.key] if change.key in form else None
        untouched = field is not None and not field.errors and _text(field.data) == seen.get(change.key)
        if untouched:
            field.data, field.raw_data = getattr(row, change.key), None  # re-render from the stored value
        merged.append(replace(change, kept_theirs=untouched))
    return merged


def _text(value: Any) -> str | None:
    """A stable, exact spelling of a stored value (None stays None)."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date: full precision either way
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)
