"""Bulk actions on chosen rows, or on every row the list's search and filters match.

Delete, or set one column to one value. Each is previewed first and then done in one
transaction: a row that is blocked, or a value the form or the database refuses, leaves
every row as it was. The outcome is kept in the database, in the action's own transaction,
so the page after the redirect lists it row by row on whichever host answers.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, not_, select, tuple_
from werkzeug.datastructures import MultiDict
from wtforms import Form

from webapp.admin import checks, introspect, keys, queries, site
from webapp.admin.forms import field_for, form_columns
from webapp.admin.integrity import Problem, quote
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.models.accounts import utcnow
from webapp.models.jobs import BulkReport
from webapp.unit_of_work import flush_or_explain

MAX_ROWS = 10_000  # a bulk action loads its rows; beyond this, narrow the search first
CHUNK = 500  # keys per IN (...) when counting what refers to the rows
SHOWN = 200  # rows listed on the preview and the report
KEEP_SECONDS = 24 * 3600  # reports older than this are deleted when a new one is kept


def bulk_view(entry: ModelAdmin) -> ResponseReturnValue:
    """Preview a bulk action (POST without ``confirm``) or do it (with ``confirm``)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400, "This form has expired or did not come from this site. Reload the list and try again.")
    action = request.form.get("action", "")
    params = queries.parse_params(entry, request.args)
    rows, problem = chosen_rows(entry, params)
    if problem is None and action not in ("delete", "set"):
        problem = Problem("Choose delete or set a column.", status=422)
    if problem is not None:
        flash(problem.message, "error")
        return render(entry, form=form, rows=[], action=action), problem.status
    if action == "delete":
        return delete_step(entry, form, rows)
    return set_step(entry, form, rows)


def chosen_rows(entry: ModelAdmin, params: queries.ListParams) -> tuple[list[Any], Problem | None]:
    """The ticked rows, or every row the list matches when ``scope`` is ``all``."""
    if request.form.get("scope") == "all":
        query = queries.filtered(entry, select(entry.model), params)
        query = query.order_by(*queries.ordering(entry, params.sort)).limit(MAX_ROWS + 1)
        rows = list(db.session.scalars(query))
        if len(rows) > MAX_ROWS:
            return [], Problem(f"More than {MAX_ROWS:,} rows match; narrow the search or filters first.", status=422)
    else:
        columns = [entry.column(name).column for name in entry.primary_key]
        rows = []
        for key in dict.fromkeys(request.form.getlist("key")):
            values = keys.decode(key, columns)
            row = None if values is None else db.session.get(entry.model, values)
            if row is None:
                return [], Problem(f"The {entry.label} {quote(key)} no longer exists. Reload the list and choose again.")
            rows.append(row)
    if not rows:
        return [], Problem(f"Choose at least one {entry.label} first.", status=422)
    return rows, None


# --- delete ---------------------------------------------------------------------------


def delete_step(entry: ModelAdmin, form: FlaskForm, rows: list[Any]) -> ResponseReturnValue:
    """Show what depends on the rows; delete them all unless one is blocked."""
    blocked, affected = dependents(entry, rows)
    if request.form.get("confirm") and not blocked:
        report = [(site.key_of(entry, row), str(row), "deleted") for row in rows]
        for row in rows:
            db.session.delete(row)
        if (problem := flush_or_explain(entry, rows[0])) is None:
            return finished(entry, "delete", report, f"Deleted {len(rows)} {noun(entry, len(rows))}.")
        flash(f"Nothing was deleted. {problem.message}", "error")
        return render(entry, form=form, rows=[], action="delete"), problem.status
    if blocked:
        verb = "is" if len(blocked) == 1 else "are"
        flash(f"Nothing can be deleted: {len(blocked)} of the {len(rows)} {noun(entry, len(rows))} {verb} still referred to.", "error")
    status = 409 if blocked and request.form.get("confirm") else 200
    return render(entry, form=form, rows=rows, action="delete", blocked=blocked, affected=affected), status


def dependents(entry: ModelAdmin, rows: list[Any]) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """Rows blocked from deletion (key → why), and (table, action, count) of every dependent."""
    mapper = introspect.mapper_of(entry.model)
    chosen = {site.key_of(entry, row): row for row in rows}
    blocked: dict[str, list[str]] = {}
    affected = []
    for dependent in introspect.dependents(entry.model):
        referenced = [mapper.get_property_by_column(entry.model.__table__.c[name]).key for name in dependent.remote]
        by_value = {tuple(getattr(row, key) for key in referenced): key for key, row in chosen.items()}
        local = [dependent.table.c[name] for name in dependent.local]
        total = 0
        for values, number in counts(entry, dependent.table, local, list(by_value), rows):
            total += number
            if dependent.action == "block" and tuple(values) in by_value:
                blocked.setdefault(by_value[tuple(values)], []).append(site.count_noun(dependent.table.name, number))
        if total:
            affected.append((dependent.table.name, dependent.action, total))
    return {key: " and ".join(why) for key, why in blocked.items()}, affected


