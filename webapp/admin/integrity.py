"""Turn a database error into a sentence a user understands, on every backend."""

from __future__ import annotations

import enum
import math
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, DateTime, Float, Integer, Numeric, String, Table, Time, inspect
from sqlalchemy.exc import DataError, DBAPIError, SAWarning, SQLAlchemyError, StatementError

from webapp.admin.introspect import ColumnInfo, integer_range
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
    "22003": Kind.OUT_OF_RANGE,  # numeric_value_out_of_range: integer and numeric overflow
    "22008": Kind.OUT_OF_RANGE,  # datetime_field_overflow
}
MARIADB = {
    1062: Kind.UNIQUE,
    1451: Kind.FOREIGN_KEY,  # a parent row still has children
    1452: Kind.FOREIGN_KEY,  # a child row names a missing parent
    1216: Kind.FOREIGN_KEY,
    1217: Kind.FOREIGN_KEY,
    1048: Kind.NOT_NULL,
    1364: Kind.NOT_NULL,  # "Field 'x' doesn't have a default value"
    4025: Kind.CHECK,  # MariaDB reports CHECK as an OperationalError
    3819: Kind.CHECK,  # MySQL's number for the same
    1406: Kind.TOO_LONG,
    1264: Kind.OUT_OF_RANGE,
    1690: Kind.OUT_OF_RANGE,
    1265: Kind.BAD_VALUE,  # data truncated
    1292: Kind.BAD_VALUE,  # incorrect date/time value
    1366: Kind.BAD_VALUE,  # incorrect integer/decimal/string value
    1300: Kind.BAD_VALUE,  # invalid character string
}
# Non-text column types, and what a value of each must be.
EXPECTED: tuple[tuple[type, str], ...] = (
    (Boolean, "yes or no"),
    (Integer, "a whole number"),
    (Numeric, "a number"),
    (Float, "a number"),  # not a Numeric since SQLAlchemy 2.1
    (DateTime, "a date and time"),
    (Date, "a date"),
    (Time, "a time of day"),
)
# What PyMySQL raises, before sending, for a float the server cannot store (inf, nan).
MYSQL_REFUSED_FLOAT = "can not be used with MySQL"
# A quoted identifier, possibly qualified: `db`.`table`.`column` or 'column'.
QUOTED = r"(?:[`'][^`']+[`']\.)*[`']([^`']+)[`']"


def classify(exc: BaseException) -> Violation | None:
    """Say which rule ``exc`` reports, or None if it is not about the data."""
    orig = exc.orig if isinstance(exc, StatementError) else exc
    if isinstance(orig, (OverflowError, ValueError, UnicodeError)):
        return Violation(Kind.BAD_VALUE)  # driver refused a value before the database saw it
    if isinstance(exc, StatementError) and isinstance(orig, TypeError):
        return Violation(Kind.BAD_VALUE)  # a bind processor refused a value of the wrong type
    name = getattr(orig, "sqlite_errorname", None)
    if name is not None:
        return _sqlite(name, str(orig))
    args = getattr(orig, "args", ())
    # PyMySQL errors carry (errno, message); check them before ``sqlstate``, which
    # PyMySQL also sets, but only to the coarse class (23000 for every integrity error).
    if isinstance(exc, DBAPIError) and args and isinstance(args[0], int):
        return _mariadb(args[0], str(args[1]) if len(args) > 1 else "")
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return _postgresql(sqlstate, orig)
    if isinstance(exc, DataError) or (isinstance(exc, DBAPIError) and MYSQL_REFUSED_FLOAT in str(orig)):
        # Refused by the driver, not the server: psycopg for NUL bytes, PyMySQL for inf/nan.
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
        # Class 22 is "data exception": invalid text for a type, bad encoding, and so on.
        return Violation(Kind.BAD_VALUE) if sqlstate.startswith("22") else None
    diag = getattr(orig, "diag", None)
    column = getattr(diag, "column_name", None)
    return Violation(kind, (column,) if column else (), getattr(diag, "constraint_name", None))


def _mariadb(errno: int, message: str) -> Violation | None:
    """MariaDB gives an errno; names sit in its message, quoted and sometimes qualified."""
    kind = MARIADB.get(errno)
    if kind is None:
        return None
    # The last match wins: a duplicate value quoted earlier in the message may contain anything.
    constraints = re.findall(rf"(?:for key|CONSTRAINT) {QUOTED}", message)
    columns = re.findall(rf"(?:[Cc]olumn|Field) {QUOTED}", message)
    return Violation(
        kind,
        (columns[-1],) if columns else (),
        constraints[-1].rpartition(".")[2] if constraints else None,
    )


