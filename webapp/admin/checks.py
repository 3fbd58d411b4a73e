"""Check a form's values against the database's rules before the row is added."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, exists, not_, select

from webapp.admin import introspect
from webapp.admin.integrity import Problem, missing_sentence, unique_sentence
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db


def conflicts(entry: ModelAdmin, values: Mapping[str, Any], current: Any | None) -> list[Problem]:
    """Problems the database would report for ``values``; ``current`` is the row being edited."""
    return [*missing_related(entry, values), *duplicates(entry, values, current)]


def missing_related(entry: ModelAdmin, values: Mapping[str, Any]) -> list[Problem]:
    """A problem for each foreign key value whose related row does not exist."""
    problems = []
    for info in entry.columns:
        value = values.get(info.key)
        if info.relation is None or value is None:
            continue
        target = info.relation.target
        column = getattr(target, info.relation.target_key)
        if not db.session.scalar(select(exists().where(column == value))):
            problems.append(Problem(missing_sentence(info.label, value), info.key))
    return problems


def duplicates(entry: ModelAdmin, values: Mapping[str, Any], current: Any | None) -> list[Problem]:
    """A problem for each unique column or constraint that another row already has."""
    problems = []
    sets = introspect.unique_sets(entry.model)
    if current is None:
        sets = (entry.primary_key, *sets)  # a natural key typed on create must be new too
    for keys in sets:
        wanted = tuple(values.get(key, getattr(current, key, None)) for key in keys)
        if any(value is None for value in wanted):
            continue  # NULLs never collide
        stored = holder(entry, keys, wanted, current)
        if stored is not None:
            problems.append(Problem(unique_sentence(entry, keys, wanted, stored), keys[0]))
    return problems


def holder(
    entry: ModelAdmin, keys: tuple[str, ...], values: tuple[Any, ...], current: Any | None = None
) -> tuple[Any, ...] | None:
    """The stored ``keys`` of a row (not ``current``) the database counts as having ``values``."""
    # Compared by the database, not Python: MariaDB's collations make "Alice" equal "alice".
    same = and_(*(getattr(entry.model, key) == value for key, value in zip(keys, values)))
    query = select(*(getattr(entry.model, key) for key in keys)).where(same).limit(1)
    if current is not None:
        query = query.where(not_(_is_row(entry, current)))
    found = db.session.execute(query).first()
    return None if found is None else tuple(shown(entry, key, value) for key, value in zip(keys, found))


def shown(entry: ModelAdmin, key: str, value: Any) -> Any:
    """A stored value as the form showed it: a related row by its label, an enum by its name."""
    info = entry.column(key)
    if isinstance(value, enum.Enum):
        return value.value
    if info.relation is not None and value is not None:
        target = info.relation.target
        related = db.session.scalar(select(target).where(getattr(target, info.relation.target_key) == value))
        return str(related) if related is not None else value
    return value


def _is_row(entry: ModelAdmin, row: Any) -> Any:
    """A condition matching ``row`` by its primary key."""
    return and_(*(getattr(entry.model, key) == getattr(row, key) for key in entry.primary_key))
