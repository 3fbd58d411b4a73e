"""The floor: a plain Flask handler that runs the bare SQL of a page and renders it with Jinja."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

from flask import Flask, Response, abort, request
from jinja2 import Environment

# The same page as the admin's expense list: the same columns, labels, links and 50 rows.
PAGE = Environment(autoescape=True).from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Expenses</title>
<link rel="stylesheet" href="/static/admin.css"></head><body><main><h1>Expenses</h1>
<p class="count">{{ rows|length }} expenses</p>
<table class="grid"><thead><tr><th>Id</th><th>User</th><th>Category</th><th>Description</th><th>Amount</th><th>Date</th><th></th></tr></thead>
<tbody>{% for r in rows %}<tr data-key="{{ r.id }}">
<td><a href="/admin/expenses/{{ r.id }}/">{{ r.id }}</a></td>
<td><a href="/admin/users/{{ r.user_id }}/">{{ r.user_name }} &lt;{{ r.email }}&gt;</a></td>
<td><a href="/admin/categories/{{ r.category_id }}/">{{ r.category }}</a></td>
<td>{{ r.description }}</td><td>{{ "%.2f"|format(r.amount) }}</td><td>{{ r.date }}</td>
<td><a href="/admin/expenses/{{ r.id }}/edit">Edit</a> <a href="/admin/expenses/{{ r.id }}/delete">Delete</a></td>
</tr>{% endfor %}</tbody></table>
<nav><a href="?after={{ rows[-1].date if rows }},{{ rows[-1].id if rows }}">Next</a></nav></main></body></html>"""
)
SELECT = """SELECT e.id, e.user_id, e.category_id, e.description, e.amount, e.date,
 u.name AS user_name, u.email, c.name AS category
 FROM expenses e JOIN users u ON u.id = e.user_id JOIN categories c ON c.id = e.category_id"""
BY_DATE = " ORDER BY e.date DESC, e.id DESC LIMIT 50"
QUERIES = {
    "first": (SELECT + BY_DATE, ()),
    "deep": (SELECT + " WHERE e.date <= :date AND (e.date < :date OR e.id < :id)" + BY_DATE, ("date", "id")),
    "sorted": (SELECT + " ORDER BY e.amount DESC, e.id DESC LIMIT 50", ()),
    "search": (SELECT + " WHERE e.description LIKE :pattern" + BY_DATE, ("pattern",)),
    "filter": (SELECT + " WHERE e.category_id = :category" + BY_DATE, ("category",)),
}
local = threading.local()


def connection() -> sqlite3.Connection:
    """One connection per worker thread, opened once, as a plain handler would keep it."""
    if not hasattr(local, "connection"):
        local.connection = sqlite3.connect(os.environ["BENCH_DATABASE"], check_same_thread=False)
        local.connection.row_factory = sqlite3.Row
    return local.connection


def create() -> Flask:
    """The floor app: one route per list scenario."""
    app = Flask(__name__)

    @app.get("/floor/<scenario>")
    def page(scenario: str) -> Response:
        started = time.process_time()
        if scenario not in QUERIES:
            abort(404)
        sql, names = QUERIES[scenario]
        params: dict[str, Any] = {name: request.args[name] for name in names}
        rows = connection().execute(sql, params).fetchall()
        response = Response(PAGE.render(rows=rows))
        response.headers["X-Bench-Statements"] = "1"
        response.headers["X-Bench-Page-Statements"] = "1"
        response.headers["X-Bench-CPU-Us"] = str(round((time.process_time() - started) * 1e6))
        return response

    return app
