"""The admin's pages: a dashboard, and list, detail, create, edit and delete per model."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from jinja2 import Template

from webapp.admin import bulk, checks, export, imports, keys, listing, lookup, queries, site, versions
from webapp.admin.forms import form_class, form_columns, populate
from webapp.admin.integrity import Problem, in_use_sentence, quote
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.unit_of_work import flush_or_explain


def site_blueprint() -> Blueprint:
    """The pages that are not about one table."""
    bp = Blueprint("admin", __name__, url_prefix="/admin")
    bp.add_url_rule("/", "index", dashboard)
    return bp


def crud_blueprint(entry: ModelAdmin) -> Blueprint:
    """Build the list/detail/create/edit/delete pages for one registered model."""
    bp = Blueprint(f"crud_{entry.slug}", __name__, url_prefix=f"/admin/{entry.slug}")
    bp.add_url_rule("/", "index", bind(list_view, entry))
    bp.add_url_rule("/new", "create", bind(create_view, entry), methods=["GET", "POST"])
    bp.add_url_rule("/<key>/", "detail", bind(detail_view, entry))
    bp.add_url_rule("/<key>/edit", "edit", bind(edit_view, entry), methods=["GET", "POST"])
    bp.add_url_rule("/<key>/delete", "delete", bind(delete_view, entry), methods=["GET", "POST"])
    bp.add_url_rule("/export.csv", "export", bind(export.export_view, entry))
    bp.add_url_rule("/import", "import", bind(imports.upload_view, entry), methods=["GET", "POST"])
    bp.add_url_rule("/import/<token>", "import_job", bind(imports.job_view, entry), methods=["GET", "POST"])
    bp.add_url_rule("/bulk", "bulk", bind(bulk.bulk_view, entry), methods=["POST"])
    bp.add_url_rule("/bulk/<token>", "outcome", bind(bulk.report_view, entry))
    bp.add_url_rule("/lookup.json", "lookup", bind(lookup.lookup_view, entry))
    bp.before_request(bind(refuse_writes, entry))
    return bp


READ_ENDPOINTS = frozenset({"index", "detail", "export", "lookup"})


def refuse_writes(entry: ModelAdmin) -> None:
    """Answer 403, with the reason, for any page that writes to a read-only table."""
    if entry.read_only and (request.endpoint or "").rpartition(".")[2] not in READ_ENDPOINTS:
        abort(403, entry.read_only)


def bind(view: Callable[..., ResponseReturnValue], entry: ModelAdmin) -> Callable[..., ResponseReturnValue]:
    """Fix ``entry`` as the view's first argument, keeping its name for Flask's extensions."""
    return update_wrapper(partial(view, entry), view)


def dashboard() -> ResponseReturnValue:
    """Every table with its row count."""
    tables = [(entry, queries.count(entry)) for entry in site.entries()]
    return render_template("admin/index.html", tables=tables)


def list_view(entry: ModelAdmin) -> ResponseReturnValue:
    """One page of rows, searched and sorted as the query string says."""
    params = queries.parse_params(entry, request.args)
    page = queries.list_page(entry, params, current_app.config["PER_PAGE"])
    return render(entry, "list.html", page=page, allowed=listing.allowed(entry))


def detail_view(entry: ModelAdmin, key: str) -> ResponseReturnValue:
    """Every column of one row."""
    return render(entry, "detail.html", row=load_row(entry, key))


def create_view(entry: ModelAdmin) -> ResponseReturnValue:
    """Validate, check against the database, add and flush; the request's end commits."""
    form = form_class(entry, True)()
    problems: list[Problem] = []
    if form.validate_on_submit():
        problems = checks.conflicts(entry, values_of(entry, form, True), None)
        if not problems:
            row = entry.model()
            populate(entry, form, row, True)
            db.session.add(row)
            if (problem := flush_or_explain(entry, row)) is None:
                flash(f"Created {entry.label} {quote(row)}.", "success")
                return redirect(url_for(".detail", key=site.key_of(entry, row)), 303)
            problems = [problem]
    attach(form, problems)
    return render(entry, "form.html", form=form, row=None), status_of(form, problems)


def edit_view(entry: ModelAdmin, key: str) -> ResponseReturnValue:
    """Validate the changes to one row, refuse them if the row changed meanwhile, and flush."""
    row = load_row(entry, key, lock=request.method == "POST")
    form = form_class(entry, False)(obj=row)
    problems: list[Problem] = []
    seen = versions.submitted() if request.method == "POST" else None
    conflicts: list[versions.Change] = []
    if form.validate_on_submit():
        conflicts = versions.changes(entry, seen, row)
        if conflicts and seen is not None:
            conflicts = versions.merge(form, seen, row, conflicts)  # keep their edits the user did not touch
        problems = [stale(entry, row)] if conflicts else checks.conflicts(entry, values_of(entry, form, False), row)
        if not problems:
            populate(entry, form, row, False)
            if (problem := flush_or_explain(entry, row)) is None:
                flash(f"Saved {entry.label} {quote(row)}.", "success")
                return redirect(url_for(".detail", key=key), 303)
            problems = [problem]
            row = load_row(entry, key)  # the rollback expired it; show the row as stored
    attach(form, problems)
    # After a conflict the user has seen the new values, so saving again applies theirs on
    # top; after any other failure, keep the version they opened so a later change still counts.
    version = seen if seen is not None and not conflicts else versions.snapshot(entry, row)
    context = {"form": form, "row": row, "version": versions.token(version), "conflicts": conflicts}
    return render(entry, "form.html", **context), status_of(form, problems)


