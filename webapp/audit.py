"""The audit trail: every change to a registered row writes an audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import enum
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask, g, has_app_context
from sqlalchemy import Table, and_, event, insert, inspect, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, UOWTransaction

from webapp.admin import introspect, keys, site
from webapp.errors import page
from webapp.extensions import db
from webapp.models.accounts import Account, AuditEntry, utcnow

PENDING = "webapp.audit.pending"  # session.info key: rows that database cascades will change
IMPORT_ACCOUNT = "audit_account"  # g key: who a background import runs for
REDACTED = "(changed)"  # what the trail says instead of a password hash
CASCADE_DEPTH = 5


class AuditFailed(SQLAlchemyError):
    """The audit row of a change could not be written, so the change is refused."""


@dataclass(frozen=True)
class Tracked:
    """How one model is audited: its table, key columns and the columns never to copy."""

    table: str
    primary_key: tuple[str, ...]
    columns: tuple[str, ...]
    secret: frozenset[str] = frozenset()


def init_app(app: Flask) -> None:
    """Listen to every flush of the app's session (once, however many apps are made)."""
    if not event.contains(db.session, "after_flush", after_flush):
        event.listen(db.session, "before_flush", before_flush)
        event.listen(db.session, "after_flush", after_flush)
    app.register_error_handler(AuditFailed, refused)


def refused(exc: AuditFailed) -> tuple[str, int]:
    """The change was rolled back because its audit row could not be written."""
    return page(500, "The change was not saved, because its audit record could not be written. Nothing was changed.")


def who() -> str | None:
    """The account making changes now: the signed-in one, or the one an import runs for."""
    if not has_app_context():
        return None
    account = g.get("account")
    return account.name if account is not None else g.get(IMPORT_ACCOUNT)


def tracked(model: type) -> Tracked | None:
    """How ``model`` is audited now, or None when it is not."""
    if who() is None:
        return None  # seeding and command-line setup are not changes made by someone
    if model is Account:
        return Tracked("accounts", ("id",), ("id", "name", "role", "password_hash"), frozenset({"password_hash"}))
    entry = site.entry_for_model(model)
    if entry is None or entry.read_only:
        return None
    return Tracked(introspect.table_of(model).name, entry.primary_key, tuple(info.key for info in entry.columns))


# --- session events -------------------------------------------------------------------


def before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Read the rows the database will change by itself (ON DELETE CASCADE / SET NULL)."""
    pending = session.info[PENDING] = []  # a failed flush may have left some behind
    for row in session.deleted:
        how = tracked(type(row))
        if how is not None:
            values = {column.name: getattr(row, attribute(type(row), column)) for column in table(row).columns}
            pending.extend(cascaded(session, type(row), values, CASCADE_DEPTH))


def after_flush(session: Session, _context: UOWTransaction) -> None:
    """Write one audit row per created, changed or deleted row, on the flush's connection."""
    rows = session.info.pop(PENDING, [])
    rows += [entry for row in session.new if (entry := created(row)) is not None]
    rows += [entry for row in session.dirty if (entry := updated(row)) is not None]
    rows += [entry for row in session.deleted if (entry := deleted(row)) is not None]
    write(session, rows)


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows on the session's connection: the change's own transaction."""
    if not rows:
        return
    account, now = who() or "unknown", utcnow()
    try:
        session.connection().execute(insert(AuditEntry.__table__), [{**row, "account": account, "at": now} for row in rows])
    except DBAPIError as exc:
        raise AuditFailed(f"writing the audit trail failed: {exc}") from exc


def insert_rows(model: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (by column key) without the ORM, as imports do, auditing each one."""
    table = introspect.table_of(model)
    how = tracked(model)
    if how is None:
        db.session.execute(insert(table), rows)
        return
    key_columns = list(table.primary_key.columns)
    if all(column.key in params for params in rows for column in key_columns):
        db.session.execute(insert(table), rows)  # every key is given: one statement for the lot
        returned = [tuple(params[column.key] for column in key_columns) for params in rows]
    else:
        # The database assigns keys: RETURNING one row at a time is the portable way to learn them.
        statement = insert(table).returning(*key_columns)
        returned = [tuple(db.session.execute(statement, params).one()) for params in rows]
    audited = []
    for params, key in zip(rows, returned):
        values = {attribute(model, table.c[name]): value for name, value in params.items()}
        values.update(zip((attribute(model, column) for column in key_columns), key))
        after = {key: _value(how, key, values[key]) for key in how.columns if key in values}
        audited.append(_raw(how, keys.encode(tuple(values[key] for key in how.primary_key)), "create", None, after))
    write(db.session, audited)