# --- sentences ------------------------------------------------------------------------


def quote(value: Any) -> str:
    """Put a value in typographic quotes, as the sentences do."""
    return f"“{value}”"


def unique_sentence(
    entry: ModelAdmin, keys: tuple[str, ...], values: tuple[Any, ...], stored: tuple[Any, ...] | None = None
) -> str:
    """«A user with email “alice@example.com” already exists.», with the stored spelling."""
    stored = values if stored is None else stored
    parts = " and ".join(f"{entry.column(key).label.lower()} {quote(show(value))}" for key, value in zip(keys, stored))
    sentence = f"{one_row(entry)} with {parts} already exists."
    for key, typed, kept in zip(keys, values, stored):
        if isinstance(typed, str) and isinstance(kept, str) and typed != kept:
            # MariaDB's default collations compare text ignoring case, accents and
            # trailing spaces: say so, or the refusal of a "different" value is a riddle.
            label = entry.column(key).label.lower()
            return f"{sentence} The database counts {quote(typed)} as the same {label}: {_ignored(typed, kept)}."
    return sentence


def _ignored(typed: str, kept: str) -> str:
    """Say which differences between two equal-to-the-database texts it ignored."""
    ignored = []
    if typed.rstrip(" ") != typed or kept.rstrip(" ") != kept:
        ignored.append("trailing spaces")
    typed, kept = typed.rstrip(" "), kept.rstrip(" ")
    if typed != kept:
        ignored.insert(0, "case" if typed.casefold() == kept.casefold() else "case and accents")
    return f"it compares text ignoring {' and '.join(ignored)}"


def one_row(entry: ModelAdmin) -> str:
    """«A user», «An expense»; a mass noun such as «User data» takes no article."""
    if entry.label == entry.label_plural:
        return entry.label[:1].upper() + entry.label[1:]
    return f"{article(entry.label)} {entry.label}"


def article(noun: str) -> str:
    """«a» or «an» for ``noun``: by its sound, so «a user», «an expense», «an hour»."""
    word = noun.lower()
    if word.startswith(("uni", "use", "usu", "uti", "eu", "one", "once")):
        return "A"
    return "An" if word.startswith(("a", "e", "i", "o", "u", "hour", "honest")) else "A"


def in_use_sentence(entry: ModelAdmin, label: str, referrers: str, verb: str) -> str:
    """«Cannot delete category “Food”: 3 expenses refer to it.»"""
    return f"Cannot delete {entry.label} {quote(label)}: {referrers} {verb} to it."


def missing_sentence(label: str, value: Any) -> str:
    """«Category 9999 does not exist.»"""
    return f"{label} {show(value)} does not exist."


def show(value: Any) -> str:
    """Spell a value the way the user typed it."""
    return str(value.value) if isinstance(value, enum.Enum) else str(value)  # the label the form offered


def explain(violation: Violation, entry: ModelAdmin, row: Any, deleting: str | None = None) -> Problem:
    """Write the sentence for ``violation`` raised while saving ``row`` of ``entry``.

    ``deleting`` is the label of the row when the change was its delete.
    """
    table: Table = entry.model.__table__
    keys = _keys(entry, _columns_of(violation, table))
    status = 409 if violation.kind in CONFLICTS else 422
    if violation.kind is Kind.UNIQUE:
        keys = keys or entry.primary_key
        values = tuple(getattr(row, k) for k in keys)
        if all(value is None for value in values):
            # Not the key (a new row has none yet): an index on an expression, or one the
            # models do not declare, and the database did not name its columns.
            return Problem(f"{one_row(entry)} with the same values already exists.")
        return Problem(unique_sentence(entry, keys, values, _stored(entry, keys, values)), keys[0])
    if violation.kind is Kind.FOREIGN_KEY:
        if deleting is not None:
            # The references the models declare were counted before the delete; these are others.
            return Problem(in_use_sentence(entry, deleting, "rows of another table", "refer"))
        return _missing_related(entry, row, keys)
    if violation.kind is Kind.NOT_NULL:
        if keys and getattr(row, keys[0], None) is not None:
            return _bad_value(entry, row, keys)  # SQLite stores NaN as NULL: the value was there
        if keys:
            return Problem(f"{entry.column(keys[0]).label} is required.", keys[0], status)
        return Problem("A required value is missing. Fill in every required field and try again.", None, status)
    if violation.kind is Kind.CHECK:
        return _check(table, violation.constraint, entry)
    return _bad_value(entry, row, keys)


