"""Import jobs kept in the database, so any worker of any host can draw their pages.

The request that uploads (or confirms) a file writes its job in the request's transaction and
commits it before a thread takes it up. The thread writes its progress in short transactions
of its own, on another connection than the import's, so readers see it while the import's
transaction is still open. SQLite is the exception: it has one write lock for the whole
database, and the import holds it from the first row to the end, so the thread there writes
the job only once the import's transaction has ended (see :func:`reports_midway`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from flask import abort
from sqlalchemy import Connection, delete, func, insert, select, text, update

from webapp.extensions import WRITE_OPTION, db
from webapp.models.accounts import utcnow
from webapp.models.jobs import ImportJob

RUNNING = frozenset({"checking", "importing"})
STALE_SECONDS = 120  # a job that has not reported for this long died with its process
KEEP_SECONDS = 24 * 3600  # jobs older than this are deleted, with their file
CHUNK = 1024 * 1024  # bytes of the stored file read per query
STATEMENT_ROOM = 64 * 1024  # bytes of an INSERT besides its file
MISSING = "There is no such import; upload the file again."
FIELDS = (ImportJob.slug, ImportJob.stage, ImportJob.filename, ImportJob.share, ImportJob.account, ImportJob.updated)


def create(token: str, slug: str, filename: str, data: bytes) -> None:
    """Add the job of a new upload to the request's transaction, deleting day-old jobs."""
    now = utcnow()
    db.session.execute(delete(ImportJob).where(ImportJob.updated < now - dt.timedelta(seconds=KEEP_SECONDS)))
    db.session.execute(
        insert(ImportJob).values(
            token=token, slug=slug, stage="checking", filename=filename[:255], share=0.0, report="{}",
            updated=now, data=data,
        )
    )


def largest_file() -> int | None:
    """The largest file the database takes as one value, when it may be less than an upload."""
    if db.engine.dialect.name not in ("mysql", "mariadb"):
        return None
    # MariaDB refuses a statement longer than max_allowed_packet (16 MiB unless raised) and
    # drops the connection, which looks like an outage: better to say so before sending it.
    packet = int(db.session.scalar(text("SELECT @@max_allowed_packet")) or 0)
    return packet - STATEMENT_ROOM


def load(slug: str, token: str) -> dict[str, Any]:
    """The job of ``token`` for table ``slug`` as the pages show it, or answer 404."""
    row = db.session.execute(select(*FIELDS, ImportJob.report).where(ImportJob.token == token)).first()
    if row is None or row.slug != slug:
        abort(404, MISSING)
    job: dict[str, Any] = {**json.loads(row.report), **{column.key: getattr(row, column.key) for column in FIELDS}}
    if job["stage"] in RUNNING and stale(row.updated):
        job["stage"] = "stopped"  # its process ended mid-way; its transaction was rolled back
    return job


def stale(updated: dt.datetime) -> bool:
    """Whether a running job last written at ``updated`` has died with its process."""
    if utcnow() - updated <= dt.timedelta(seconds=STALE_SECONDS):
        return False
    # On SQLite a running job cannot report until its import ends, but it holds the write
    # lock all along, and the operating system releases that lock when its process dies.
    return not (db.engine.dialect.name == "sqlite" and sqlite_locked())


def sqlite_locked() -> bool:
    """Whether another connection holds SQLite's write lock right now, asked without waiting."""
    with db.engine.connect() as connection:
        raw: Any = connection.connection.driver_connection  # beneath SQLAlchemy's own BEGIN
        wait = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked"
            return True
        else:
            raw.execute("ROLLBACK")
        finally:
            raw.execute(f"PRAGMA busy_timeout = {wait}")
    return False


def claim(token: str, account: str) -> bool:
    """Mark a checked job as importing for ``account``; False when another request already did."""
    result = db.session.execute(
        update(ImportJob)
        .where(ImportJob.token == token, ImportJob.stage == "checked")
        .values(stage="importing", share=0.0, account=account, updated=utcnow())
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# --- the thread's side ----------------------------------------------------------------


def read(token: str) -> tuple[str | None, dict[str, Any]]:
    """The account a job runs for and its report so far, read on a connection of its own."""
    with db.engine.connect() as connection:
        row = connection.execute(select(ImportJob.account, ImportJob.report).where(ImportJob.token == token)).one()
    return row.account, json.loads(row.report)


def stored_file(token: str) -> BinaryIO:
    """The job's file as a seekable stream that reads the row a chunk at a time."""
    return io.BufferedReader(StoredFile(token), buffer_size=CHUNK)


class StoredFile(io.RawIOBase):
    """The ``data`` of one job's row, read with SUBSTR so memory stays flat whatever its size.

    Each read is a short query on a connection of its own: on SQLite's WAL a reader never
    waits for the import's write lock, and the other backends have no such lock to wait for.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token, self.position = token, 0
        self.size = int(self._scalar(func.coalesce(func.length(ImportJob.data), 0)))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.size - self.position)
        if wanted <= 0:
            return 0
        chunk = bytes(self._scalar(func.substr(ImportJob.data, self.position + 1, wanted)) or b"")
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def _scalar(self, expression: Any) -> Any:
        """One value of the job's row."""
        with db.engine.connect() as connection:
            return connection.execute(select(expression).where(ImportJob.token == self.token)).scalar_one()


def save(token: str, report: dict[str, Any], **values: Any) -> None:
    """Write the job's report and ``values`` in a short transaction of its own, stamped with the time."""
    with writing() as connection:
        connection.execute(
            update(ImportJob)
            .where(ImportJob.token == token)
            .values(report=json.dumps(report), updated=utcnow(), **values)
        )


@contextmanager
def writing() -> Iterator[Connection]:
    """A transaction on a connection of its own, with SQLite's write lock taken at its start."""
    with db.engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


def reports_midway() -> bool:
    """Whether the thread can write progress while its import's transaction is open."""
    # Not on SQLite: the write would wait for the lock its own import holds, and fail
    # after the busy timeout. There the page shows the job running until it ends.
    return db.engine.dialect.name != "sqlite"
