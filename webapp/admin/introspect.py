"""Read what the admin needs from a mapped class: columns, keys, relations, dependents."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, Integer, SmallInteger, Table, inspect
from sqlalchemy.orm import Mapper, RelationshipProperty


# The ranges every backend accepts for each declared integer type (SQLite takes more,
# but a value that only SQLite accepts would break a move to PostgreSQL or MariaDB).
INTEGER_RANGES: dict[type, tuple[int, int]] = {
    SmallInteger: (-(2**15), 2**15 - 1),
    Integer: (-(2**31), 2**31 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
}


def integer_range(kind: Any) -> tuple[int, int]:
    """Return the smallest and largest value a column of integer type ``kind`` holds."""
    for cls in (SmallInteger, BigInteger):
        if isinstance(kind, cls):
            return INTEGER_RANGES[cls]
    return INTEGER_RANGES[Integer]


@dataclass(frozen=True)
class Relation:
    """A single-column foreign key seen from the referencing column."""

    target: type  # the mapped class of the referenced table
    target_key: str  # attribute key of the referenced column
    name: str | None  # the relationship attribute that loads the related row, if any


@dataclass(frozen=True)
class ColumnInfo:
    """One mapped column as the admin sees it."""

    key: str  # attribute key: the form field name and the query-string name
    column: Column[Any]
    label: str
    relation: Relation | None
    generated: bool  # filled by the database: autoincrement key, server default, on-update

    @property
    def primary_key(self) -> bool:
        """Whether the column is part of the primary key."""
        return bool(self.column.primary_key)

    @property
    def required(self) -> bool:
        """Whether a new row needs a value from the user."""
        return not self.column.nullable and self.column.default is None and not self.generated


@dataclass(frozen=True)
class Dependent:
    """A foreign key of another table that points at this one."""

    table: Table
    constraint: ForeignKeyConstraint
    local: tuple[str, ...]  # referencing column names in ``table``
    remote: tuple[str, ...]  # referenced column names in this table

    @property
    def action(self) -> str:
        """What deleting the referenced row does: ``block``, ``cascade`` or ``set null``."""
        ondelete = (self.constraint.ondelete or "").upper()
        if ondelete == "CASCADE":
            return "cascade"
        if ondelete in ("SET NULL", "SET DEFAULT"):
            return "set null"
        return "block"


def humanize(name: str) -> str:
    """Turn ``secret_name`` or ``UserData`` into ``Secret name`` or ``User data``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


def mapper_of(model: type) -> Mapper[Any]:
    """Return the mapper of a mapped class."""
    return inspect(model)


def table_of(model: type) -> Table:
    """Return the table a model is mapped to."""
    table = mapper_of(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a single table")
    return table


def columns(model: type) -> tuple[ColumnInfo, ...]:
    """Describe every mapped column of ``model`` in table order."""
    mapper = mapper_of(model)
    infos = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if not isinstance(column, Column) or column.table is not table_of(model):
            continue
        relation = relation_of(mapper, column)
        label = humanize(relation.name) if relation and relation.name else humanize(prop.key)
        if relation and not relation.name and prop.key.endswith("_id"):
            label = humanize(prop.key[: -len("_id")])
        infos.append(ColumnInfo(prop.key, column, label, relation, is_generated(column)))
    return tuple(infos)


def is_generated(column: Column[Any]) -> bool:
    """Whether the database, not the user, fills ``column``."""
    return (
        column is column.table.autoincrement_column
        or column.server_default is not None
        or column.server_onupdate is not None
        or column.onupdate is not None
        or column.computed is not None
    )


def relation_of(mapper: Mapper[Any], column: Column[Any]) -> Relation | None:
    """Describe the single-column foreign key on ``column``, if it has one."""
    keys = [fk for fk in column.foreign_keys if len(fk.constraint.elements) == 1]
    if not keys:
        return None
    referenced = keys[0].column
    target = model_for_table(mapper, referenced.table)
    if target is None:
        return None
    target_key = mapper_of(target).get_property_by_column(referenced).key
    return Relation(target, target_key, relationship_over(mapper, column))


def relationship_over(mapper: Mapper[Any], column: Column[Any]) -> str | None:
    """Name the many-to-one relationship whose only local column is ``column``."""
    for rel in mapper.relationships:
        if isinstance(rel, RelationshipProperty) and rel.direction.name == "MANYTOONE":
            if set(rel.local_columns) == {column}:
                return rel.key
    return None


def model_for_table(mapper: Mapper[Any], table: Any) -> type | None:
    """Find the class mapped to ``table`` in the same registry as ``mapper``."""
    for other in mapper.registry.mappers:
        if other.local_table is table:
            return other.class_
    return None


def primary_key(model: type) -> tuple[str, ...]:
    """Attribute keys of the primary key columns, in key order."""
    mapper = mapper_of(model)
    return tuple(mapper.get_property_by_column(col).key for col in mapper.primary_key)


def unique_sets(model: type) -> tuple[tuple[str, ...], ...]:
    """Attribute keys of every unique column and unique constraint (not the primary key)."""
    mapper = mapper_of(model)
    table = table_of(model)
    sets: list[tuple[str, ...]] = []
    for constraint in table.constraints:
        if type(constraint).__name__ == "UniqueConstraint":
            sets.append(tuple(mapper.get_property_by_column(col).key for col in constraint.columns))
    for index in table.indexes:
        if index.unique and all(isinstance(col, Column) for col in index.expressions):
            sets.append(tuple(mapper.get_property_by_column(col).key for col in index.columns))
    for column in table.columns:
        if column.unique and not any(s == (column.key,) for s in sets):
            sets.append((mapper.get_property_by_column(column).key,))
    return tuple(dict.fromkeys(sets))


def dependents(model: type) -> tuple[Dependent, ...]:
    """Every foreign key in the metadata that refers to ``model``'s table."""
    table = table_of(model)
    found = []
    for other in table.metadata.sorted_tables:
        for constraint in other.foreign_key_constraints:
            if constraint.referred_table is table:
                local = tuple(col.name for col in constraint.columns)
                remote = tuple(element.column.name for element in constraint.elements)
                found.append(Dependent(other, constraint, local, remote))
    return tuple(found)
