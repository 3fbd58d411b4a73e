"""Row counts that never read a whole table unasked: exact when cheap, else bounded or estimated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, case, cast, column, func, literal, select, table
from sqlalchemy.sql.elements import ColumnElement

from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

# Rows a count reads at most unless the user asks for the exact figure: about a
# millisecond on SQLite, where counting a million rows takes a few.
COUNT_LIMIT = 10_000

PG_CLASS = table("pg_class", column("oid"), column("reltuples"))
MYSQL_TABLES = table(
    "TABLES", column("TABLE_SCHEMA"), column("TABLE_NAME"), column("TABLE_ROWS"), schema="information_schema"
)


@dataclass(frozen=True)
class Count:
    """How many rows a list has, and how sure we are."""

    value: int
    kind: str  # "exact"; "more" (more than value); "estimate" (about value); "sampled" (at least value)
    sample: int = COUNT_LIMIT  # rows read for a "more" or "sampled" count

    @property
    def exact(self) -> bool:
        """Whether ``value`` is the true number of rows."""
        return self.kind == "exact"

    def __str__(self) -> str:
        """«3», «more than 10,000», «about 1,000,000», «at least 94»."""
        if self.kind == "exact":
            return str(self.value)
        prefix = {"more": "more than", "estimate": "about"}.get(self.kind, "at least")
        return f"{prefix} {self.value:,}"


def count_rows(
    entry: ModelAdmin,
    where: Sequence[ColumnElement[bool]],
    match: Any | None,
    exact: bool,
) -> Count:
    """Count the rows that pass ``where`` and the search ``match`` (a callable of columns)."""
    model, limit = entry.model, COUNT_LIMIT
    if exact:
        conditions = [*where, *([match(entry_columns(entry))] if match else [])]
        number = db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
        return Count(number, "exact")
    if match is not None:
        # A search cannot use an index: read at most ``limit`` rows and count matches among them.
        labelled = [attribute.label(key) for key, attribute in entry_columns(entry).items()]
        sample = select(literal(1).label("_one"), *labelled).where(*where).limit(limit + 1).subquery()
        hit = case((match(sample.c), 1), else_=0)
        read, matched = db.session.execute(select(func.count(), func.coalesce(func.sum(hit), 0)).select_from(sample)).one()
        return Count(int(matched), "exact" if read <= limit else "sampled", limit)
    limited = select(literal(1)).select_from(model).where(*where).limit(limit + 1).subquery()
    counted = select(func.count()).select_from(limited).scalar_subquery()
    estimate = None if where else estimate_query(entry)
    if estimate is None:
        number = db.session.scalar(select(counted)) or 0
        guess = None
    else:
        number, guess = db.session.execute(select(counted, estimate)).one()
    if number <= limit:
        return Count(int(number), "exact")
    if guess is not None and int(guess) > limit:
        return Count(int(guess), "estimate")
    return Count(limit, "more", limit)


def entry_columns(entry: ModelAdmin) -> dict[str, Any]:
    """The search columns of ``entry`` by key, as mapped attributes."""
    return {key: getattr(entry.model, key) for key in entry.search_columns}


def estimate_query(entry: ModelAdmin) -> Any | None:
    """The database's own row estimate for the table, where it keeps one (PostgreSQL, MariaDB)."""
    dialect = db.session.get_bind().dialect.name
    name = entry.model.__table__.name
    if dialect == "postgresql":
        return (
            select(cast(PG_CLASS.c.reltuples, BigInteger))
            .where(PG_CLASS.c.oid == func.to_regclass(name))
            .scalar_subquery()
        )
    if dialect in ("mysql", "mariadb"):
        return (
            select(MYSQL_TABLES.c.TABLE_ROWS)
            .where(MYSQL_TABLES.c.TABLE_SCHEMA == func.database(), MYSQL_TABLES.c.TABLE_NAME == name)
            .scalar_subquery()
        )
    return None
