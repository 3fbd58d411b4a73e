"""Reading the audit trail: the history of one row, and recent changes across the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, select
from werkzeug.exceptions import BadRequest

from webapp import auth
from webapp.admin import keys, site
from webapp.admin.integrity import quote
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.models.accounts import AuditEntry

ACCOUNTS_TABLE = "accounts"  # audited too, but shown to admins only
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Change:
    """One audit row as a page shows it."""

    audit: AuditEntry
    entry: ModelAdmin | None  # the registered table, for links
    columns: list[tuple[str, Any, Any]]  # (column, before, after), "before"/"after" None when absent


@dataclass(frozen=True)
class Trail:
    """One page of changes, newest first, and where the next (older) page starts."""

    changes: list[Change]
    older: str | None  # the URL of the next (older) page, if there is one


def init_app(app: Flask) -> None:
    """Add the history and recent-changes pages."""
    bp = Blueprint("audit", __name__)
    bp.add_url_rule("/admin/-/changes", "changes", changes)
    bp.add_url_rule("/admin/<slug>/<key>/history", "history", history)
    app.register_blueprint(bp)


def changes() -> ResponseReturnValue:
    """Every change, newest first, filtered by account and table."""
    account = request.args.get("account", "").strip()
    table = request.args.get("table", "").strip()
    tables = visible_tables()
    if table and table not in tables:
        raise BadRequest(f"There is no table {quote(table)} to filter by; choose one of the list.")
    if len(account) > 100 or "\x00" in account:
        raise BadRequest("An account name has at most 100 characters.")
    query = visible(select(AuditEntry))
    if account:
        query = query.where(AuditEntry.account == account)
    if table:
        query = query.where(AuditEntry.table_name == table)
    names = db.session.scalars(visible(select(AuditEntry.account).distinct().order_by(AuditEntry.account)))
    return render_template(
        "admin/changes.html",
        trail=page_of(query),
        account=account,
        table=table,
        tables=tables,
        accounts=list(names),
    )


def history(slug: str, key: str) -> ResponseReturnValue:
    """Every change of one row, newest first; also for a row that was deleted since."""
    entry = current_app.extensions[site.EXTENSION].get(slug)
    if entry is None:
        abort(404, f"There is no table {quote(slug)}.")
    values = keys.decode(key, [entry.column(name).column for name in entry.primary_key])
    if values is None:
        abort(404, f"There is no {entry.label} with the key {quote(key)}.")
    row = db.session.get(entry.model, values)
    query = select(AuditEntry).where(
        AuditEntry.table_name == entry.model.__table__.name, AuditEntry.row_key == keys.encode(values)
    )
    trail = page_of(query)
    if row is None and not trail.changes:
        abort(404, f"There is no {entry.label} with the key {quote(key)}, and none was ever recorded.")
    return render_template("admin/history.html", entry=entry, row=row, key=keys.encode(values), trail=trail)


def visible(query: Select[Any]) -> Select[Any]:
    """Hide changes to accounts from everyone but admins."""
    if auth.can("accounts"):
        return query
    return query.where(AuditEntry.table_name != ACCOUNTS_TABLE)


def visible_tables() -> list[str]:
    """The table names the changes page can be filtered by."""
    names = [entry.model.__table__.name for entry in site.entries()]
    return sorted([*names, ACCOUNTS_TABLE] if auth.can("accounts") else names)


def page_of(query: Select[Any]) -> Trail:
    """One page of ``query``'s audit rows, before the ``before`` id of the query string."""
    raw = request.args.get("before", "").strip()
    if raw:
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
            raise BadRequest("The page must start before a whole number (an audit row's id).")
        query = query.where(AuditEntry.id < int(raw))
    size = current_app.config["PER_PAGE"]
    rows = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(size + 1)))
    older = None
    if len(rows) > size:
        args = {**(request.view_args or {}), **request.args.to_dict(), "before": rows[size - 1].id}
        older = url_for(str(request.endpoint), **args)
    return Trail([describe(row) for row in rows[:size]], older)


def describe(audit: AuditEntry) -> Change:
    """Pair the before and after values of each changed column."""
    before = json.loads(audit.old_values) if audit.old_values else {}
    after = json.loads(audit.new_values) if audit.new_values else {}
    entry = site.entry_for_table(audit.table_name)
    names = before.keys() | after.keys()
    order = [info.key for info in entry.columns if info.key in names] if entry is not None else []
    order += sorted(names - set(order))  # table order where known
    return Change(audit, entry, [(name, before.get(name), after.get(name)) for name in order])
