"""Reaching a page without reading the rows before it: the plan, the probe, the fetch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from webapp.admin import cursors, records, statements
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
    form: statements.Form, sort: Sequence[SortKey], plan: Plan, bound: dict[str, Any], counted: bool
) -> tuple[list[Any], bool, tuple[Any, ...] | None, Count | None]:
    """The page's rows in list order, whether more lie beyond them, a search's window end, and
    the count, when ``counted``: read with the rows (None when no row came back to carry it).

    The window's end is None when the rows end before it, and when a search read in one pass
    (statements.scoped) filled its page: the next page's link then starts after its last row.

    ``bound`` holds the page's filter and search values (see statements.values).
    """
    entry = form.entry
    order = cursors.flipped(sort) if plan.backward else tuple(sort)
    after = statements.nulls(plan.boundary)
    bound = {**bound, **statements.cursor_values("after", plan.boundary), "skip": plan.skip, "take": plan.take + 1}
    window_end, count = None, None
    windowed = form.searching and cursors.index_ordered(entry, order)
    # A window bounds the rows a search reads in index order. Where no index gives the order,
    # finding a window's end sorts the whole table, so the search reads it at once.
    assert counted or not windowed, "a search always counts with its window (see queries.list_page)"
    found = scoped(form, order, after, bound) if windowed and statements.in_one_pass(form) else None
    if found is not None:
        rows, tail = found
        if len(rows) <= plan.take:  # the page is not full: did its window stop it, or the rows?
            window_end, count = window(form, order, after, bound)
            counted = False
    else:
        if windowed:
            window_end, count = window(form, order, after, bound)
            counted = False  # counted with the window: the rows need not carry it
            bound.update(statements.cursor_values("window", window_end))
        try:
            rows, tail = read(form, order, after, window_end, plan.skip > 0, counted, bound)
        except records.Unlabelled:  # found out just now; the model's pages load ORM objects from here on
            rows, tail = read(form, order, after, window_end, plan.skip > 0, counted, bound)
    more = len(rows) > plan.take
    rows = rows[: plan.take]
    if plan.backward:
        rows.reverse()
    if counted and tail is not None:
        count = statements.counter(form).read(tail)
    return rows, more, window_end, count


def read(
    form: statements.Form,
    order: tuple[SortKey, ...],
    after: statements.Nulls,
    window_end: tuple[Any, ...] | None,
    skipping: bool,
    counted: bool,
    bound: dict[str, Any],
) -> tuple[list[Any], tuple[Any, ...] | None]:
    """Run the rows query (many-to-one joins only: no duplicates to fold)."""
    entry = form.entry
    orm = entry.model in records.NEEDS_ORM
    statement = statements.rows(form, order, after, statements.nulls(window_end), skipping, counted, orm)
    extra = len(statements.counter(form).columns) if counted else 0
    return records.load(entry, statement, extra, bound)


def scoped(
    form: statements.Form, order: tuple[SortKey, ...], after: statements.Nulls, bound: dict[str, Any]
) -> tuple[list[Any], tuple[Any, ...] | None] | None:
    """A search page's rows read within its window in one statement, with the count's values
    (statements.scoped); None where the model's records cannot be labelled."""
    if form.entry.model in records.NEEDS_ORM:
        return None
    extra = len(statements.counter(form).columns)
    try:
        return records.load(form.entry, statements.scoped(form, order, after), extra, bound)
    except records.Unlabelled:  # the model's pages load ORM objects from here on
        return None


def probe(entry: ModelAdmin, order: Sequence[SortKey], conditions: list[Any], skip: int) -> tuple[Any, ...] | None:
    """The sort values of the row ``skip`` rows in, read from the index alone where it can."""
    query = select(*(key.column for key in order)).where(*conditions)
    query = query.order_by(*cursors.order_by(order, dialect())).offset(skip or None).limit(1)
    found = db.session.execute(query).first()
    return None if found is None else tuple(found)


def window(
    form: statements.Form, order: tuple[SortKey, ...], after: statements.Nulls, bound: dict[str, Any]
) -> tuple[tuple[Any, ...] | None, Count]:
    """The last row of a search's window (None when the rows end first), and the list's count."""
    counter = statements.counter(form)
    row = db.session.execute(statements.window(form, order, after), bound).one()
    width = len(counter.columns)
    values = tuple(row[width:-1])
    return (values if row[-1] is not None else None), counter.read(row[:width])


def dialect() -> str:
    """The name of the database dialect the session talks to."""
    return db.session.get_bind().dialect.name
