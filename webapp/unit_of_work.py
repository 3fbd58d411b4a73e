"""The request is the unit of work: views add and flush, the end of the request commits."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from flask import Flask, Response, flash, g, render_template, request, session
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

from webapp.admin.integrity import Problem, classify, explain
from webapp.admin.registry import ModelAdmin
from webapp.extensions import WRITE_OPTION, db

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a flush or commit raises for bad data: DBAPI errors, and driver errors that
# escape before the database sees the value (SQLite's OverflowError, NUL bytes).
DATA_ERRORS = (DBAPIError, StatementError, OverflowError, ValueError)


def init_app(app: Flask) -> None:
    """Open each writing request's transaction up front; commit or roll back at its end."""
    app.before_request(begin)
    app.after_request(finish)
    app.teardown_request(discard)


def begin() -> None:
    """Start a request that may write with the write lock already taken (SQLite)."""
    if request.method not in SAFE_METHODS:
        db.session.connection(execution_options={WRITE_OPTION: True})


def flush_or_explain(entry: ModelAdmin, row: Any) -> Problem | None:
    """Flush so the database checks its rules; on failure roll back and explain."""
    with db.session.no_autoflush:
        # Keep what the user asked for: a rollback expires a persistent row's attributes.
        attempted = SimpleNamespace(**{info.key: getattr(row, info.key, None) for info in entry.columns})
        deleting = str(row) if row in db.session.deleted else None  # a delete is refused in other words
    g.unit_of_work = (entry, attempted, deleting)
    try:
        db.session.flush()
    except DATA_ERRORS as exc:
        db.session.rollback()
        violation = classify(exc)
        if violation is None:
            raise
        log.info("flush refused for %s: %s", entry.slug, exc)  # the raw text stays in the log
        return explain(violation, entry, attempted, deleting)
    return None


def finish(response: Response) -> Response:
    """Commit what a successful view did; roll back everything else."""
    if response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (SQLAlchemyError, OverflowError, ValueError) as exc:
        db.session.rollback()
        log.warning("commit failed: %s", exc)
        return commit_failed(exc)
    return response


def commit_failed(exc: BaseException) -> Response:
    """Answer a commit that failed with an explanation, never the success page."""
    violation = classify(exc)
    context = g.get("unit_of_work")
    if violation is not None and context is not None:
        problem = explain(violation, *context)
    elif violation is not None:
        problem = Problem("The change breaks a rule of the database and was not saved.")
    else:
        problem = Problem("The database could not save the change. Nothing was saved; try again.", status=503)
    session.pop("_flashes", None)  # a success message was queued for a save that did not happen
    flash(f"Nothing was saved. {problem.message}", "error")
    body = render_template("errors/error.html", status=problem.status, title="Not saved", message=problem.message)
    return Response(body, problem.status)


def discard(_exc: BaseException | None) -> None:
    """Remove the scoped session, rolling back whatever an exception left open."""
    db.session.remove()
