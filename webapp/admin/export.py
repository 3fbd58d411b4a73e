"""CSV export of a list as the user searched, filtered and sorted it, streamed row by row."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote as url_quote

from flask import Response, request
from sqlalchemy import Engine, Select, select

from webapp.admin import queries
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000  # rows fetched from the database, and written to the client, at a time


def export_view(entry: ModelAdmin) -> Response:
    """Answer the list's rows as a CSV file, honouring its query string."""
    params = queries.parse_params(entry, request.args)  # a malformed query is a 400, before any byte
    statement = export_query(entry, params)
    header = [info.key for info in entry.columns]
    ascii_name = entry.slug.encode("ascii", "replace").decode().replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}.csv\"; filename*=UTF-8''{url_quote(entry.slug)}.csv"
    # The body is generated after the request's unit of work has ended, so it reads on its
    # own connection, which the generator closes when it ends or the client goes away.
    body = stream_csv(db.engine, statement, header)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": disposition})


def export_query(entry: ModelAdmin, params: queries.ListParams) -> Select[Any]:
    """Every column of the rows the list shows, in the list's order, without paging."""
    statement = select(*(getattr(entry.model, info.key) for info in entry.columns))
    statement = queries.filtered(entry, statement, params)
    return statement.order_by(*queries.ordering(entry, params.sort or entry.default_order))


def stream_csv(engine: Engine, statement: Select[Any], header: list[str]) -> Iterator[bytes]:
    """Yield the CSV text of ``statement``'s rows in UTF-8, a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape(name) for name in header])
    yield _drain(buffer)
    with engine.connect() as connection:
        # yield_per makes the driver stream (server-side cursor) instead of fetching everything.
        result = connection.execution_options(yield_per=BATCH).execute(statement)
        try:
            for rows in result.partitions():
                writer.writerows([cell(value) for value in row] for row in rows)
                yield _drain(buffer)
        finally:
            result.close()  # a client that leaves mid-way must not leave a server-side cursor open


def _drain(buffer: io.StringIO) -> bytes:
    """Take what the writer wrote so far, leaving the buffer empty."""
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


def cell(value: Any) -> str:
    """Spell one value for a CSV cell the way the import reads it back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return escape(value)
    return str(value)  # numbers can never be formulas; escaping "-5" would corrupt it


def escape(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with an apostrophe."""
    # Text already starting with apostrophes before a formula gets one more, so that
    # :func:`unescape` can tell the two apart and every text round-trips.
    return "'" + text if text.lstrip("'").startswith(FORMULA_START) else text


def unescape(text: str) -> str:
    """Undo :func:`escape`, so an exported file imports back unchanged."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_START) else text
