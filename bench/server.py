"""The app as gunicorn serves it, plus a response header counting its SQL statements."""

from __future__ import annotations

import functools
import re
import time
from typing import Any

from flask import Flask, Response, g
from sqlalchemy import event

from webapp import create_app
from webapp.extensions import db

CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SET)\b", re.IGNORECASE)
# Tables the sign-in check reads on every page; counted apart from the page's own queries.
INTERNAL = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+[`\"]?(account\w*|\w*session\w*|sign_in\w*)", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def classify(statement: str) -> int:
    """0 for a transaction's own statement, 1 for the page's, 2 for the sign-in check's.

    Remembered per statement text: the same few statements run on every request, and
    matching a page's 2 KB of SQL each time would slow the app the floor is compared with.
    """
    if CONTROL.match(statement):
        return 0
    return 2 if INTERNAL.search(statement) else 1


def create() -> Flask:
    """The real app, counting statements per request into X-Bench-* headers."""
    app = create_app()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counts = g.setdefault("bench_statements", [0, 0, 0])  # all, the page's own, sign-in
        counts[0] += 1
        kind = classify(statement)
        if kind:
            counts[kind] += 1

    def clock() -> None:
        g.bench_cpu = time.process_time()

    def report(response: Response) -> Response:
        # CPU time of this worker for the request: unlike latency, unaffected by other busy processes.
        response.headers["X-Bench-CPU-Us"] = str(round((time.process_time() - g.get("bench_cpu", 0.0)) * 1e6))
        counts = g.get("bench_statements", [0, 0, 0])
        response.headers["X-Bench-Statements"] = str(counts[0])
        response.headers["X-Bench-Page-Statements"] = str(counts[1])
        response.headers["X-Bench-Sign-In-Statements"] = str(counts[2])
        return response

    # First before, last after every hook of the app: the sign-in check and the commit count too.
    app.before_request_funcs.setdefault(None, []).insert(0, clock)
    app.after_request_funcs.setdefault(None, []).insert(0, report)

    return app
