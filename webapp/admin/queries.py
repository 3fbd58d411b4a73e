"""The queries behind the list, dashboard and delete pages.

A list page costs at most two statements of its own, whatever its depth: the rows, with every
shown foreign key's row joined in and the bounded count as a subquery, and before them either
the count (for a page reached by number or from the end) or a search's window end. On SQLite
a search reads its window and rows in one statement, and its window's end only after a page
the window left short.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy import Select, and_, func, select
from werkzeug.exceptions import BadRequest

from webapp.admin import counting, cursors, filters, introspect, listing, paging, site, statements
from webapp.admin.paging import Plan, dialect, fetch, plan_page
from webapp.admin.counting import Count, count_rows
from webapp.admin.cursors import SortKey
from webapp.admin.filters import Filter
from webapp.admin.introspect import Dependent
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

MAX_PAGE = 10**9
# Characters a query string keeps as they are, as werkzeug's url_for leaves them.
QUERY_SAFE = "!$'()*,/:;?@"


@dataclass(frozen=True)
class ListParams:
    """What the list page was asked for, all from the query string."""

    page: int = 1
    sort: tuple[str, ...] = ()  # "col" or "-col", shown columns only
    q: str = ""
    filters: tuple[Filter, ...] = ()
    after: str = ""  # a cursor: the rows after this one (keyset pagination)
    before: str = ""  # a cursor: the rows before this one
    last: int | None = None  # the page counted from the end (1 is the last page)
    count_all: bool = False  # count exactly, however long it takes

    def query_string(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes`` applied; cursors only when given."""
        params: dict[str, Any] = {"sort": ",".join(self.sort), "q": self.q}
        params.update((item.name, item.raw) for item in self.filters)
        params["count"] = "all" if self.count_all else ""
        params["page"] = self.page if self.last is None else None
        params.update(changes)
        if params.get("page") == 1:
            del params["page"]
        return {key: value for key, value in params.items() if value not in ("", None)}

    def hidden_fields(self, *leave_out: str) -> list[tuple[str, str]]:
        """(name, value) pairs that keep this view's sort, search and filters in a GET form."""
        pairs = [(name, str(value)) for name, value in self.query_string(page=None).items()]
        return [(name, value) for name, value in pairs if name not in leave_out]


class Header(NamedTuple):
    """A column's header in the list: its label, the link that sorts by it, and how it sorts now."""

    key: str
    label: str
    href: str
    direction: str | None  # "ascending" or "descending" when the list is sorted by it
    indexed: bool  # an index serves the sort


