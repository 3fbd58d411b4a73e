"""A list page's rows as plain records: the table's columns and its related rows, one Core query.

Loading a page of 50 expenses as ORM objects, with the user and the category of each joined
in, builds some 150 instances with identity-map state: more time than the query and the
page's HTML together. The list only reads attributes and labels, so it reads records:
tuples of the row's values whose class carries the model's own methods (``__str__`` above
all), each column read by name, and none of the ORM's machinery. A model whose label needs
the ORM (a relationship, the mapper) cannot be labelled from a record: the first page that
finds so loads ORM objects instead, with joins, and so does every later page of that model.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import FromClause, Select, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import QueryableAttribute, joinedload
from sqlalchemy.sql.elements import ColumnElement

from webapp.admin import introspect
from webapp.admin.introspect import ColumnInfo, Relation
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

# What a mapped class has that belongs to the ORM or to Python, not to the model's behaviour.
ORM_NAMES = frozenset({"metadata", "registry"})
KEPT_DUNDERS = frozenset({"__str__", "__repr__", "__format__"})
FOREIGN_MODULES = frozenset({"sqlalchemy", "typing", "builtins"})
# Models whose labels need ORM objects: their lists load those.
NEEDS_ORM: set[type] = set()


class Link(NamedTuple):
    """A shown foreign key's related row: where its columns sit in each row of the query."""

    name: str  # the relationship's name: the field of the row's record that holds the related one
    record: type  # its columns' values, read by their attribute keys
    start: int  # where its columns begin and end in each row
    end: int
    probe: int  # where the joined-on column is: NULL there means the outer join found no row


class Shape(NamedTuple):
    """One model's list query, built once, and how to read its rows back."""

    statement: Select[Any]
    record: type
    keys: tuple[str, ...]  # attribute keys of the table's own columns, first in each row
    links: tuple[Link, ...]
    joins: tuple[tuple[FromClause, ColumnElement[bool]], ...]  # each related table, and its ON clause


def select_rows(
    entry: ModelAdmin,
    conditions: Sequence[ColumnElement[bool]],
    extra: Sequence[Any],
    orm: bool,
    scope: tuple[FromClause, ColumnElement[bool]] | None = None,
) -> Select[Any]:
    """The page's query, to be ordered and limited; ``extra`` columns (a count) come last.

    ``orm`` loads ORM objects: whether the model is in NEEDS_ORM, as the caller found it.
    ``scope`` is a subquery of rows' keys and how the table joins to it: the query then
    starts from it, and reads only the rows it names (records only).
    """
    if orm:
        assert scope is None, "an ORM query reads the table itself"
        options = [joinedload(getattr(entry.model, relation.name)) for _, _, relation in joined(entry)]
        return select(entry.model, *extra).options(*options).where(*conditions)
    shape_ = shape(entry)
    if scope is None:
        return shape_.statement.add_columns(*extra).where(*conditions)
    keys, on = scope
    start = keys.outerjoin(introspect.table_of(entry.model), on)
    selected = (*shape_.statement.selected_columns, *extra)
    return select(*selected).select_from(with_related(start, shape_.joins)).where(*conditions)


def load(
    entry: ModelAdmin, statement: Select[Any], extra: int = 0, bound: Mapping[str, Any] | None = None
) -> tuple[list[Any], tuple[Any, ...] | None]:
    """Run the page's query with ``bound`` values: its rows, and the ``extra`` columns' values
    (None without rows).

    Raises :class:`Unlabelled` (and remembers it) when a record cannot be labelled.
    """
    if entry.model in NEEDS_ORM:
        found = list(db.session.execute(statement, bound))
        return [values[0] for values in found], tuple(found[0][1:]) if found else None
    shape_ = shape(entry)
    own, links, record = len(shape_.keys), shape_.links, shape_.record
    rows = []
    values: tuple[Any, ...] = ()
    for values in db.session.execute(statement, bound).all():
        # The table's own values, then each related row's record (None: the list shows the key).
        related = [None if values[link.probe] is None else link.record(values[link.start : link.end]) for link in links]
        rows.append(record((*values[:own], *related)))
    check_labels(entry, shape_, rows)
    return rows, (tuple(values[len(values) - extra :]) if rows else None)


class Unlabelled(Exception):
    """A record's label needed the ORM; its model now loads ORM objects."""


def check_labels(entry: ModelAdmin, shape_: Shape, rows: list[Any]) -> None:
    """Label every record now, so a model whose ``__str__`` needs the ORM is found before printing."""
    try:
        for row in rows:
            str(row)
            for link in shape_.links:
                other = getattr(row, link.name)
                if other is not None:
                    str(other)
    except (AttributeError, TypeError, SQLAlchemyError) as exc:  # a relationship, the mapper, a session
        NEEDS_ORM.add(entry.model)
        raise Unlabelled(entry.model.__name__) from exc


def joined(entry: ModelAdmin) -> list[tuple[int, ColumnInfo, Relation]]:
    """The shown foreign keys with a relationship, whose related rows give their labels."""
    return [
        (index, info, info.relation)
        for index, info in enumerate(entry.columns)
        if info.key in entry.list_columns and info.relation is not None and info.relation.name
    ]


@functools.cache
def shape(entry: ModelAdmin) -> Shape:
    """Every column of the table, then every column of each shown foreign key's related row."""
    model = entry.model
    own = introspect.columns(model)
    selected: list[Any] = [info.column for info in own]
    links, joins = [], []
    for index, info, relation in joined(entry):
        table = introspect.table_of(relation.target).alias(f"related_{index}")
        columns = introspect.columns(relation.target)
        referenced = introspect.mapper_of(relation.target).get_property(relation.target_key).columns[0]
        joins.append((table, table.c[referenced.key] == info.column))
        start = len(selected)
        keys = tuple(other.key for other in columns)
        probe = start + [other.column.key for other in columns].index(referenced.key)
        links.append(Link(str(relation.name), record_class(relation.target, keys), start, start + len(keys), probe))
        selected += [table.c[other.column.key] for other in columns]
    statement = select(*selected).select_from(with_related(introspect.table_of(model), tuple(joins)))
    keys = tuple(info.key for info in own)
    return Shape(statement, record_class(model, (*keys, *(link.name for link in links))), keys, tuple(links), tuple(joins))


def with_related(start: FromClause, joins: tuple[tuple[FromClause, ColumnElement[bool]], ...]) -> FromClause:
    """``start`` with each shown foreign key's related table outer-joined on."""
    for table, on in joins:
        start = start.outerjoin(table, on)
    return start


@functools.cache
def record_class(model: type, fields: tuple[str, ...]) -> type:
    """A tuple of ``fields``, each read by name, with ``model``'s own methods and properties but
    none of its mapped attributes.

    Made from a slice of the query's row in one call, where an instance with a ``__dict__``
    took a dict and an object for the row and for each related row: 91 µs against 37 for 50
    expenses with their users and categories.
    """
    namespace: dict[str, Any] = {}
    for klass in reversed(model.__mro__):
        if klass.__module__.partition(".")[0] in FOREIGN_MODULES:
            continue  # the ORM's and typing's bases: nothing of the model's own
        for name, value in vars(klass).items():
            dunder = name.startswith("__") and name not in KEPT_DUNDERS
            if dunder or name.startswith("_sa_") or name in ORM_NAMES or isinstance(value, QueryableAttribute):
                continue
            namespace[name] = value
    namespace.update((field, property(operator.itemgetter(index))) for index, field in enumerate(fields))
    namespace["__slots__"] = ()
    return type(model.__name__, (tuple,), namespace)
