"""Error pages in the admin's look: a sentence and a status, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Database unavailable",
}


def init_app(app: Flask) -> None:
    """Render every error the app answers with the same template."""
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.register_error_handler(InternalServerError, server_error)


def page(status: int, message: str) -> tuple[str, int]:
    """The error page for ``status`` with ``message``."""
    title = TITLES.get(status, "Error")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def http_error(exc: HTTPException) -> tuple[str, int]:
    """Aborts and routing errors: their own description is already a sentence."""
    return page(exc.code or 500, exc.description or "")


def csrf_error(_exc: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: say what to do, write nothing."""
    return page(400, "This form has expired or did not come from this site. Go back, reload the page and try again.")


def database_unavailable(exc: Exception) -> tuple[str, int]:
    """The database cannot be reached or refused the connection."""
    log.error("database unavailable: %s", exc)
    return page(503, "The database is not answering right now. Nothing was changed; try again in a moment.")


def server_error(exc: InternalServerError) -> tuple[str, int]:
    """A bug: log it with its traceback, show a plain page."""
    log.error("unhandled error", exc_info=exc.original_exception)
    return page(500, "The server failed to handle this request. Nothing was changed.")