def delete_view(entry: ModelAdmin, key: str) -> ResponseReturnValue:
    """Confirm with what depends on the row (GET); delete unless something blocks it (POST)."""
    row = load_row(entry, key, lock=request.method == "POST")
    form = FlaskForm()
    dependents = queries.dependents_of(entry, row)
    if form.validate_on_submit():
        changed = versions.changes(entry, versions.submitted(), row)
        problem = stale(entry, row) if changed else blocked(entry, row, dependents)
        if problem is None:
            label = str(row)
            db.session.delete(row)
            problem = flush_or_explain(entry, row)
            if problem is None:
                flash(f"Deleted {entry.label} {quote(label)}.", "success")
                return redirect(url_for(".index"), 303)
            row = load_row(entry, key)
            dependents = queries.dependents_of(entry, row)  # someone added a reference meanwhile
            problem = blocked(entry, row, dependents) or problem
        flash(problem.message, "error")
        context = {"row": row, "dependents": dependents, "form": form}
        return render(entry, "delete.html", version=versions.token(versions.snapshot(entry, row)), **context), problem.status
    version = versions.token(versions.snapshot(entry, row))
    return render(entry, "delete.html", row=row, dependents=dependents, form=form, version=version)


# --- helpers --------------------------------------------------------------------------


def render(entry: ModelAdmin, name: str, **context: Any) -> str:
    """Render ``admin/<slug>/<name>`` if the model has its own, else ``admin/<name>``."""
    return render_template(template(entry, name), entry=entry, **context)


def template(entry: ModelAdmin, name: str) -> Template:
    """The template a page of ``entry`` renders, looked for once unless templates reload.

    Looking for a table's own template that is not there raises and catches an exception:
    17 µs of every page, to find the same answer each time.
    """
    names = [f"admin/{entry.slug}/{name}", f"admin/{name}"]
    env = current_app.jinja_env
    if env.auto_reload:  # a template added while the app runs is picked up
        return env.select_template(names)
    return site.per_mount(("template", entry.slug, name), lambda: env.select_template(names))


def load_row(entry: ModelAdmin, key: str, lock: bool = False) -> Any:
    """Fetch the row a URL names, or answer 404; ``lock`` holds it until the request ends."""
    columns = [entry.column(name).column for name in entry.primary_key]
    values = keys.decode(key, columns)
    # FOR UPDATE makes "compare the version, then write" atomic on PostgreSQL and MariaDB;
    # SQLite's writing requests already hold the database's write lock (BEGIN IMMEDIATE).
    row = None if values is None else db.session.get(entry.model, values, with_for_update=lock or None)
    if row is not None and entry.key_values(row) != values:
        row = None  # MariaDB matched "brad" to "Brad" or "Brad ": a URL names one exact key everywhere
    if row is None:
        abort(404, f"There is no {entry.label} with the key {quote(key)}.")
    return row


def values_of(entry: ModelAdmin, form: FlaskForm, creating: bool) -> dict[str, Any]:
    """The validated value of every column the form edits."""
    return {info.key: form[info.key].data for info in form_columns(entry, creating)}


def attach(form: FlaskForm, problems: list[Problem]) -> None:
    """Put each sentence on its field, and say in a flash what went wrong."""
    for problem in problems:
        if problem.field in form:
            form[problem.field].errors = [*form[problem.field].errors, problem.message]
        flash(problem.message, "error")
    if form.errors and not problems:
        flash("Nothing was saved. Correct the fields marked below.", "error")


def status_of(form: FlaskForm, problems: list[Problem]) -> int:
    """200 for a fresh form, 409 for a conflict with the database, 422 for invalid input."""
    if problems:
        return max(problem.status for problem in problems)
    return 422 if form.errors else 200


def stale(entry: ModelAdmin, row: Any) -> Problem:
    """The sentence for a row that someone else changed after this page was opened."""
    return Problem(
        f"Someone else changed this {entry.label} after you opened this page. Nothing was saved: "
        "review their values, then save again to apply yours on top."
    )


def blocked(entry: ModelAdmin, row: Any, dependents: list[queries.Dependents]) -> Problem | None:
    """«Cannot delete category “Food”: 3 expenses refer to it.», or None."""
    blockers = [d for d in dependents if d.count and d.dependent.action == "block"]
    if not blockers:
        return None
    counted = " and ".join(site.count_noun(d.dependent.table.name, d.count) for d in blockers)
    verb = "refers" if len(blockers) == 1 and blockers[0].count == 1 else "refer"
    return Problem(in_use_sentence(entry, str(row), counted, verb))
