"""The import pages: upload, a preview checked in the background, confirm, result.

A check or an import of a large file takes longer than a request should, so it runs in a
thread of the process that received the request. The file, the progress and the outcome are
kept in the job's row of ``import_jobs`` (see :mod:`webapp.admin.jobs`), so any worker of any
host can draw the page that refreshes until it is done, and confirm the import.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from webapp.admin import importer, jobs, site
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

log = logging.getLogger(__name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def upload_view(entry: ModelAdmin) -> ResponseReturnValue:
    """Show the upload form; on POST store the file and start checking it."""
    form = FlaskForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choose a CSV file to upload.", "error")
            return render(entry, form=form, job=None), 422
        data = upload.stream.read()  # whole: MAX_CONTENT_LENGTH bounds it, and it is stored as one value
        limit = jobs.largest_file()
        if limit is not None and len(data) > limit:
            megabytes = limit // 2**20
            flash(f"This file is larger than the database accepts ({megabytes} MiB). Split it into smaller files.", "error")
            return render(entry, form=form, job=None), 413
        token = secrets.token_urlsafe(16)
        jobs.create(token, entry.slug, upload.filename, data)
        start(entry, token, commit=False)
        return redirect(url_for(".import_job", token=token), 303)
    return render(entry, form=form, job=None)


def job_view(entry: ModelAdmin, token: str) -> ResponseReturnValue:
    """Show the progress, the preview or the outcome; on POST import the checked file."""
    job = load(entry, token)
    form = FlaskForm()
    if request.method == "POST" and form.validate_on_submit():
        if job["stage"] != "checked" or job["error_count"] or job["file_errors"]:
            flash("This file cannot be imported: fix the errors listed and upload it again.", "error")
            return render(entry, form=form, job=job, token=token), 409
        if jobs.claim(token, g.account.name):  # the audit trail names them
            start(entry, token, commit=True)
        # else a second click (or another host) started it already: show that one's progress
        return redirect(url_for(".import_job", token=token), 303)
    return render(entry, form=form, job=job, token=token), status_of(job)


def status_of(job: dict[str, Any]) -> int:
    """422 for rows the form refuses, 409 for rows only the database refuses, else 200."""
    if job["stage"] in jobs.RUNNING or job["stage"] == "imported":
        return 200
    if job.get("file_errors") or job.get("invalid"):
        return 422
    return 409 if job.get("error_count") or job["stage"] in ("failed", "stopped") else 200


def render(entry: ModelAdmin, **context: Any) -> str:
    """Render the model's own import page if it has one, else the shared one."""
    columns = [info.key for info in importer.importable(entry)]
    return render_template(
        [f"admin/{entry.slug}/import.html", "admin/import.html"], entry=entry, importable=columns, **context
    )


# --- jobs -----------------------------------------------------------------------------


def load(entry: ModelAdmin, token: str) -> dict[str, Any]:
    """Read the job of ``token`` for this table, or answer 404."""
    if not TOKEN.fullmatch(token):
        abort(404, jobs.MISSING)
    return jobs.load(entry.slug, token)


def start(entry: ModelAdmin, token: str, commit: bool) -> None:
    """Commit the job, then run its check (or its import) in a thread of this process."""
    # The thread reads the job on a connection of its own, so it must be committed first.
    # The request's own commit (unit_of_work.finish) comes after every after-request
    # callback of the view, too late for that; it then finds nothing left to commit.
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=work, args=(app, entry.slug, token, commit), daemon=True).start()


def work(app: Flask, slug: str, token: str, commit: bool) -> None:
    """Check or import the file, reporting progress into the job's row as it goes."""
    with app.app_context():
        entry = app.extensions[site.EXTENSION][slug]
        account, state = jobs.read(token)
        g.audit_account = account  # no request here: say whom the rows are audited for
        midway = jobs.reports_midway()

        def progress(report: importer.Report, share: float) -> None:
            state.update(publish(report))
            if midway:
                jobs.save(token, state, share=round(share, 3))

        try:
            report = importer.run(entry, jobs.stored_file(token), commit, progress)
        except SQLAlchemyError as exc:
            log.error("import of %s failed: %s", slug, exc)
            stage = "failed"
            state["message"] = "The database stopped the import. Nothing was imported; try again."
        else:
            state.update(publish(report))
            stage = outcome(report, commit)
        finally:
            db.session.remove()  # ends the import's transaction before the job is written
        finish(token, stage, state)


def finish(token: str, stage: str, state: dict[str, Any]) -> None:
    """Record where the job ended; keep its file only while it may still be imported."""
    ready = stage == "checked" and not state.get("error_count") and not state.get("file_errors")
    values: dict[str, Any] = {"stage": stage, "share": 1.0}
    if not ready:
        values["data"] = None  # imported, or refused: only a new upload can go on
    try:
        jobs.save(token, state, **values)
    except SQLAlchemyError as exc:  # the page will say the job stopped, as it did
        log.error("the outcome of import %s could not be recorded: %s", token, exc)


def outcome(report: importer.Report, commit: bool) -> str:
    """The stage a finished pass leaves the job in."""
    if not commit:
        return "checked"
    return "imported" if report.ok else "failed"


def publish(report: importer.Report) -> dict[str, Any]:
    """The report as the job's row keeps it."""
    return {
        "rows": report.rows,
        "passed": report.passed,
        "error_count": report.error_count,
        "errors": sorted(report.errors),  # the form's errors come before the database's: show by line
        "file_errors": report.file_errors,
        "invalid": report.invalid,
    }
