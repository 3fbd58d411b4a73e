"""The list table's header cells and rows, each printed in one pass as one string.

A page of 50 rows printed by the template cost more than its queries: some 250 URLs built
with ``url_for``, every cell and link read through Jinja's attribute lookup, and the row's
label escaped once per place it appears. Here each URL is a template filled with the key,
each value is escaped once (integers need none), and a row is a handful of f-strings. The
header cells went the same way, 15 µs less a page than six of them printed by the template.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from flask import url_for
from markupsafe import Markup

try:
    # The escaper markupsafe.escape and Jinja's {{ }} run, in C, without making a Markup of
    # each string: a list page of 50 expenses ran 3 % fewer instructions than with html.escape.
    from markupsafe import _escape_inner as quote
except ImportError:  # a markupsafe that no longer names it so
    from html import escape as quote

from webapp.admin import keys, site
from webapp.admin.registry import ModelAdmin
from webapp.auth import can_role, current_account

PLACEHOLDER = "KEYPLACEHOLDER"  # only letters, so url_for leaves it as it is
# Types whose str() is exactly what site.display prints, with no character HTML escapes.
PLAIN = frozenset({int, float, Decimal, dt.date, dt.time})


class Allowed(NamedTuple):
    """What the signed-in account may do on a list, so the page shows only those controls."""

    create: bool
    import_: bool
    select: bool  # the bulk form, and a checkbox on each row for it
    edit: bool
    delete: bool


def allowed(entry: ModelAdmin) -> Allowed:
    """What the signed-in account may do on ``entry``'s list (nothing that writes to a read-only table)."""
    account = current_account()
    return allowed_to(entry, account.role if account is not None else None)


@functools.cache
def allowed_to(entry: ModelAdmin, role: str | None) -> Allowed:
    """What ``role`` may do on ``entry``'s list: the same for every page of it."""
    return Allowed(*(can_role(role, action, entry) for action in ("create", "import", "bulk", "edit", "delete")))


@functools.cache
def search_label(entry: ModelAdmin) -> str:
    """The search columns, as the search box names them: «description», «name, secret name»."""
    return ", ".join(key.replace("_", " ") for key in entry.search_columns)


@functools.cache
def settable(entry: ModelAdmin) -> Markup:
    """The bulk form's choice of the columns it can set (neither the key nor a generated column),
    printed once per table: its options are the same on every page."""
    return Markup("".join(
        f'<option value="{quote(info.key)}">{quote(info.label)}</option>'
        for info in entry.columns
        if not info.primary_key and not info.generated
    ))


class Link(NamedTuple):
    """A URL for any row of a table: the text before the row's (tilde-encoded) key and after it."""

    before: str
    after: str


class Column(NamedTuple):
    """How one shown column prints: its opening tag and, for a foreign key, its related row."""

    key: str  # the attribute it prints
    kind: str  # "view" (the first column: a link to the row), "related" or "value"
    opening: str
    relation: str | None  # a foreign key's relationship: the attribute holding the related record
    target: tuple[ModelAdmin, Link] | None  # the related table and its detail URL
    by_value: bool  # the related table's key is this one column: an integer in it is the row's URL key


class Printing(NamedTuple):
    """What every page of a list prints its rows with, built once per table."""

    detail: Link
    edit: Link
    delete: Link
    columns: list[Column]


def url_template(entry: ModelAdmin, action: str) -> Link:
    """The URL of ``action`` for any row of ``entry``, escaped, split where the key goes."""
    before, _, after = quote(url_for(f"crud_{entry.slug}.{action}", key=PLACEHOLDER)).partition(PLACEHOLDER)
    return Link(before, after)


def head(headers: Iterable[Any]) -> Markup:
    """A header cell for each column (see queries.Header): a link that sorts by it, marked
    when the list is sorted by it, and saying so when no index serves the sort."""
    cells = []
    for header in headers:
        direction = header.direction
        sorted_by = f' aria-sort="{direction}"' if direction else ""
        mark = " &#9650;" if direction == "ascending" else " &#9660;" if direction else ""
        label = quote(header.label)
        if header.indexed:
            indexed = 'data-indexed="true"'
        else:
            indexed = f'data-indexed="false" title="No index: sorting by {quote(header.label.lower())} reads every row"'
        cells.append(
            f'<th scope="col"{sorted_by}>\n<a href="{quote(header.href)}" data-testid="sort-{quote(header.key)}" '
            f"{indexed}>{label}{mark}</a>\n</th>\n"
        )
    return Markup("".join(cells))