def counts(entry: ModelAdmin, table: Any, local: list[Any], values: list[tuple[Any, ...]], rows: list[Any]) -> Iterable[Any]:
    """(referenced values, number of referring rows) for ``values``, a chunk at a time."""
    target = tuple_(*local) if len(local) > 1 else local[0]
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        query = select(*local, func.count()).where(target.in_(chunk if len(local) > 1 else [v[0] for v in chunk]))
        if table is entry.model.__table__:  # a row referring to another chosen row goes with it
            own = [entry.column(name).column for name in entry.primary_key]
            chosen = [entry.key_values(row) for row in rows]
            mine = tuple_(*own).in_(chosen) if len(own) > 1 else own[0].in_([v[0] for v in chosen])
            query = query.where(not_(mine))
        for row in db.session.execute(query.group_by(*local)):
            yield tuple(row[:-1]), row[-1]


# --- set a column ---------------------------------------------------------------------


def set_step(entry: ModelAdmin, form: FlaskForm, rows: list[Any]) -> ResponseReturnValue:
    """Check the value like the edit form does; on confirm set it on every row."""
    settable = {info.key: info for info in form_columns(entry, False)}
    key = request.form.get("column", "")
    if key not in settable:
        flash(f"Choose a column to set: {', '.join(settable)}.", "error")
        return render(entry, form=form, rows=[], action="set"), 422
    checked = type("BulkSetForm", (Form,), {key: field_for(settable[key], False)})(
        formdata=MultiDict({key: request.form.get("value", "")})
    )
    if not checked.validate():
        message = " ".join(str(m) for m in checked.errors[key])
        flash(f"Nothing was changed. {settable[key].label}: {message}", "error")
        return render(entry, form=form, rows=rows, action="set", column=settable[key]), 422
    value = checked[key].data
    problems = checks.missing_related(entry, {key: value})
    if not problems and request.form.get("confirm"):
        report = []
        for row in rows:
            before = getattr(row, key)
            setattr(row, key, value)
            changed = "unchanged" if before == value else f"{site.display(before) or '—'} → {site.display(value) or '—'}"
            report.append((site.key_of(entry, row), str(row), changed))
        # One flush for every row: a duplicate or a broken rule anywhere undoes all of them.
        if (problem := flush_or_explain(entry, rows[-1])) is None:
            return finished(entry, "set", report, f"Set {settable[key].label.lower()} on {len(rows)} {noun(entry, len(rows))}.")
        problems = [problem]
    for problem in problems:
        flash(f"Nothing was changed. {problem.message}", "error")
    status = max((p.status for p in problems), default=200)
    return render(entry, form=form, rows=rows, action="set", column=settable[key], value=value), status


# --- pages ----------------------------------------------------------------------------


def finished(entry: ModelAdmin, action: str, report: list[tuple[str, str, str]], message: str) -> ResponseReturnValue:
    """Keep the per-row report in the action's own transaction, and go to its page."""
    token = secrets.token_urlsafe(16)
    old = utcnow() - dt.timedelta(seconds=KEEP_SECONDS)
    db.session.execute(delete(BulkReport).where(BulkReport.created < old))
    body = json.dumps({"action": action, "rows": report, "message": message})
    db.session.add(BulkReport(token=token, slug=entry.slug, body=body))
    flash(message, "success")
    return redirect(url_for(".outcome", token=token), 303)  # a read page, open to every role


def report_view(entry: ModelAdmin, token: str) -> ResponseReturnValue:
    """The outcome of a bulk action, row by row, on whichever host answers."""
    found = db.session.get(BulkReport, token) if len(token) <= 22 else None
    if found is None or found.slug != entry.slug:
        abort(404, "There is no such report.")
    report = {"slug": found.slug, **json.loads(found.body)}
    return render_template(["admin/bulk_report.html"], entry=entry, report=report)


def noun(entry: ModelAdmin, number: int) -> str:
    """The table's noun for ``number`` rows."""
    return entry.label if number == 1 else entry.label_plural


def render(entry: ModelAdmin, **context: Any) -> str:
    """The preview page, which re-posts the same choice with ``confirm``."""
    settable = [(info.key, info.label) for info in form_columns(entry, False)]
    context.setdefault("blocked", {})
    context.setdefault("affected", [])
    return render_template(
        ["admin/bulk.html"], entry=entry, settable=settable, shown=SHOWN, request_form=request.form, **context
    )
