"""Reaching a page without reading the rows before it: the plan, the probe, the fetch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.admin import cursors
from webapp.admin.counting import Count
from webapp.admin.cursors import SortKey
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

if TYPE_CHECKING:
    from webapp.admin.queries import ListParams

# Rows one search page reads at most: a rare word answers in tens of milliseconds with
# "searched this far; search further", instead of reading a million rows.
SEARCH_WINDOW = 100_000


@dataclass(frozen=True)
class Plan:
    """Where a page starts: which way to read, from which row, skipping how many."""

    backward: bool = False
    boundary: tuple[Any, ...] | None = None  # read the rows after this one (before, backward)
    skip: int = 0
    take: int = 0
    number: int | None = 1
    from_end: int | None = None
    past_end: bool = False


def plan_page(params: ListParams, sort: Sequence[SortKey], total: Count, per_page: int, searching: bool) -> Plan:
    """Decide how to reach the page ``params`` names without reading the rows before it."""
    number = params.page if params.last is None else None
    if params.after or params.before:
        boundary = cursors.decode(sort, params.after or params.before)
        return Plan(bool(params.before), boundary, 0, per_page, number, params.last)
    pages = max(1, math.ceil(total.value / per_page)) if total.exact else None
    if params.last is not None:
        if pages is None or searching:
            return Plan(True, None, (params.last - 1) * per_page, per_page, None, params.last)
        number = pages - params.last + 1
        if number < 1:
            return Plan(past_end=True, number=None, from_end=params.last)
    assert number is not None
    if pages is not None and number > pages:
        return Plan(past_end=True, number=number)
    if pages is not None and not searching and number - 1 > pages - number:
        # Nearer the end: read backwards, skipping only the rows after this page. (A search
        # reads forwards in windows, so its pages are always counted from the start.)
        after_page = total.value - number * per_page
        take = per_page if after_page >= 0 else total.value - (number - 1) * per_page
        return Plan(True, None, max(0, after_page), take, number)
    return Plan(False, None, (number - 1) * per_page, per_page, number)


def fetch(
    entry: ModelAdmin, sort: Sequence[SortKey], where: list[Any], match: Any | None, plan: Plan
) -> tuple[list[Any], bool, tuple[Any, ...] | None]:
    """The page's rows in list order, whether more lie beyond them, and a search's window end."""
    order = cursors.flipped(sort) if plan.backward else tuple(sort)
    conditions = list(where)
    if plan.boundary is not None:
        conditions.append(cursors.after(order, plan.boundary))
    window_end, skip = None, plan.skip
    if match is not None:
        window_end = probe(entry, order, conditions, SEARCH_WINDOW - 1)
        if window_end is not None:
            conditions.append(cursors.up_to(order, window_end))
        conditions.append(match({key: getattr(entry.model, key) for key in entry.search_columns}))
    elif skip:
        start = probe(entry, order, conditions, skip - 1)  # the last row before the page
        if start is None:
            return [], False, None
        conditions.append(cursors.after(order, start))
        skip = 0
    query = select(entry.model).options(*eager(entry)).where(*conditions)
    query = query.order_by(*cursors.order_by(order, dialect())).offset(skip or None).limit(plan.take + 1)
    rows = list(db.session.scalars(query))  # many-to-one joins only: no duplicates to fold
    more = len(rows) > plan.take
    rows = rows[: plan.take]
    if plan.backward:
        rows.reverse()
    return rows, more, window_end


def probe(entry: ModelAdmin, order: Sequence[SortKey], conditions: list[Any], skip: int) -> tuple[Any, ...] | None:
    """The sort values of the row ``skip`` rows in, read from the index alone where it can."""
    query = select(*(key.column for key in order)).where(*conditions)
    query = query.order_by(*cursors.order_by(order, dialect())).offset(skip or None).limit(1)
    found = db.session.execute(query).first()
    return None if found is None else tuple(found)


def eager(entry: ModelAdmin) -> list[Any]:
    """Load every shown foreign key's related row with a join, not a query per row."""
    return [
        joinedload(getattr(entry.model, info.relation.name))
        for info in entry.columns
        if info.key in entry.list_columns and info.relation and info.relation.name
    ]


def dialect() -> str:
    """The name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name
