"""Keyset pagination: the sort keys of a list, cursors over them, and the seek condition."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, Float, PrimaryKeyConstraint, String, Time, UniqueConstraint, and_, false, not_, or_
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import BadRequest

from webapp.admin import introspect, keys
from webapp.admin.registry import ModelAdmin

NULL = "!"  # a cursor part for NULL; keys.encode writes "!" as "~21", so it cannot collide
TEXT = Column("text", String())  # makes keys.decode hand back the decoded text untouched


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: a column and its direction; NULL sorts before every value."""

    key: str
    column: Column[Any]  # the table's column: a query of it needs no ORM
    descending: bool
    nullable: bool

    def flipped(self) -> SortKey:
        """The same key in the opposite direction, to read a list backwards."""
        return SortKey(self.key, self.column, not self.descending, self.nullable)


def sort_keys(entry: ModelAdmin, sort: Sequence[str]) -> tuple[SortKey, ...]:
    """The list's sort terms with the primary key appended, so the order is total.

    The key breaks ties in the direction of the last term: an index on a column ends with the
    primary key (SQLite, InnoDB), so ``-amount, -id`` is that index read backwards, where
    ``-amount, id`` makes MariaDB sort the whole table for every page. Where only a longer
    index starts with the sort's columns, its other columns come before the key, in the same
    direction: ``user_id, date, id`` reads the index on (user_id, date) in order.
    """
    terms: list[SortKey] = []
    seen: set[str] = set()
    ties = "-" if sort and sort[-1].startswith("-") else ""
    tail = index_tail(entry, tuple(part.lstrip("-") for part in sort))
    for part in (*sort, *(ties + key for key in (*tail, *entry.primary_key))):
        key = part.lstrip("-")
        if key in seen:
            continue
        seen.add(key)
        info = entry.column(key)
        terms.append(SortKey(key, info.column, part.startswith("-"), bool(info.column.nullable)))
    return tuple(terms)


@functools.cache
def index_tail(entry: ModelAdmin, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The columns after ``keys`` of the shortest index that starts with them, unless one is just them."""
    by_column = {info.column: info.key for info in entry.columns}
    tails = []
    for index in introspect.table_of(entry.model).indexes:
        columns = tuple(by_column.get(column) for column in index.columns)
        if not keys or len(columns) != len(index.expressions) or columns[: len(keys)] != keys:
            continue  # an index of expressions, or one that does not start with the sort's columns
        if len(columns) == len(keys):
            return ()
        if None not in columns:
            tails.append(columns[len(keys) :])
    return min(tails, key=len, default=())


@functools.cache
def indexed_columns(entry: ModelAdmin) -> frozenset[str]:
    """Columns that lead an index (the primary key and unique ones included)."""
    table = introspect.table_of(entry.model)
    leading = {index.expressions[0] for index in table.indexes if index.expressions}
    for constraint in table.constraints:
        if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint)) and len(constraint.columns):
            leading.add(next(iter(constraint.columns)))
    return frozenset(info.key for info in entry.columns if info.column in leading or info.column.unique)


def index_ordered(entry: ModelAdmin, sort: Sequence[SortKey]) -> bool:
    """Whether an index can give the rows in ``sort`` order: its first column leads one, and every key runs one way."""
    return sort[0].key in indexed_columns(entry) and len({key.descending for key in sort}) == 1


def flipped(sort: Sequence[SortKey]) -> tuple[SortKey, ...]:
    """Every key reversed: the order that reads the list from its end."""
    return tuple(key.flipped() for key in sort)


def order_by(sort: Sequence[SortKey], dialect: str) -> list[Any]:
    """ORDER BY terms; on PostgreSQL NULLs are placed first explicitly, as the others do."""
    terms = []
    for key in sort:
        term = key.column.desc() if key.descending else key.column.asc()
        if key.nullable and dialect == "postgresql":
            term = term.nulls_last() if key.descending else term.nulls_first()
        terms.append(term)
    return terms


def after(sort: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in ``sort`` order (two-valued, so it can be negated)."""
    condition = _strictly_after(sort[-1], values[-1])
    for key, value in zip(reversed(sort[:-1]), reversed(values[:-1])):
        condition = or_(_strictly_after(key, value), and_(_equal(key, value), condition))
    first, value = sort[0], values[0]
    if not first.nullable and value is not None:
        # Redundant with the tree above, but a plain range lets every database use the index.
        condition = and_(first.column <= value if first.descending else first.column >= value, condition)
    return condition


def up_to(sort: Sequence[SortKey], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows at or before ``values`` in ``sort`` order."""
    first, value = sort[0], values[0]
    condition = not_(after(sort, values))
    if not first.nullable and value is not None:
        condition = and_(first.column >= value if first.descending else first.column <= value, condition)
    return condition


def _strictly_after(key: SortKey, value: Any) -> ColumnElement[bool]:
    """``key``'s column comes after ``value`` in its direction."""
    column = key.column
    if value is None:  # NULL is the smallest value
        return false() if key.descending else column.is_not(None)
    if key.descending:
        return or_(column < value, column.is_(None)) if key.nullable else column < value
    return and_(column.is_not(None), column > value) if key.nullable else column > value


def _equal(key: SortKey, value: Any) -> ColumnElement[bool]:
    """``key``'s column equals ``value``, NULL included."""
    if value is None:
        return key.column.is_(None)
    return and_(key.column.is_not(None), key.column == value) if key.nullable else key.column == value


def encode(values: Sequence[Any]) -> str:
    """Write a row's sort values as a cursor for the query string."""
    return ",".join(NULL if value is None else keys.encode((_plain(value),)) for value in values)


def values_of(sort: Sequence[SortKey], row: Any) -> tuple[Any, ...]:
    """A row's values of the sort keys."""
    return tuple(getattr(row, key.key) for key in sort)


def decode(sort: Sequence[SortKey], token: str) -> tuple[Any, ...]:
    """Read a cursor back into typed values; a cursor of another list or order is a 400."""
    parts = token.split(",")
    if len(parts) != len(sort):
        raise BadRequest("The page link is not valid for this list and order; start again from the first page.")
    values = []
    for part, key in zip(parts, sort):
        if part == NULL and key.nullable:
            values.append(None)
            continue
        value = parse(part, key.column, encoded=True)
        if value is None:
            raise BadRequest("The page link is not valid for this list and order; start again from the first page.")
        values.append(value)
    return tuple(values)


def parse(text: str, column: Any, encoded: bool = False) -> Any:
    """Convert text (tilde-encoded when ``encoded``) to ``column``'s Python type, or None."""
    if encoded:
        decoded = keys.decode(text, [TEXT])
        if decoded is None:
            return None
        text = decoded[0]
    kind = column.type
    if isinstance(kind, Boolean):
        return {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}.get(text.lower())
    if isinstance(kind, Time):
        try:
            return dt.time.fromisoformat(text) if text.isascii() else None
        except ValueError:
            return None
    if isinstance(kind, Float):
        try:
            number = float(text) if text.isascii() else float("nan")
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    value = keys.typed(text, column)
    if value is not None and hasattr(value, "is_finite") and not value.is_finite():
        return None  # Decimal("NaN") and Decimal("Infinity") compare as nothing useful
    return value


def _plain(value: Any) -> Any:
    """Spell booleans as 1/0 so they read back the same on every backend."""
    if isinstance(value, bool):
        return int(value)
    return value
