"""The registered models of the running app, and how templates address their rows."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from flask import current_app, has_request_context, request, url_for
from markupsafe import Markup

from webapp.admin import keys
from webapp.admin.introspect import ColumnInfo, humanize
from webapp.admin.registry import ModelAdmin

EXTENSION = "webapp.admin"
T = TypeVar("T")
PER_MOUNT_SLOTS = 1_000  # a few per table and mount point


def entries() -> list[ModelAdmin]:
    """Every registered model, by slug."""
    return list(current_app.extensions[EXTENSION].values())


def per_mount(key: Hashable, build: Callable[[], T]) -> T:
    """What ``build`` returns, built once per mount point of the app: for anything made of URLs,
    or otherwise fixed once the app runs (the template a table's page renders).

    A URL depends on the app's routes, fixed at start, and on where the app is mounted
    (``SCRIPT_NAME``, the same for every request behind one proxy); the menu, a list's links
    and its filter form's lookup URLs are built on every page, so they are built once.
    """
    built = current_app.extensions.setdefault(f"{EXTENSION}.per_mount", {})
    slot = (request.script_root, key)
    if slot in built:
        return cast(T, built[slot])
    value = build()
    if len(built) < PER_MOUNT_SLOTS:  # a proxy may pass SCRIPT_NAME on from clients: never grow without end
        built[slot] = value
    return value


def urls() -> dict[str, str]:
    """Every URL that takes no values, by endpoint, and the static files', by path under static/.

    Built once per mount point for the templates, which print them on every page as
    ``urls['admin.index']``: url_for takes 4 µs, and a call from a template as much again.
    """

    def build() -> dict[str, str]:
        rules = current_app.url_map.iter_rules()
        found = {rule.endpoint: url_for(rule.endpoint) for rule in rules if not rule.arguments}
        static = current_app.static_folder
        if static is not None:
            names = (path.name for path in Path(static).iterdir())
            found.update((f"static/{name}", url_for("static", filename=name)) for name in names)
        return found

    return per_mount("urls", build)


def fixed(name: str, **values: Hashable) -> Markup:
    """The template ``name`` rendered with ``values`` alone, once per mount point and values:
    for markup made of nothing else but the app's routes and registry (the menu of tables).

    Such a template sees the Jinja globals but not the request's context (no ``request``,
    ``g`` or ``csrf_token``): what it shows must not depend on who asks.
    """
    key = ("fixed", name, *sorted(values.items()))
    return per_mount(key, lambda: Markup(current_app.jinja_env.get_template(name).render(values)))


def template_urls() -> dict[str, Any]:
    """The templates' ``urls`` (see :func:`urls`), in every template rendered for a request."""
    return {"urls": urls()} if has_request_context() else {}


class NavItem(NamedTuple):
    """A table in the menu of every page: its slug, its name as the menu shows it, its list's URL."""

    slug: str
    label: str
    href: str


def nav() -> list[NavItem]:
    """Every registered model's menu item (read by the menu, rendered once: see :func:`fixed`)."""
    found = urls()
    return [
        NavItem(entry.slug, entry.label_plural.capitalize(), found[f"crud_{entry.slug}.index"]) for entry in entries()
    ]


def entry_for_table(name: str) -> ModelAdmin | None:
    """The registered model of table ``name``, if any."""
    for entry in entries():
        if entry.model.__table__.name == name:
            return entry
    return None


def entry_for_model(model: type) -> ModelAdmin | None:
    """The registration of ``model``, if any."""
    for entry in entries():
        if entry.model is model:
            return entry
    return None


def key_of(entry: ModelAdmin, row: Any) -> str:
    """The URL segment that names ``row``."""
    return keys.encode(entry.key_values(row))


def row_url(entry: ModelAdmin, row: Any, action: str = "detail") -> str:
    """The URL of ``action`` (detail, edit, delete) for ``row``."""
    return url_for(f"crud_{entry.slug}.{action}", key=key_of(entry, row))


def count_noun(table: str, number: int) -> str:
    """«3 expenses», «1 expense», for any table."""
    entry = entry_for_table(table)
    if entry is None:
        return f"{number} {humanize(table).lower()} row{'s' if number != 1 else ''}"
    return f"{number} {entry.label if number == 1 else entry.label_plural}"


def columns_label(table: str, names: tuple[str, ...]) -> str:
    """The labels of a table's columns («Category», «Team»), for sentences about it."""
    entry = entry_for_table(table)
    labels = {info.column.name: info.label for info in entry.columns} if entry else {}
    return ", ".join(labels.get(name) or humanize(name) for name in names)


def related(entry: ModelAdmin, info: ColumnInfo, row: Any) -> tuple[str, str | None] | None:
    """For a foreign key cell: the related row's label and its URL, or None when empty."""
    value = getattr(row, info.key)
    if value is None or info.relation is None:
        return None
    target = entry_for_model(info.relation.target)
    other = getattr(row, info.relation.name) if info.relation.name else None
    label = str(other) if other is not None else str(value)
    if target is None:
        return label, None
    url = row_url(target, other) if other is not None else url_for(
        f"crud_{target.slug}.detail", key=keys.encode((value,))
    )
    return label, url


def thousands(number: int) -> str:
    """«1,000,000»: a count as the pages print it."""
    return f"{number:,}"


def display(value: Any) -> str:
    """Spell a stored value for a page."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"({len(value)} bytes)"  # binary data has no readable spelling
    return str(value)
