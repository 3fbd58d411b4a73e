"""The queries behind the list, dashboard and delete pages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import BadRequest

from webapp.admin import introspect
from webapp.admin.introspect import Dependent
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

MAX_PAGE = 10**9


@dataclass(frozen=True)
class ListParams:
    """What the list page was asked for, all from the query string."""

    page: int = 1
    sort: tuple[str, ...] = ()  # "col" or "-col", shown columns only
    q: str = ""

    def query_string(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes`` applied, defaults left out."""
        params = {"page": self.page, "sort": ",".join(self.sort), "q": self.q, **changes}
        return {key: value for key, value in params.items() if value not in ("", None, 1)}


@dataclass(frozen=True)
class Page:
    """One page of rows and what the list needs to draw its controls."""

    rows: list[Any]
    total: int
    params: ListParams
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the whole result spans (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def parse_params(entry: ModelAdmin, args: Mapping[str, str]) -> ListParams:
    """Read and check the list's query string; anything malformed is a 400."""
    raw_page = args.get("page", "1").strip() or "1"
    if not raw_page.isascii() or not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
        raise BadRequest(f"The page must be a whole number from 1 to {MAX_PAGE}.")
    sort = tuple(part for part in args.get("sort", "").split(",") if part)
    for part in sort:
        if part.lstrip("-") not in entry.list_columns:
            raise BadRequest(
                f"Cannot sort by {part.lstrip('-')!r}: choose one of {', '.join(entry.list_columns)}."
            )
    q = args.get("q", "").strip()
    if "\x00" in q:
        raise BadRequest("The search cannot contain a NUL character.")
    return ListParams(int(raw_page), sort, q)


def list_page(entry: ModelAdmin, params: ListParams, per_page: int) -> Page:
    """Fetch one page of ``entry``'s rows, with related rows loaded in the same query."""
    query = filtered(entry, select(entry.model), params)
    total = db.session.scalar(filtered(entry, select(func.count()).select_from(entry.model), params)) or 0
    query = query.order_by(*ordering(entry, params.sort or entry.default_order))
    query = query.options(*eager(entry)).limit(per_page).offset((params.page - 1) * per_page)
    return Page(list(db.session.scalars(query).unique()), total, params, per_page)


def filtered(entry: ModelAdmin, query: Select[Any], params: ListParams) -> Select[Any]:
    """Apply the search of ``params`` to ``query``."""
    if params.q and entry.search_columns:
        pattern = "%" + params.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = [getattr(entry.model, key).ilike(pattern, escape="\\") for key in entry.search_columns]
        query = query.where(or_(*matches))
    return query


def ordering(entry: ModelAdmin, sort: tuple[str, ...]) -> list[Any]:
    """ORDER BY terms for ``sort``, with the primary key last so pages never overlap."""
    terms, seen = [], set()
    for part in (*sort, *entry.primary_key):
        key = part.lstrip("-")
        if key in seen:
            continue
        seen.add(key)
        column = getattr(entry.model, key)
        terms.append(column.desc() if part.startswith("-") else column.asc())
    return terms


def eager(entry: ModelAdmin) -> list[Any]:
    """Load every shown foreign key's related row with a join, not a query per row."""
    return [
        joinedload(getattr(entry.model, info.relation.name))
        for info in entry.columns
        if info.key in entry.list_columns and info.relation and info.relation.name
    ]


def count(entry: ModelAdmin) -> int:
    """How many rows ``entry``'s table holds."""
    return db.session.scalar(select(func.count()).select_from(entry.model)) or 0


@dataclass(frozen=True)
class Dependents:
    """Rows of another table that refer to the row about to be deleted."""

    dependent: Dependent
    count: int


def dependents_of(entry: ModelAdmin, row: Any) -> list[Dependents]:
    """Count, per referencing foreign key, the rows that refer to ``row``."""
    found = []
    for dependent in introspect.dependents(entry.model):
        table = dependent.table
        referenced = entry.model.__table__.c
        values = [_value_of(entry, row, referenced[name]) for name in dependent.remote]
        condition = and_(*(table.c[name] == value for name, value in zip(dependent.local, values)))
        number = db.session.scalar(select(func.count()).select_from(table).where(condition)) or 0
        found.append(Dependents(dependent, number))
    return found


def _value_of(entry: ModelAdmin, row: Any, column: Any) -> Any:
    """Read the value of a table column from a mapped row."""
    return getattr(row, introspect.mapper_of(entry.model).get_property_by_column(column).key)