@dataclass(frozen=True)
class Page:
    """One page of rows and what the list needs to draw its controls."""

    rows: list[Any]
    total: int
    params: ListParams
    per_page: int
    count: Count = field(default_factory=lambda: Count(0, "exact"))
    number: int | None = 1  # the page number, when known
    from_end: int | None = None  # the page counted from the end, when that is what is known
    links: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # first, prev, next, last
    search_stopped: bool = False  # the search read its window of rows and stopped
    labels: Mapping[str, str] = field(default_factory=dict)  # filter name -> related row's label
    entry: ModelAdmin | None = None
    window: int = paging.SEARCH_WINDOW

    @property
    def pages(self) -> int:
        """How many pages the counted rows span (at least one); a lower bound unless exact."""
        return max(1, math.ceil(self.total / self.per_page))

    @functools.cached_property
    def base(self) -> str:
        """The list's own URL, without a query string."""
        entry = self.entry
        return "" if entry is None else site.urls()[f"crud_{entry.slug}.index"]

    def url(self, query: Mapping[str, Any], base: str | None = None) -> str:
        """The list's URL (or ``base``) with ``query`` (from :meth:`ListParams.query_string`), as
        url_for spells it."""
        base = self.base if base is None else base
        return f"{base}?{urlencode(list(query.items()), safe=QUERY_SAFE)}" if query else base

    @property
    def export_href(self) -> str:
        """The CSV export of the rows this search and these filters show."""
        return self.action_url("export")

    @property
    def bulk_action(self) -> str:
        """Where the bulk form posts, keeping this view's search and filters."""
        return self.action_url("bulk")

    def action_url(self, action: str) -> str:
        """The URL of one of the list's actions (export, bulk), with this view's query string."""
        if self.entry is None:
            return ""
        endpoint = f"crud_{self.entry.slug}.{action}"
        return self.url(self.params.query_string(page=None), site.urls()[endpoint])

    @property
    def headers(self) -> list[Header]:
        """The table's column headers: each a link that sorts by it, then the other way."""
        if self.entry is None:
            return []
        current = self.params.sort[0] if self.params.sort else ""
        # The rest of the query string is the same for every header: sort comes first in it.
        rest = urlencode(list(self.params.query_string(sort=None, page=1).items()), safe=QUERY_SAFE)
        rest = f"&{rest}" if rest else ""
        found = []
        for key, label, up, down, indexed in sortable(self.entry):
            direction = "ascending" if current == key else "descending" if current == f"-{key}" else None
            found.append(Header(key, label, f"{self.base}?{down if current == key else up}{rest}", direction, indexed))
        return found

    def head(self) -> Markup:
        """The header cells of the table's columns (see headers)."""
        return listing.head(self.headers)

    @functools.cached_property
    def hrefs(self) -> dict[str, str]:
        """The URL of each of the pager's links (see links)."""
        return {name: self.url(query) for name, query in self.links.items()}

    def body(self, allowed: listing.Allowed) -> Markup:
        """The table's rows, each with the controls the account may use (a checkbox, edit, delete)."""
        if self.entry is None:
            return Markup()
        return listing.body(self.entry, self.rows, allowed)

    @property
    def search_label(self) -> str:
        """What the search box searches: «description», «name, secret name»."""
        return "" if self.entry is None else listing.search_label(self.entry)

    @property
    def settable(self) -> Markup:
        """The options of the bulk form's choice of a column to set."""
        return Markup() if self.entry is None else listing.settable(self.entry)

    @functools.cached_property
    def controls(self) -> list[filters.Control]:
        """The filter form's controls."""
        entry = self.entry
        return [] if entry is None else site.per_mount(("filters", entry.slug), lambda: filters.controls(entry))

    def fieldsets(self) -> Markup:
        """The filter form's fieldsets, holding this view's filters."""
        return filters.fieldsets(self.controls, self.chosen)

    @property
    def chosen(self) -> dict[str, str]:
        """What each filter input holds, by query-string name: its value as typed, or ''."""
        typed = {item.name: item.raw for item in self.params.filters}
        return {name: typed.get(name, "") for name in self.control_names}

    @property
    def control_names(self) -> list[str]:
        """Every query-string name the filter form sets."""
        return [name for control in self.controls for name in control.names]

    @property
    def cleared(self) -> dict[str, Any]:
        """Query-string changes that remove every filter and go back to page 1."""
        return {**{item.name: None for item in self.params.filters}, "page": 1}

    def describe(self, item: Filter) -> str:
        """A short sentence for an active filter."""
        assert self.entry is not None
        return filters.describe(self.entry, item, self.labels.get(item.name))


@functools.cache
def sortable(entry: ModelAdmin) -> tuple[tuple[str, str, str, str, bool], ...]:
    """Each shown column's key, label, ``sort=`` parameters (ascending, then descending) and
    whether an index serves the sort: the fixed part of the headers of every page."""
    indexed = cursors.indexed_columns(entry)
    found = []
    for key in entry.list_columns:
        up, down = (urlencode([("sort", value)], safe=QUERY_SAFE) for value in (key, f"-{key}"))
        found.append((key, entry.column(key).label, up, down, key in indexed))
    return tuple(found)


def parse_params(entry: ModelAdmin, args: Mapping[str, str]) -> ListParams:
    """Read and check the list's query string; anything malformed is a 400."""
    # Each name's first value, in a plain dict: werkzeug's MultiDict.get raises and catches a
    # BadRequestKeyError for every name the query string lacks, most of them on most pages.
    args = dict(args.items())
    page = whole_number(args, "page") or 1
    last = whole_number(args, "last")
    if last is not None and args.get("page", "").strip():
        raise BadRequest("Give either page or last, not both.")
    sort = tuple(part for part in args.get("sort", "").split(",") if part)
    for part in sort:
        if part.lstrip("-") not in entry.list_columns:
            raise BadRequest(
                f"Cannot sort by {part.lstrip('-')!r}: choose one of {', '.join(entry.list_columns)}."
            )
    q = args.get("q", "").strip()
    if "\x00" in q:
        raise BadRequest("The search cannot contain a NUL character.")
    after, before = args.get("after", "").strip(), args.get("before", "").strip()
    if after and before:
        raise BadRequest("Give either after or before, not both.")
    count = args.get("count", "").strip()
    if count not in ("", "all"):
        raise BadRequest("The count parameter takes only the value all.")
    params = ListParams(page, sort, q, filters.parse(entry, args), after, before, last, count == "all")
    if after or before:
        cursors.decode(sort_keys(entry, params), after or before)  # a 400 before any query
    return params


def whole_number(args: Mapping[str, str], name: str) -> int | None:
    """A page-like parameter from 1 to MAX_PAGE, None when absent; anything else is a 400."""
    raw = args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"The {name} must be a whole number from 1 to {MAX_PAGE}.")
    return int(raw)


