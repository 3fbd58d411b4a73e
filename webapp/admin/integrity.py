"""Turn a database error into a sentence a user understands, on every backend."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CheckConstraint, String, Table
from sqlalchemy.exc import DBAPIError, StatementError

from webapp.admin.registry import ModelAdmin


class Kind(enum.Enum):
    """The kinds of rule a database enforces."""

    UNIQUE = "unique"
    FOREIGN_KEY = "foreign key"
    NOT_NULL = "not null"
    CHECK = "check"
    TOO_LONG = "too long"
    OUT_OF_RANGE = "out of range"
    BAD_VALUE = "bad value"


CONFLICTS = {Kind.UNIQUE, Kind.FOREIGN_KEY, Kind.CHECK, Kind.NOT_NULL}


@dataclass(frozen=True)
class Violation:
    """What the database said, reduced to facts: the rule and where it lives."""

    kind: Kind
    columns: tuple[str, ...] = ()  # column names, when the database names them
    constraint: str | None = None  # constraint name, when the database names it


@dataclass(frozen=True)
class Problem:
    """A sentence for the user, the form field it belongs to, and the status to answer."""

    message: str
    field: str | None = None
    status: int = 409


SQLITE = {
    "SQLITE_CONSTRAINT_UNIQUE": Kind.UNIQUE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": Kind.UNIQUE,
    "SQLITE_CONSTRAINT_FOREIGNKEY": Kind.FOREIGN_KEY,
    "SQLITE_CONSTRAINT_NOTNULL": Kind.NOT_NULL,
    "SQLITE_CONSTRAINT_CHECK": Kind.CHECK,
    "SQLITE_TOOBIG": Kind.TOO_LONG,
    "SQLITE_MISMATCH": Kind.BAD_VALUE,
}
POSTGRESQL = {
    "23505": Kind.UNIQUE,
    "23503": Kind.FOREIGN_KEY,
    "23502": Kind.NOT_NULL,
    "23514": Kind.CHECK,
    "22001": Kind.TOO_LONG,
    "22003": Kind.OUT_OF_RANGE,
    "22008": Kind.OUT_OF_RANGE,
}
MARIADB = {
    1062: Kind.UNIQUE,
    1451: Kind.FOREIGN_KEY,
    1452: Kind.FOREIGN_KEY,
    1048: Kind.NOT_NULL,
    4025: Kind.CHECK,
    3819: Kind.CHECK,
    1406: Kind.TOO_LONG,
    1264: Kind.OUT_OF_RANGE,
    1366: Kind.BAD_VALUE,
    1292: Kind.BAD_VALUE,
}


def classify(exc: BaseException) -> Violation | None:
    """Say which rule ``exc`` reports, or None if it is not about the data."""
    orig = exc.orig if isinstance(exc, StatementError) else exc
    if isinstance(orig, (OverflowError, ValueError, UnicodeError)):
        return Violation(Kind.BAD_VALUE)  # driver refused a value before the database saw it
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        return _sqlite(name, str(orig))
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        return _postgresql(sqlstate, orig)
    if isinstance(exc, DBAPIError) and orig is not None and orig.args and isinstance(orig.args[0], int):
        return _mariadb(orig.args[0], str(orig.args[1]) if len(orig.args) > 1 else "")
    if isinstance(exc, DBAPIError) and sqlstate is None and "NUL" in str(orig):
        return Violation(Kind.BAD_VALUE)
    return None


def _sqlite(name: str, message: str) -> Violation | None:
    """SQLite names the kind; unique and not null messages list ``table.column``."""
    kind = SQLITE.get(name)
    if kind is None:
        return None
    detail = message.partition(": ")[2]
    if kind in (Kind.UNIQUE, Kind.NOT_NULL):
        return Violation(kind, tuple(part.strip().rpartition(".")[2] for part in detail.split(",")))
    if kind is Kind.CHECK:
        return Violation(kind, constraint=detail or None)
    return Violation(kind)


def _postgresql(sqlstate: str, orig: Any) -> Violation | None:
    """PostgreSQL gives a SQLSTATE and, in its diagnostics, the constraint or column."""
    kind = POSTGRESQL.get(sqlstate)
    if kind is None:
        return Violation(Kind.BAD_VALUE) if sqlstate.startswith("22") else None
    diag = getattr(orig, "diag", None)
    column = getattr(diag, "column_name", None)
    return Violation(kind, (column,) if column else (), getattr(diag, "constraint_name", None))


def _mariadb(errno: int, message: str) -> Violation | None:
    """MariaDB gives an errno; names sit in its message, quoted."""
    kind = MARIADB.get(errno)
    if kind is None:
        return None
    constraint = re.search(r"(?:for key|CONSTRAINT) [`'](?:[^`']*\.)?([^`']+)[`']", message)
    column = re.search(r"[Cc]olumn [`']([^`']+)[`']", message)
    return Violation(
        kind,
        (column.group(1),) if column else (),
        constraint.group(1) if constraint else None,
    )


# --- sentences ------------------------------------------------------------------------


def quote(value: Any) -> str:
    """Put a value in typographic quotes, as the sentences do."""
    return f"“{value}”"


def unique_sentence(entry: ModelAdmin, keys: tuple[str, ...], values: tuple[Any, ...]) -> str:
    """«A user with email “alice@example.com” already exists.»"""
    parts = " and ".join(f"{entry.column(key).label.lower()} {quote(show(value))}" for key, value in zip(keys, values))
    article = "An" if entry.label[:1].lower() in "aeiou" else "A"
    return f"{article} {entry.label} with {parts} already exists."


def missing_sentence(label: str, value: Any) -> str:
    """«Category 9999 does not exist.»"""
    return f"{label} {show(value)} does not exist."


def show(value: Any) -> str:
    """Spell a value the way the user typed it."""
    return str(getattr(value, "name", value)) if isinstance(value, enum.Enum) else str(value)


def explain(violation: Violation, entry: ModelAdmin, row: Any) -> Problem:
    """Write the sentence for ``violation`` raised while saving ``row`` of ``entry``."""
    table: Table = entry.model.__table__
    keys = _keys(entry, _columns_of(violation, table))
    status = 409 if violation.kind in CONFLICTS else 422
    if violation.kind is Kind.UNIQUE:
        keys = keys or entry.primary_key
        return Problem(unique_sentence(entry, keys, tuple(getattr(row, k) for k in keys)), keys[0])
    if violation.kind is Kind.FOREIGN_KEY:
        return _missing_related(entry, row, keys)
    if violation.kind is Kind.NOT_NULL and keys:
        return Problem(f"{entry.column(keys[0]).label} is required.", keys[0], status)
    if violation.kind is Kind.CHECK:
        return _check(table, violation.constraint, entry)
    if violation.kind is Kind.TOO_LONG:
        keys = keys or _too_long(entry, row)
        if keys:
            length = entry.column(keys[0]).column.type.length  # type: ignore[attr-defined]
            return Problem(f"{entry.column(keys[0]).label} is too long: enter at most {length} characters.", keys[0], 422)
    if keys:
        return Problem(f"{entry.column(keys[0]).label} cannot be stored by the database.", keys[0], 422)
    return Problem("A value cannot be stored by the database. Check the fields and try again.", None, status)


def _columns_of(violation: Violation, table: Table) -> tuple[str, ...]:
    """The column names of the violation, from the database's words or its constraint name."""
    if violation.columns:
        return violation.columns
    if violation.constraint:
        for item in (*table.constraints, *table.indexes):
            if item.name == violation.constraint and not isinstance(item, CheckConstraint):
                return tuple(col.name for col in item.columns)
    return ()