def body(entry: ModelAdmin, rows: list[Any], allowed: Allowed) -> Markup:
    """Every row of the list as ``<tr>`` elements: selection box, cells, then actions."""
    detail, edit, delete, columns = site.per_mount(("rows", entry.slug), lambda: printing(entry))
    printed = []
    cells: dict[tuple[str, Any], str] = {}  # a related row's cell, printed once per page
    for row in rows:
        key = encode(entry.key_values(row))  # tilde-encoded: safe in a URL and in HTML
        label = quote(str(row))
        printed.append(f'<tr data-testid="row" data-key="{key}">')
        if allowed.select:
            printed.append(
                f'<td><input type="checkbox" name="key" value="{key}" form="bulk-form" '
                f'aria-label="Select {label}" data-testid="select-row"></td>'
            )
        for column in columns:
            value = getattr(row, column.key)
            if column.kind == "value":
                # text(value), without its call for the types most cells hold
                kind = type(value)
                shown = quote(value) if kind is str else str(value) if kind in PLAIN else text(value)
                printed.append(f"{column.opening}{shown}</td>")
            elif column.kind == "related":
                cell = cells.get((column.key, value))
                if cell is None:
                    cell = cells[(column.key, value)] = f"{column.opening}{related(column, row, value)}</td>"
                printed.append(cell)
            else:
                shown = text(value) if value is not None else "—"
                printed.append(f'{column.opening}<a href="{detail.before}{key}{detail.after}" data-testid="action-view">'
                               f'{shown}</a></td>')
        printed.append('<td class="actions">')
        if allowed.edit:
            printed.append(f'<a href="{edit.before}{key}{edit.after}" data-testid="action-edit">'
                           f'Edit<span class="sr-only"> {label}</span></a> ')
        if allowed.delete:
            printed.append(f'<a href="{delete.before}{key}{delete.after}" data-testid="action-delete">'
                           f'Delete<span class="sr-only"> {label}</span></a>')
        printed.append("</td></tr>\n")
    return Markup("".join(printed))


def printing(entry: ModelAdmin) -> Printing:
    """What every page of ``entry``'s list prints its rows with: the row URLs and the columns."""
    detail, edit, delete = (url_template(entry, action) for action in ("detail", "edit", "delete"))
    return Printing(detail, edit, delete, shown_columns(entry))


def shown_columns(entry: ModelAdmin) -> list[Column]:
    """The list's columns in order, each with its opening tag and related table's link."""
    columns = []
    for index, info in enumerate(entry.column(key) for key in entry.list_columns):
        opening = f'<td data-testid="cell-{quote(info.key)}">'
        relation = info.relation
        if relation is None:
            columns.append(Column(info.key, "view" if index == 0 else "value", opening, None, None, False))
            continue
        target = site.entry_for_model(relation.target)
        link = (target, url_template(target, "detail")) if target is not None else None
        by_value = target is not None and target.primary_key == (relation.target_key,)
        columns.append(Column(info.key, "related", opening, relation.name or None, link, by_value))
    return columns


def related(column: Column, row: Any, value: Any) -> str:
    """A foreign key cell: the related row's label, linked to it when it has pages."""
    if value is None:
        return ""
    other = getattr(row, column.relation) if column.relation else None
    label = quote(str(other)) if other is not None else text(value)
    if column.target is None:
        return label
    target, link = column.target
    if column.by_value and type(value) is int:
        key = str(value)  # an integer key is the related row's own, as it prints in a URL
    else:
        key = encode(target.key_values(other) if other is not None else (value,))
    return f'<a href="{link.before}{key}{link.after}">{label}</a>'


def text(value: Any) -> str:
    """A value as escaped HTML text: numbers and dates as they are, anything else spelled and escaped."""
    kind = type(value)
    if kind is str:
        return quote(value)
    if kind in PLAIN:
        return str(value)  # digits, signs, points, dashes and colons: nothing to escape
    return quote(site.display(value))


def encode(values: tuple[Any, ...]) -> str:
    """keys.encode (letters, digits and ``_-~,`` only), with a shortcut for a single integer key."""
    if len(values) == 1 and type(values[0]) is int:
        return str(values[0])
    return keys.encode(values)