def sort_keys(entry: ModelAdmin, params: ListParams) -> tuple[SortKey, ...]:
    """The sort keys of the list ``params`` asks for, the primary key last."""
    return cursors.sort_keys(entry, params.sort or entry.default_order)


def list_page(entry: ModelAdmin, params: ListParams, per_page: int) -> Page:
    """Fetch one page of ``entry``'s rows: the rows with their count, after at most one statement.

    The count rides along with the rows as a subquery, unless the page must be planned from
    it (a page number past the first, or a page counted from the end, of a list that is not a
    search: a search reads forwards in windows whatever its count): then it comes first.
    """
    sort = sort_keys(entry, params)
    searching = bool(params.q and entry.search_columns)
    jump = deep_jump(params, per_page, searching)
    count = "jump" if jump else "all" if params.count_all else ""
    form = statements.form_of(entry, dialect(), params.filters, searching, count, paging.SEARCH_WINDOW)
    pattern = statements.like_pattern(params.q) if searching else None
    bound = statements.values(params.filters, pattern, jump=(params.page - 1) * per_page)
    cursor = bool(params.after or params.before)
    if not searching and (params.last is not None or (params.page > 1 and not cursor)):
        total = counted_first(form, bound)
        plan = plan_page(params, sort, total, per_page, False)
        rows, more, window_end, _ = ([], False, None, None) if plan.past_end else fetch(form, sort, plan, bound, False)
    else:
        plan = plan_page(params, sort, None, per_page, searching)
        rows, more, window_end, counted = fetch(form, sort, plan, bound, True)
        if searching and plan.skip and not rows:
            # Fewer matches than the pages before this one held: its number is unproven.
            plan = dataclasses.replace(plan, number=None)
        # No row came back to carry the count (an empty list, or a cursor past the end).
        total = counted if counted is not None else counted_first(form, bound)
    total = proven(total, plan, len(rows), more, window_end, per_page)
    # Rows that can be identical have no cursor that tells them apart: such a list links its
    # pages by number, a search too unless its window stopped short of the rows' end (the
    # next window starts after a row, by cursor); a page reached by a cursor has no number.
    by_number = (
        not entry.unique_key
        and (not searching or window_end is None)
        and (plan.number is not None or plan.from_end is not None)
    )
    return assemble(entry, params, sort, total, plan, rows, more, window_end, per_page, by_number)


def counted_first(form: statements.Form, bound: dict[str, Any]) -> Count:
    """The list's count, in a statement of its own."""
    return statements.counter(form).read(db.session.execute(statements.count(form), bound).one())


def proven(
    total: Count, plan: Plan, shown: int, more: bool, window_end: tuple[Any, ...] | None, per_page: int
) -> Count:
    """The count, made good by the rows the pages up to this one hold: ``shown`` here, and full pages before.

    A search's count ("found") is the matches its pages hold, and one more if more follow; it
    is exact once the search has read from its start to the rows' end with no window stopping
    it. A bounded count ("more than N") of a numbered page: page 30 said "Page 30 of more
    than 20". Such a page says more than the rows through it when rows follow it; the last
    page says the exact count when read by skipping from the start, and "at least" when
    reached by a link, whose page number rows added or deleted since may have made stale.
    """
    through = ((plan.number or 1) - 1) * per_page + shown
    if total.kind == "found":
        forward_from_start = plan.boundary is None and not plan.backward and (shown > 0 or plan.skip == 0)
        if forward_from_start and window_end is None and not more:
            return Count(through, "exact")
        return Count(through + (more and not plan.backward), "found")
    if total.kind != "more" or plan.number is None or not shown:
        return total
    if (plan.boundary is not None) if plan.backward else more:  # rows follow this page
        return Count(max(total.value, through), "more")
    if plan.backward:
        return total
    if plan.boundary is None:
        return Count(through, "exact")
    return Count(max(total.value + 1, through), "found")


