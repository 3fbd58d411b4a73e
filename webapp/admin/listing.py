"""What the list table shows per row: its key, links and cell texts, built in one pass.

A list of 50 rows would otherwise build some 250 URLs with ``url_for`` and read every cell
through Jinja's ``attr`` filter, which together cost more than the page's queries. Cells are
printed here with f-strings over escaped parts (``Markup.format`` runs ``string.Formatter`` in
Python, several times slower), one string per row.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import url_for
from markupsafe import Markup, escape

from webapp.admin import keys, site
from webapp.admin.introspect import ColumnInfo
from webapp.admin.registry import ModelAdmin

PLACEHOLDER = "KEYPLACEHOLDER"  # only letters, so url_for leaves it as it is


class Cell(NamedTuple):
    """One cell: its column, its text, and the link it carries (if any)."""

    key: str
    text: str
    href: str | None = None
    view: bool = False  # the first column links to the row itself


class RowView(NamedTuple):
    """One row of the table, ready to print."""

    row: Any
    key: str
    label: str
    detail: str
    edit: str
    delete: str
    cells: list[Cell]
    cells_html: Markup  # every cell as a <td>


def url_template(entry: ModelAdmin, action: str) -> str:
    """The URL of ``action`` for any row of ``entry``, with a placeholder for the key."""
    return url_for(f"crud_{entry.slug}.{action}", key=PLACEHOLDER)


def table(entry: ModelAdmin, rows: list[Any]) -> list[RowView]:
    """Every row's key, label, links and cells."""
    detail, edit, delete = (url_template(entry, action) for action in ("detail", "edit", "delete"))
    columns = []
    for info in (entry.column(key) for key in entry.list_columns):
        target = site.entry_for_model(info.relation.target) if info.relation else None
        link = (target, url_template(target, "detail")) if target is not None else None
        columns.append((info, f'<td data-testid="cell-{escape(info.key)}">', link))
    views = []
    for row in rows:
        key = encode(entry.key_values(row))
        cells, html = [], []
        for index, (info, opening, link) in enumerate(columns):
            value = getattr(row, info.key)
            if info.relation is not None:
                cell = related(info, row, value, link)
            elif index == 0:
                text = site.display(value) if value is not None else "—"
                cell = Cell(info.key, text, detail.replace(PLACEHOLDER, key), True)
            else:
                cell = Cell(info.key, site.display(value))
            cells.append(cell)
            html.append(opening + inner_html(cell) + "</td>")
        views.append(RowView(row, key, str(row), detail.replace(PLACEHOLDER, key), edit.replace(PLACEHOLDER, key),
                             delete.replace(PLACEHOLDER, key), cells, Markup("".join(html))))
    return views


def inner_html(cell: Cell) -> str:
    """A cell's content: its text, escaped, inside a link when it has one."""
    if cell.href is None:
        return str(escape(cell.text))
    hook = ' data-testid="action-view"' if cell.view else ""
    return f'<a href="{escape(cell.href)}"{hook}>{escape(cell.text)}</a>'


def related(info: ColumnInfo, row: Any, value: Any, link: tuple[ModelAdmin, str] | None) -> Cell:
    """A foreign key cell: the related row's label, linked to it when it has pages."""
    if value is None or info.relation is None:
        return Cell(info.key, "")
    other = getattr(row, info.relation.name) if info.relation.name else None
    label = str(other) if other is not None else str(value)
    if link is None:
        return Cell(info.key, label)
    entry, template = link
    key = encode(entry.key_values(other) if other is not None else (value,))
    return Cell(info.key, label, template.replace(PLACEHOLDER, key))


def encode(values: tuple[Any, ...]) -> str:
    """keys.encode, with a shortcut for the common single integer key."""
    if len(values) == 1 and type(values[0]) is int:
        return str(values[0])
    return keys.encode(values)