def created(row: Any) -> dict[str, Any] | None:
    """The audit row of a new row: every value it was given (not the database's own defaults)."""
    how = tracked(type(row))
    if how is None:
        return None
    return _entry(how, row, "create", None, _loaded(how, row))


def updated(row: Any) -> dict[str, Any] | None:
    """The audit row of a changed row: the changed columns only, before and after."""
    how = tracked(type(row))
    if how is None:
        return None
    state = inspect(row)
    before, after = {}, {}
    for key in how.columns:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before[key] = _value(how, key, history.deleted[0] if history.deleted else None)
        after[key] = _value(how, key, history.added[0] if history.added else None)
    if not after:
        return None
    return _entry(how, row, "update", before, after)  # a changed key is filed under the new one


def deleted(row: Any) -> dict[str, Any] | None:
    """The audit row of a deleted row: every value it had."""
    how = tracked(type(row))
    if how is None:
        return None
    return _entry(how, row, "delete", _loaded(how, row), None)


def _loaded(how: Tracked, row: Any) -> dict[str, Any]:
    """Every value ``row`` holds in memory, for the audit (not the database's own defaults)."""
    loaded = inspect(row).dict
    return {key: _value(how, key, loaded[key]) for key in how.columns if key in loaded}


# --- rows the database changes itself -------------------------------------------------


def cascaded(session: Session, model: type, values: dict[str, Any], depth: int) -> list[dict[str, Any]]:
    """Audit rows for what deleting the row with column ``values`` cascades to or sets to NULL."""
    found: list[dict[str, Any]] = []
    for dependent in introspect.dependents(model):
        other = site.entry_for_table(dependent.table.name)
        how = tracked(other.model) if other is not None else None
        if how is None or dependent.action == "block" or depth <= 0:
            continue
        match = and_(*(dependent.table.c[lc] == values[rc] for lc, rc in zip(dependent.local, dependent.remote)))
        for mapping in session.connection().execute(select(dependent.table).where(match)).mappings():
            record = {attribute(other.model, column): mapping[column.name] for column in dependent.table.columns}
            key = keys.encode(tuple(record[name] for name in how.primary_key))
            if dependent.action == "cascade":
                before = {name: _value(how, name, record[name]) for name in how.columns if name in record}
                found.append(_raw(how, key, "delete", before, None))
                found += cascaded(session, other.model, dict(mapping), depth - 1)
            else:
                nulled = [attribute(other.model, dependent.table.c[name]) for name in dependent.local]
                before = {name: _value(how, name, record[name]) for name in nulled}
                found.append(_raw(how, key, "update", before, {name: None for name in nulled}))
    return found


def attribute(model: type, column: Any) -> str:
    """The attribute key of ``column`` in ``model``."""
    return introspect.mapper_of(model).get_property_by_column(column).key


def table(row: Any) -> Table:
    """The table of a mapped row."""
    return introspect.table_of(type(row))


# --- values ---------------------------------------------------------------------------


def _entry(how: Tracked, row: Any, action: str, before: Any, after: Any) -> dict[str, Any]:
    """An audit row for ``row``."""
    return _raw(how, keys.encode(tuple(getattr(row, key) for key in how.primary_key)), action, before, after)


def _raw(how: Tracked, key: str, action: str, before: Any, after: Any) -> dict[str, Any]:
    """An audit row, its values as JSON text."""
    return {
        "table_name": how.table,
        "row_key": key,
        "action": action,
        "old_values": None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
        "new_values": None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
    }


def _value(how: Tracked, key: str, value: Any) -> Any:
    """A value as the trail keeps it: JSON, readable, and never a secret."""
    if key in how.secret:
        return REDACTED
    return plain(value)


def plain(value: Any) -> Any:
    """Spell a stored value in JSON, keeping what the database holds (an enum's name, exact decimals)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)
