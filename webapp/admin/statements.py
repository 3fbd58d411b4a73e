"""A list page's statements, built once for each form of page and run with that page's values.

Building a page's statements, and SQLAlchemy's finding their compiled SQL again (the cache
key of a fresh statement walks all of it), took more Python time than SQLite took to run
them: under gunicorn, with a million expenses, reusing them took the first page from 5.4 to
4.9 ms and a search from 10.7 to 9.1. So statements are built from the *form* of a page,
never from its values: its table and order, the kind of each filter, whether it searches,
which of a cursor's values are NULL, and how it counts. Every value is a named, required bind
parameter that the page fills when the statement runs (:func:`values`): a value left out is
an error, never another page's. Each builder takes only the form, so a form's statements are
built once (the most recently used forms are kept).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Integer, Select, String, and_, bindparam, literal, or_, select, true, type_coerce
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from webapp.admin import counting, cursors, filters, records
from webapp.admin.counting import Counter
from webapp.admin.cursors import SortKey
from webapp.admin.registry import ModelAdmin

if TYPE_CHECKING:
    from webapp.admin.filters import Filter

FORMS = 512  # statements of each kind kept: forms of page in use
Nulls = tuple[bool, ...] | None  # which values of a cursor are NULL; None for no cursor
SKIP = bindparam("skip", type_=Integer(), required=True)
TAKE = bindparam("take", type_=Integer(), required=True)
JUMP = bindparam("jump", type_=Integer(), required=True)  # the rows a numbered page skips
SEARCH = bindparam("search", type_=String(), required=True)  # the LIKE pattern


class Form(NamedTuple):
    """What a list's statements are made of, whatever the page's values."""

    entry: ModelAdmin
    dialect: str
    filters: tuple[tuple[str, str, bool | None], ...]  # key, lookup and (for isnull) its value
    searching: bool
    count: str  # "jump" for a deep page number, "all" when asked to count exactly, else ""
    count_limit: int  # counting.COUNT_LIMIT and paging's window, read when the form is made
    search_window: int


def form_of(entry: ModelAdmin, dialect: str, found: Sequence[Filter], searching: bool, count: str, window: int) -> Form:
    """The form of a list: ``found`` are its filters."""
    shapes = tuple((item.key, item.lookup, item.value if item.lookup == "isnull" else None) for item in found)
    return Form(entry, dialect, shapes, searching, count, counting.COUNT_LIMIT, window)


def nulls(values: Sequence[Any] | None) -> Nulls:
    """Which of a cursor's values are NULL: what its condition is made of."""
    return None if values is None else tuple(value is None for value in values)


def values(found: Sequence[Filter], pattern: str | None, **named: Any) -> dict[str, Any]:
    """A page's bind values: its filters', its search's, then ``named`` (skip, take, jump, cursors')."""
    bound = {name_of(item.key, item.lookup): item.value for item in found if item.lookup != "isnull"}
    if pattern is not None:
        bound[SEARCH.key] = pattern
    bound.update(named)
    return bound


def cursor_values(prefix: str, row: Sequence[Any] | None) -> dict[str, Any]:
    """The bind values of a cursor, named as :func:`placeholders` names them."""
    return {} if row is None else {f"{prefix}_{index}": value for index, value in enumerate(row) if value is not None}


def name_of(key: str, lookup: str) -> str:
    """The bind parameter of a filter's value."""
    return f"filter_{key}__{lookup}"


def placeholders(prefix: str, order: Sequence[SortKey], null: tuple[bool, ...]) -> tuple[Any, ...]:
    """A cursor's values as bind parameters (None where the value is NULL), for cursors.after."""
    return tuple(
        None if is_null else bindparam(f"{prefix}_{index}", type_=key.column.type, required=True)
        for index, (key, is_null) in enumerate(zip(order, null))
    )


def from_cursor(form: Form, order: tuple[SortKey, ...], after: Nulls) -> list[ColumnElement[bool]]:
    """The filters' conditions, then the rows after the cursor (``after`` its NULL values), if any."""
    conditions = where(form)
    if after is not None:
        conditions.append(cursors.after(order, placeholders("after", order, after)))
    return conditions


def where(form: Form) -> list[ColumnElement[bool]]:
    """The filters' conditions, each value a bind parameter."""
    entry, found = form.entry, []
    for key, lookup, isnull in form.filters:
        value: Any = isnull if lookup == "isnull" else bindparam(
            name_of(key, lookup), type_=entry.column(key).column.type, required=True
        )
        found.append(filters.condition(entry, filters.Filter(key, lookup, "", value)))
    return found


def search(form: Form) -> Callable[[Mapping[str, Any]], ColumnElement[bool]] | None:
    """The search condition as a function of columns, its pattern a bind parameter; None when
    the list does not search."""
    return matching(form.entry, form.dialect, SEARCH) if form.searching else None


def like_pattern(q: str) -> str:
    """The LIKE pattern that finds ``q`` anywhere in a text, its ``%``, ``_`` and ``\\`` escaped."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching(entry: ModelAdmin, dialect: str, pattern: Any) -> Callable[[Mapping[str, Any]], ColumnElement[bool]]:
    """A function of columns giving the search condition for ``pattern`` (a value or a bind parameter)."""
    # SQLite's LIKE already ignores ASCII case, and its lower() knows no other letters, so
    # ilike's lower(column) LIKE lower(pattern) only adds a function call per row scanned.
    sqlite = dialect == "sqlite"

    def match(columns: Mapping[str, Any]) -> ColumnElement[bool]:
        # As plain text: an Enum column would refuse the pattern as "not among its members".
        text = [type_coerce(columns[key], String()) for key in entry.search_columns]
        return or_(*(
            column.like(pattern, escape="\\") if sqlite else column.ilike(pattern, escape="\\") for column in text
        ))

    return match


@functools.lru_cache(maxsize=FORMS)
def counter(form: Form) -> Counter:
    """The list's count, as columns of a SELECT."""
    entry = form.entry
    if form.count == "jump":
        return counting.jump_counter(entry, form.dialect, JUMP)
    return counting.counter_for(entry, where(form), search(form), form.count == "all")