def _keys(entry: ModelAdmin, names: tuple[str, ...]) -> tuple[str, ...]:
    """Map column names to the entry's attribute keys, dropping unknown names."""
    by_name = {info.column.name: info.key for info in entry.columns}
    return tuple(by_name[name] for name in names if name in by_name)


def _missing_related(entry: ModelAdmin, row: Any, keys: tuple[str, ...]) -> Problem:
    """Name the foreign key whose related row is missing (SQLite does not say which)."""
    from webapp.admin.checks import missing_related  # a query; imported late to keep this module pure

    for problem in missing_related(entry, {info.key: getattr(row, info.key) for info in entry.columns}):
        if not keys or problem.field in keys:
            return problem
    return Problem("A related row does not exist any more. Reload the page and choose again.")


def _check(table: Table, name: str | None, entry: ModelAdmin) -> Problem:
    """Use the check constraint's own message, or show its rule."""
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and name and constraint.name in (name, name.strip("`\"")):
            message = constraint.info.get("message") or f"The values break the rule {quote(constraint.sqltext)}."
            return Problem(message, constraint.info.get("field"))
    return Problem("The values break a rule of the database. Check the fields and try again.")


def _too_long(entry: ModelAdmin, row: Any) -> tuple[str, ...]:
    """Find the text column whose value is longer than its declared length."""
    for info in entry.columns:
        length = getattr(info.column.type, "length", None)
        value = getattr(row, info.key, None)
        if isinstance(info.column.type, String) and length and isinstance(value, str) and len(value) > length:
            return (info.key,)
    return ()