def assemble(
    entry: ModelAdmin,
    params: ListParams,
    sort: Sequence[SortKey],
    total: Count,
    plan: Plan,
    rows: list[Any],
    more: bool,
    window_end: tuple[Any, ...] | None,
    per_page: int,
    by_number: bool,
) -> Page:
    """Work out the pager's links from what the fetch saw; ``by_number`` links pages by number, not cursor."""
    cut = window_end is not None
    stopped = cut and not more  # the search's window ended before the page was full
    started = plan.boundary is not None or plan.skip > 0
    if plan.past_end:
        before, beyond = True, False
    elif plan.backward:
        before, beyond = more or cut, started
    else:
        before, beyond = started or (plan.number or 1) > 1, more or cut
    exact_pages = max(1, math.ceil(total.value / per_page)) if total.exact else None
    # Beyond a page its window cut short, the way it was read, page numbers (and the matches
    # they imply) are unknown.
    back = {"page": None} if stopped and plan.backward else numbered(plan, -1)
    ahead = {"page": None} if stopped and not plan.backward else numbered(plan, +1)
    links: dict[str, dict[str, Any]] = {}
    if before:
        links["first"] = params.query_string(page=1)
        if by_number and not plan.past_end:
            links["prev"] = params.query_string(**back)
        else:
            links["prev"] = previous_link(params, sort, plan, rows, window_end, exact_pages, back)
    if beyond:
        if by_number:
            links["next"] = params.query_string(**ahead)
        else:
            edge = rows[-1] if rows and (more or plan.backward or not cut) else None
            token = cursors.encode(cursors.values_of(sort, edge) if edge is not None else window_end or ())
            links["next"] = params.query_string(after=token, **ahead)
        links["last"] = params.query_string(page=exact_pages) if exact_pages else params.query_string(page=None, last=1)
    if stopped:  # where the search goes on: the way this page was read
        links["further"] = links["prev" if plan.backward else "next"]
    return Page(
        rows,
        total.value,
        params,
        per_page,
        total,
        plan.number,
        plan.from_end,
        links,
        stopped,
        related_labels(entry, params, rows),
        entry,
        paging.SEARCH_WINDOW,
    )


def previous_link(
    params: ListParams,
    sort: Sequence[SortKey],
    plan: Plan,
    rows: list[Any],
    window_end: tuple[Any, ...] | None,
    exact_pages: int | None,
    back: dict[str, Any],
) -> dict[str, Any]:
    """The link to the page before this one: by cursor (numbered as ``back`` says), or page 1 plainly."""
    if plan.past_end or (not rows and window_end is None):
        return params.query_string(page=exact_pages) if exact_pages else params.query_string(page=None, last=1)
    if plan.number == 2 and plan.from_end is None:
        return params.query_string(page=1)
    values = cursors.values_of(sort, rows[0]) if rows else window_end
    assert values is not None
    return params.query_string(before=cursors.encode(values), **back)


def numbered(plan: Plan, step: int) -> dict[str, Any]:
    """The page number (or number from the end) of the page ``step`` away, when known."""
    if plan.number is not None:
        return {"page": plan.number + step}
    if plan.from_end is not None and plan.from_end - step >= 1:
        return {"page": None, "last": plan.from_end - step}
    return {"page": None}


def related_labels(entry: ModelAdmin, params: ListParams, rows: list[Any]) -> dict[str, str]:
    """Labels of the rows a foreign key filter names, read from the loaded rows (no query)."""
    labels = {}
    for item in params.filters:
        info = entry.column(item.key)
        if item.lookup or info.relation is None or not info.relation.name or not rows:
            continue
        other = getattr(rows[0], info.relation.name)
        if other is not None:
            labels[item.name] = str(other)
    return labels


def deep_jump(params: ListParams, per_page: int, searching: bool) -> bool:
    """Whether a page number lies past the bounded count of a whole table (see counting.jump_counter).

    Such a page is read from the nearer end once the table is counted exactly: at most half
    the index is skipped, where reading forwards skips every row before the page.
    """
    deep = (params.page - 1) * per_page > counting.COUNT_LIMIT
    plain = not (params.after or params.before or params.last or params.filters or searching or params.count_all)
    return deep and plain


def matcher(entry: ModelAdmin, q: str) -> Any | None:
    """A function of columns giving the search condition for ``q``, or None for no search."""
    if not q or not entry.search_columns:
        return None
    return statements.matching(entry, dialect(), statements.like_pattern(q))


def filtered(entry: ModelAdmin, query: Select[Any], params: ListParams) -> Select[Any]:
    """Apply the search and filters of ``params`` to ``query`` (unbounded: for exports)."""
    match = matcher(entry, params.q)
    if match is not None:
        query = query.where(match(entry.searched()))
    return query.where(*(filters.condition(entry, item) for item in params.filters))


def ordering(entry: ModelAdmin, sort: tuple[str, ...]) -> list[Any]:
    """ORDER BY terms for ``sort``, with the primary key last so pages never overlap."""
    return cursors.order_by(cursors.sort_keys(entry, sort or entry.default_order), dialect())


def count(entry: ModelAdmin) -> Count:
    """How many rows ``entry``'s table holds, reading at most COUNT_LIMIT of them (prints as text)."""
    return count_rows(entry, [], None, False)


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
