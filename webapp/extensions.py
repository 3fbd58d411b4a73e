"""The Flask extensions, and the connection rules every database gets."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event

from webapp.models.base import Base

# The request commits at its very end (unit_of_work.finish), after which nothing reads its
# rows; expiring every loaded row on commit would only cost time.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()

# Set on a session's connection by a request that may write (see unit_of_work).
WRITE_OPTION = "webapp_writes"
# Each SQLite connection's page cache, in KiB (SQLite's default is 2,000).
SQLITE_CACHE_KB = 8_000


def init_app(app: Flask) -> None:
    """Bind the extensions to ``app`` and tune its engine."""
    db.init_app(app)
    csrf.init_app(app)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        tune_sqlite(engine)
    elif engine.dialect.name in ("mysql", "mariadb"):
        tune_mysql(engine)


def tune_mysql(engine: Engine) -> None:
    """Read committed rows, as PostgreSQL does, rather than InnoDB's repeatable read.

    Repeatable read locks the gaps a range condition scans: a sign-in's DELETE of expired
    sessions held up every other sign-in's INSERT until it committed, and four at once
    deadlocked. Read committed locks only the rows it changes.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.close()


def tune_sqlite(engine: Engine) -> None:
    """Enforce foreign keys, use WAL, wait for locks, and take the write lock up front."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event (below) emit BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite's default page cache (2 MB) holds less than a search can read: the index
        # pages of its 100,000-row window (all of them when a rare word leaves the page
        # short), then the page's rows. Finding a window's end read them from the OS again:
        # 1.55 ms, against 1.10 ms from a cache of 8 MB or more. The cache grows only as
        # pages are read.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # A plain BEGIN upgrades to a write lock mid-transaction and loses updates or
        # fails with "database is locked"; IMMEDIATE takes the lock before reading.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            # A deferred BEGIN takes no lock and cannot wait or fail, so it goes to the driver
            # itself: SQLAlchemy's statement machinery took 28 µs of every read-only page.
            connection.connection.dbapi_connection.execute("BEGIN")