@functools.lru_cache(maxsize=FORMS)
def count(form: Form) -> Select[Any]:
    """The count on its own."""
    return select(*counter(form).columns)


@functools.lru_cache(maxsize=FORMS)
def window(form: Form, order: tuple[SortKey, ...], after: Nulls) -> Select[Any]:
    """The last row of a search's window, and the list's count: one statement that always
    returns one row, whether the window ends or not (paging.window reads it)."""
    end = select(*(key.column for key in order), literal(1).label("found")).where(*from_cursor(form, order, after))
    end = end.order_by(*cursors.order_by(order, form.dialect)).offset(form.search_window - 1).limit(1)
    ended = end.subquery("window_end")
    counted = select(*(column.label(f"count_{index}") for index, column in enumerate(counter(form).columns)))
    counts = counted.subquery("counts")
    return select(counts, ended).select_from(counts.outerjoin(ended, true()))


def in_one_pass(form: Form) -> bool:
    """Whether a search reads its window and its rows in one statement (see :func:`scoped`):
    on SQLite, for a table whose key joins the window back to its rows."""
    return form.searching and form.dialect == "sqlite" and form.entry.unique_key


@functools.lru_cache(maxsize=FORMS)
def scoped(form: Form, order: tuple[SortKey, ...], after: Nulls) -> Select[Any]:
    """A search page's rows, read within the search's window, and the list's count, in one
    statement (SQLite, records only; :func:`in_one_pass`).

    The window is a subquery: the keys of the next ``search_window`` rows in list order, read
    from the index alone. SQLite runs it as a co-routine on the left of a LEFT JOIN, so as the
    join's outer loop: it hands over one key at a time, in its own order, and the row of each
    is read, searched, and joined to its related rows. The statement stops at the page's last
    match, having read only the rows up to it; it never reads past the window.

    The statement has no ORDER BY, as sorting would read the whole window first: the rows come
    out in the window's order because SQLite nests the loops of a join in the order a LEFT
    JOIN gives. PostgreSQL and MariaDB may hash a join instead, so they find the window's end
    first (:func:`window`) and read the rows in an ordered query (:func:`rows`).

    With a million expenses, SQLite finds a page of matches for a word in 1 % of them in
    1.2 ms this way, where finding the window's end and then the rows took 1.9 ms, and the
    same query with no window at all takes 1.1 ms (sqlite3 alone, medians of 300 runs). Only
    a page the window leaves short needs its end (paging.fetch): a rare word's page, which
    has read the whole window already.
    """
    entry = form.entry
    key_columns = [entry.column(key).column for key in entry.primary_key]
    keys = select(*key_columns).where(*from_cursor(form, order, after))
    keys = keys.order_by(*cursors.order_by(order, form.dialect)).limit(form.search_window).subquery("scope")
    on = and_(*(column == keys.c[column.key] for column in key_columns))
    match = search(form)
    assert match is not None, "only a search reads its window this way"
    query = records.select_rows(entry, [match(entry.searched())], counter(form).columns, False, (keys, on))
    return query.offset(SKIP).limit(TAKE)


@functools.lru_cache(maxsize=FORMS)
def rows(
    form: Form, order: tuple[SortKey, ...], after: Nulls, up_to: Nulls, skipping: bool, counted: bool, orm: bool
) -> Select[Any]:
    """The page's rows, with the count's columns last when ``counted``.

    ``orm`` is whether the model loads ORM objects (records.NEEDS_ORM), which changes the query.
    """
    entry = form.entry
    conditions = from_cursor(form, order, after)
    if up_to is not None:
        conditions.append(cursors.up_to(order, placeholders("window", order, up_to)))
    match = search(form)
    if match is not None:
        conditions.append(match(entry.searched()))
    offset: BindParameter[Any] | None = SKIP
    if entry.unique_key and (not cursors.index_ordered(entry, order) or (skipping and not form.searching)):
        # Skip, or sort, the keys alone (see skipped). Without a unique key, joining back on
        # the keys would repeat identical rows; a search skips within its window.
        conditions, offset = skipped(form, order, conditions), None
    extra = counter(form).columns if counted else ()
    query = records.select_rows(entry, conditions, extra, orm)
    return query.order_by(*cursors.order_by(order, form.dialect)).offset(offset).limit(TAKE)


def skipped(form: Form, order: tuple[SortKey, ...], conditions: list[Any]) -> list[Any]:
    """Conditions for the page ``skip`` rows in: its keys, read past the skipped rows in a subquery.

    The subquery reads the sort columns and the key alone, which an index answers without
    touching the rows; the rows themselves, and their related rows, are read for the page only.
    Where no index gives the order, the database sorts only those columns: SQLite sorted a
    million expenses with their users and categories joined in for 1.9 s to show the first
    page by description, and sorts their descriptions and keys alone in under 0.1 s.
    """
    entry = form.entry
    key_columns = [entry.column(key).column for key in entry.primary_key]
    keys = select(*key_columns).where(*conditions)
    keys = keys.order_by(*cursors.order_by(order, form.dialect)).offset(SKIP).limit(TAKE).subquery()
    return [
        column.is_not_distinct_from(keys.c[column.key]) if column.nullable else column == keys.c[column.key]
        for column in key_columns
    ]
