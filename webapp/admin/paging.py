"""Reaching a page without reading the rows before it: the plan, the probe, the fetch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import literal, select, true

from webapp.admin import cursors, records
from webapp.admin.counting import Count, Counter
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


def plan_page(params: ListParams, sort: Sequence[SortKey], total: Count | None, per_page: int, searching: bool) -> Plan:
    """Decide how to reach the page ``params`` names without reading the rows before it.

    ``total`` is None when the page needs no count to be found: the first page, or a cursor.
    """
    number = params.page if params.last is None else None
    if params.after or params.before:
        # A cursor's link names its page's number (page 1 needs no cursor); without one, the
        # number is unknown, as after a search's window stopped a page short.
        boundary = cursors.decode(sort, params.after or params.before)
        return Plan(bool(params.before), boundary, 0, per_page, number if number != 1 else None, params.last)
    pages = max(1, math.ceil(total.value / per_page)) if total is not None and total.exact else None
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
    entry: ModelAdmin,
    sort: Sequence[SortKey],
    where: list[Any],
    match: Any | None,
    plan: Plan,
    counter: Counter | None = None,
) -> tuple[list[Any], bool, tuple[Any, ...] | None, Count | None]:
    """The page's rows in list order, whether more lie beyond them, a search's window end, and
    the count of ``counter`` read with the rows (None when no row came back to carry it)."""
    order = cursors.flipped(sort) if plan.backward else tuple(sort)
    conditions = list(where)
    if plan.boundary is not None:
        conditions.append(cursors.after(order, plan.boundary))
    window_end, skip, count = None, plan.skip, None
    ordered = cursors.index_ordered(entry, order)
    if match is not None and ordered:
        # A window bounds the rows a search reads in index order. Where no index gives the
        # order, finding a window's end sorts the whole table, so the search reads it at once.
        assert counter is not None, "a search always counts with its window (see queries.list_page)"
        window_end, count = window(order, conditions, counter)
        counter = None  # counted with the window: the rows need not carry it
        if window_end is not None:
            conditions.append(cursors.up_to(order, window_end))
    if match is not None:
        conditions.append(match(entry.searched()))
    if entry.unique_key and (not ordered or (skip and match is None)):
        # Skip, or sort, the keys alone. (Without a unique key, joining back on the keys would
        # repeat identical rows; a search skips within its window.)
        conditions = skipped(entry, order, conditions, skip, plan.take + 1)
        skip = 0
    extra = counter.columns if counter is not None else ()
    try:
        rows, tail = read(entry, conditions, order, skip, plan.take + 1, extra)
    except records.Unlabelled:  # found out just now; the model's pages load ORM objects from here on
        rows, tail = read(entry, conditions, order, skip, plan.take + 1, extra)
    more = len(rows) > plan.take
    rows = rows[: plan.take]
    if plan.backward:
        rows.reverse()
    if counter is not None and tail is not None:
        count = counter.read(tail)
    return rows, more, window_end, count


def read(
    entry: ModelAdmin, conditions: list[Any], order: Sequence[SortKey], skip: int, limit: int, extra: Sequence[Any]
) -> tuple[list[Any], tuple[Any, ...] | None]:
    """Run the rows query (many-to-one joins only: no duplicates to fold)."""
    query = records.select_rows(entry, conditions, extra)
    query = query.order_by(*cursors.order_by(order, dialect())).offset(skip or None).limit(limit)
    return records.load(entry, query, len(extra))


def skipped(
    entry: ModelAdmin, order: Sequence[SortKey], conditions: list[Any], skip: int, limit: int
) -> list[Any]:
    """Conditions for the page ``skip`` rows in: its keys, read past the skipped rows in a subquery.

    The subquery reads the sort columns and the key alone, which an index answers without
    touching the rows; the rows themselves, and their related rows, are read for the page only.
    Where no index gives the order, the database sorts only those columns: SQLite sorted a
    million expenses with their users and categories joined in for 1.9 s to show the first
    page by description, and sorts their descriptions and keys alone in under 0.1 s.
    """
    key_columns = [entry.column(key).column for key in entry.primary_key]
    keys = select(*key_columns).where(*conditions)
    keys = keys.order_by(*cursors.order_by(order, dialect())).offset(skip).limit(limit).subquery()
    return [
        column.is_not_distinct_from(keys.c[column.key]) if column.nullable else column == keys.c[column.key]
        for column in key_columns
    ]


def probe(entry: ModelAdmin, order: Sequence[SortKey], conditions: list[Any], skip: int) -> tuple[Any, ...] | None:
    """The sort values of the row ``skip`` rows in, read from the index alone where it can."""
    query = select(*(key.column for key in order)).where(*conditions)
    query = query.order_by(*cursors.order_by(order, dialect())).offset(skip or None).limit(1)
    found = db.session.execute(query).first()
    return None if found is None else tuple(found)


def window(
    order: Sequence[SortKey], conditions: list[Any], counter: Counter
) -> tuple[tuple[Any, ...] | None, Count]:
    """The last row of a search's window (None when the rows end first), and ``counter``'s count.

    Both in one statement that always returns one row, whether the window ends or not.
    """
    end = select(*(key.column for key in order), literal(1).label("found")).where(*conditions)
    end = end.order_by(*cursors.order_by(order, dialect())).offset(SEARCH_WINDOW - 1).limit(1).subquery("window_end")
    counts = select(*(column.label(f"count_{index}") for index, column in enumerate(counter.columns)))
    counted = counts.subquery("counts")
    row = db.session.execute(select(counted, end).select_from(counted.outerjoin(end, true()))).one()
    width = len(counter.columns)
    values = tuple(row[width:-1])
    return (values if row[-1] is not None else None), counter.read(row[:width])


def dialect() -> str:
    """The name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name