def _bad_value(entry: ModelAdmin, row: Any, keys: tuple[str, ...]) -> Problem:
    """Name the field and the value the database could not store (PostgreSQL does not say)."""
    candidates = [entry.column(key) for key in keys] or list(entry.columns)
    for info in candidates:
        sentence = unstorable(info, getattr(row, info.key, None))
        if sentence is not None:
            return Problem(sentence, info.key, 422)
    if keys:
        return Problem(f"{entry.column(keys[0]).label} cannot be stored by the database.", keys[0], 422)
    return Problem("A value cannot be stored by the database. Check the fields and try again.", None, 422)


def unstorable(info: ColumnInfo, value: Any) -> str | None:
    """Why ``value`` cannot be stored in ``info``'s column on every backend, or None."""
    kind, label = info.column.type, info.label
    expected = _expected(kind)
    if isinstance(value, str) and expected is not None:
        return f"{label} {quote(value)} is not {expected}."  # PostgreSQL: invalid text representation
    if isinstance(value, str):
        if "\x00" in value:
            return f"{label} cannot contain the NUL character. Remove it and try again."
        if any("\ud800" <= char <= "\udfff" for char in value):
            return f"{label} contains a character that is not valid text. Remove it and try again."
        length = getattr(kind, "length", None)
        if isinstance(kind, String) and length and len(value) > length:
            return f"{label} is too long: enter at most {length} characters."
    elif isinstance(value, bool):
        return None  # a bool is an int, and always fits
    elif isinstance(value, int) and isinstance(kind, Integer):
        low, high = integer_range(kind)
        if not low <= value <= high:
            return f"{label} {value} is out of range: enter a whole number from {low} to {high}."
    elif isinstance(value, (float, Decimal)) and not math.isfinite(value):
        return f"{label} must be a finite number."
    elif isinstance(value, (int, Decimal)) and isinstance(kind, Numeric) and kind.precision is not None:
        allowed = kind.precision - (kind.scale or 0)
        if abs(value) >= Decimal(10) ** allowed:
            return f"{label} {value} is too large: enter at most {allowed} digits before the decimal point."
    return None


def _expected(kind: Any) -> str | None:
    """What a value of a non-text column type must be, in words; None for text."""
    for types, words in EXPECTED:
        if isinstance(kind, types):
            return words
    return None


def _columns_of(violation: Violation, table: Table) -> tuple[str, ...]:
    """The column names of the violation, from the database's words or its constraint name."""
    if violation.columns:
        return violation.columns
    if violation.constraint == "PRIMARY":  # MariaDB's name for every primary key
        return tuple(col.name for col in table.primary_key.columns)
    if violation.constraint:
        for item in (*table.constraints, *table.indexes):
            if item.name == violation.constraint and not isinstance(item, CheckConstraint):
                return tuple(col.name for col in item.columns)
        if violation.kind is not Kind.CHECK:  # a check names no columns; its rule says what it wants
            return _live_columns(table, violation.constraint)
    return ()


def _live_columns(table: Table, name: str) -> tuple[str, ...]:
    """Ask the database for the columns of a unique index the models do not declare."""
    from webapp.extensions import db  # a query; imported late to keep this module pure

    try:
        with warnings.catch_warnings():  # a column type SQLAlchemy does not know is no reason to fail
            warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)
            schema = inspect(db.session.connection())
            found = [*schema.get_unique_constraints(table.name, table.schema), *schema.get_indexes(table.name, table.schema)]
    except SQLAlchemyError:
        return ()  # only a better sentence was at stake
    for item in found:
        columns = item.get("column_names") or []
        if item["name"] == name and columns and None not in columns:  # None: an expression
            return tuple(columns)
    return ()


def _keys(entry: ModelAdmin, names: tuple[str, ...]) -> tuple[str, ...]:
    """Map column names to the entry's attribute keys, dropping unknown names."""
    by_name = {info.column.name: info.key for info in entry.columns}
    return tuple(by_name[name] for name in names if name in by_name)


def _stored(entry: ModelAdmin, keys: tuple[str, ...], values: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The values as stored in the row the new one collided with, if it is still there."""
    from webapp.admin.checks import holder  # a query; imported late to keep this module pure

    return holder(entry, keys, values)


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
