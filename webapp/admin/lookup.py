"""Choose a related row by searching: a small JSON endpoint per table, and the input that uses it."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.exceptions import BadRequest
from wtforms import Field
from wtforms.widgets import html_params

from webapp.admin import cursors, paging, queries, site
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

LOOKUP_LIMIT = 20  # suggestions per answer
LOOKUP_WINDOW = 10_000  # rows one lookup reads at most
MAX_QUERY = 200


def lookup_view(entry: ModelAdmin) -> ResponseReturnValue:
    """Rows of ``entry`` whose key is ``q`` or whose text columns contain it, as JSON."""
    q = request.args.get("q", "").strip()
    if "\x00" in q or len(q) > MAX_QUERY:
        raise BadRequest(f"The search must be at most {MAX_QUERY} characters, without NUL.")
    column_key = request.args.get("field", "").strip() or single_key(entry)
    if column_key not in [info.key for info in entry.columns]:
        raise BadRequest(f"Cannot look up by {column_key!r}: choose one of {', '.join(i.key for i in entry.columns)}.")
    found, stopped = search(entry, column_key, q) if q else ([], False)
    results = [{"key": str(getattr(row, column_key)), "label": str(row)} for row in found[:LOOKUP_LIMIT]]
    return {"results": results, "more": len(found) > LOOKUP_LIMIT, "stopped": stopped}


def single_key(entry: ModelAdmin) -> str:
    """The one primary key column of ``entry``; a composite key must name its field."""
    if len(entry.primary_key) != 1:
        raise BadRequest("This table has a composite key: name the column to return with field=.")
    return entry.primary_key[0]


def search(entry: ModelAdmin, column_key: str, q: str) -> tuple[list[Any], bool]:
    """The row whose ``column_key`` is ``q``, then rows matching ``q``, reading a bounded window."""
    rows: list[Any] = []
    value = cursors.parse(q, entry.column(column_key).column)
    if value is not None:
        same = select(entry.model).where(getattr(entry.model, column_key) == value).limit(LOOKUP_LIMIT + 1)
        rows.extend(db.session.scalars(same))  # field= may name a column that is not unique
    match = queries.matcher(entry, q)
    if match is None:
        return rows, False
    sort = cursors.sort_keys(entry, entry.default_order)
    conditions = [match(entry.searched())]
    window_end = paging.probe(entry, sort, [], LOOKUP_WINDOW - 1)
    if window_end is not None:
        conditions.append(cursors.up_to(sort, window_end))
    query = select(entry.model).where(*conditions).order_by(*cursors.order_by(sort, paging.dialect()))
    rows.extend(row for row in db.session.scalars(query.limit(LOOKUP_LIMIT + 1)) if row not in rows)
    return rows, window_end is not None and len(rows) <= LOOKUP_LIMIT


def small(target: type, limit: int) -> bool:
    """Whether ``target``'s table has at most ``limit`` rows, reading at most ``limit + 1``."""
    limited = select(*target.__table__.primary_key.columns).limit(limit + 1).subquery()
    return (db.session.scalar(select(func.count()).select_from(limited)) or 0) <= limit


def lookup_input(field: Field, target: type, target_key: str, **kwargs: Any) -> Markup:
    """A text input for a related row's key, suggesting rows as one types; the row's label beside it."""
    entry = site.entry_for_model(target)
    kwargs.setdefault("id", field.id)
    value = field._value()
    attrs: dict[str, Any] = {"type": "text", "name": field.name, "value": value, "autocomplete": "off", **kwargs}
    if field.flags.required:
        attrs["required"] = True
    parts = []
    if entry is not None:
        attrs["list"] = f"{field.id}-options"
        attrs["data-lookup"] = url_for(f"crud_{entry.slug}.lookup", field=target_key)
        parts.append(Markup('<datalist id="{}"></datalist>').format(attrs["list"]))
        parts.append(Markup('<script src="{}" defer></script>').format(url_for("static", filename="lookup.js")))
    label = current_label(target, target_key, field.data) if not field.errors else None
    html = Markup("<input {}>").format(Markup(html_params(**attrs)))
    if label is not None:
        html += Markup(' <span class="related-label" data-testid="related-label-{}">{}</span>').format(field.name, label)
    return html + Markup("").join(parts)


def current_label(target: type, target_key: str, value: Any) -> str | None:
    """The label of the related row a field holds, or None."""
    if value is None:
        return None
    row = db.session.scalars(select(target).where(getattr(target, target_key) == value).limit(1)).first()
    return None if row is None else str(row)
