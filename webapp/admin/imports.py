"""The import pages: upload, a preview checked in the background, confirm, result.

A check or an import of a large file takes longer than a request should, so it runs in a
thread of the process that received it; its progress and outcome are kept in a small JSON
file next to the upload, so any worker can draw the page that refreshes until it is done.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from webapp.admin import importer, site
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

log = logging.getLogger(__name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
RUNNING = frozenset({"checking", "importing"})
STALE_SECONDS = 120  # a job that has not reported for this long died with its process
KEEP_SECONDS = 24 * 3600  # uploads older than this are removed


def upload_view(entry: ModelAdmin) -> ResponseReturnValue:
    """Show the upload form; on POST store the file and start checking it."""
    form = FlaskForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("Choose a CSV file to upload.", "error")
            return render(entry, form=form, job=None), 422
        token = secrets.token_urlsafe(16)
        folder = jobs_folder()
        clean_old(folder)
        upload.save(folder / f"{token}.csv")  # copied in chunks: the file is never all in memory
        save(token, {"slug": entry.slug, "stage": "checking", "filename": upload.filename, "share": 0.0})
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
        job.update(stage="importing", share=0.0, account=g.account.name)  # the audit trail names them
        save(token, job)
        start(entry, token, commit=True)
        return redirect(url_for(".import_job", token=token), 303)
    return render(entry, form=form, job=job, token=token), status_of(job)


def status_of(job: dict[str, Any]) -> int:
    """422 for rows the form refuses, 409 for rows only the database refuses, else 200."""
    if job["stage"] in RUNNING or job["stage"] == "imported":
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


def jobs_folder() -> Path:
    """Where uploads and their job files live (the instance folder, never served)."""
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(token: str, job: dict[str, Any]) -> None:
    """Write the job file atomically, stamped with the time, so readers never see half of it."""
    path = jobs_folder() / f"{token}.json"
    job["updated"] = time.time()
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(job))
    os.replace(tmp, path)


def load(entry: ModelAdmin, token: str) -> dict[str, Any]:
    """Read the job of ``token`` for this table, or answer 404."""
    path = jobs_folder() / f"{token}.json"
    if not TOKEN.fullmatch(token) or not path.exists():
        abort(404, "There is no such import; upload the file again.")
    job: dict[str, Any] = json.loads(path.read_text())
    if job.get("slug") != entry.slug:
        abort(404, "There is no such import; upload the file again.")
    if job["stage"] in RUNNING and time.time() - job["updated"] > STALE_SECONDS:
        job["stage"] = "stopped"  # its process ended mid-way; its transaction was rolled back
    return job


def clean_old(folder: Path) -> None:
    """Remove uploads and job files nobody has touched for a day."""
    limit = time.time() - KEEP_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def start(entry: ModelAdmin, token: str, commit: bool) -> None:
    """Run the check (or the import) of ``token`` in a thread of this process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=work, args=(app, entry.slug, token, commit), daemon=True).start()


def work(app: Flask, slug: str, token: str, commit: bool) -> None:
    """Check or import the file, reporting progress into the job file as it goes."""
    with app.app_context():
        entry = app.extensions[site.EXTENSION][slug]
        job = json.loads((jobs_folder() / f"{token}.json").read_text())
        g.audit_account = job.get("account")  # no request here: say whom the rows are audited for

        def progress(report: importer.Report, share: float) -> None:
            job.update(publish(report), share=round(share, 3))
            save(token, job)

        try:
            report = importer.run(entry, jobs_folder() / f"{token}.csv", commit, progress)
        except SQLAlchemyError as exc:
            log.error("import of %s failed: %s", slug, exc)
            job.update(stage="failed", message="The database stopped the import. Nothing was imported; try again.")
        else:
            job.update(publish(report), stage=outcome(report, commit))
            if job["stage"] == "imported":
                (jobs_folder() / f"{token}.csv").unlink(missing_ok=True)
        finally:
            db.session.remove()
        save(token, job)


def outcome(report: importer.Report, commit: bool) -> str:
    """The stage a finished pass leaves the job in."""
    if not commit:
        return "checked"
    return "imported" if report.ok else "failed"


def publish(report: importer.Report) -> dict[str, Any]:
    """The report as the job file keeps it."""
    return {
        "rows": report.rows,
        "passed": report.passed,
        "error_count": report.error_count,
        "errors": sorted(report.errors),  # the form's errors come before the database's: show by line
        "file_errors": report.file_errors,
        "invalid": report.invalid,
    }
