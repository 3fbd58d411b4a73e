"""Fixtures shared by every test: the app on a clean database, a client, a fresh reader.

``--db postgresql`` and ``--db mariadb`` run the same tests on a database server named by
``WEBAPP_TEST_POSTGRESQL_URL`` / ``WEBAPP_TEST_MARIADB_URL``. Each run works in a database of
its own, created next to the configured one and dropped at the end, so two runs (a person's
and CI's) never reset each other's tables. Without a reachable server the tests skip with
the reason; under CI they fail instead, because CI must test every backend.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, Table, create_engine, func, inspect, make_url, select, text
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from webapp import accounts, create_app, demo
from webapp.extensions import db
from webapp.models import Account, Base

BACKENDS = ("sqlite", "postgresql", "mariadb")
# One account per role, named after it (see add_accounts); test passwords, never a default.
PASSWORDS = {"admin": "admin-password", "editor": "editor-password", "viewer": "viewer-password"}
# Cheaper than production's scrypt parameters, so signing in per test stays fast.
TEST_HASH_METHOD = "scrypt:2048:8:1"
CONNECT_TIMEOUT = 5  # seconds; an unreachable server must not stall the run
LOCK_TIMEOUT = 10  # seconds a reset waits for a lock before it fails instead of hanging


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=BACKENDS, default="sqlite", help="database backend to test against")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "database_rules: an end-to-end test of database rules, also run with --db postgresql/mariadb"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {config.getoption('--db')}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """End with one line per run that says which backend passed how many tests."""
    counts = {key: len(terminalreporter.stats.get(key, [])) for key in ("passed", "failed", "error", "skipped")}
    terminalreporter.write_line(
        f"backend {config.getoption('--db')}: " + ", ".join(f"{n} {key}" for key, n in counts.items() if n)
    )


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this run tests: sqlite, postgresql or mariadb."""
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL of the run's backend, on a database no other run uses."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    url = make_url(server_url(backend))
    admin = server_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"{url.database}_run{os.getpid()}"
    try:
        with admin.connect() as connection:
            drop_stale_databases(connection, url)
            drop_database(connection, name)
            create_database(connection, name)
    except (OperationalError, InterfaceError, ProgrammingError) as exc:
        admin.dispose()
        unavailable(f"{backend} at {url.render_as_string()} cannot be used: {first_line(exc)}")
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        drop_database(connection, name)
    admin.dispose()


def server_url(backend: str) -> str:
    """The configured URL of the ``backend`` server, or skip (fail under CI) without one."""
    name = f"WEBAPP_TEST_{backend.upper()}_URL"
    url = os.environ.get(name)
    if not url:
        unavailable(f"set {name} to test against {backend}")
    return str(url)


def unavailable(reason: str) -> None:
    """Skip the tests that need this backend; under CI, fail: it must test every backend."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must test every backend, but {reason}", pytrace=False)
    pytest.skip(reason)


def first_line(exc: BaseException) -> str:
    """The driver's own first line of an error, without SQLAlchemy's SQL and links."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def server_engine(url: Any, **options: Any) -> Engine:
    """An engine that gives up on an unreachable server after :data:`CONNECT_TIMEOUT`."""
    return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT}, **options)


def create_database(connection: Connection, name: str) -> None:
    """Create ``name`` with the encoding and collation of the configured database."""
    quoted = connection.dialect.identifier_preparer.quote(name)
    if connection.dialect.name == "postgresql":
        encoding, collate, ctype = connection.execute(
            text("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
                 " WHERE datname = current_database()")
        ).one()
        connection.execute(text(
            f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING '{encoding}'"
            f" LC_COLLATE '{collate}' LC_CTYPE '{ctype}'"
        ))
    else:
        charset, collation = connection.execute(
            text("SELECT default_character_set_name, default_collation_name FROM information_schema.schemata"
                 " WHERE schema_name = DATABASE()")
        ).one()
        connection.execute(text(f"CREATE DATABASE {quoted} CHARACTER SET {charset} COLLATE {collation}"))


def drop_database(connection: Connection, name: str) -> None:
    """Drop ``name`` if it exists, ending the sessions still connected to it."""
    quoted = connection.dialect.identifier_preparer.quote(name)
    if connection.dialect.name == "postgresql":
        # FORCE ends the sessions a crashed run left connected (PostgreSQL 13 and later).
        force = " WITH (FORCE)" if connection.dialect.server_version_info >= (13,) else ""
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))
    else:
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted}"))


def drop_stale_databases(connection: Connection, url: Any) -> None:
    """Drop run databases left by runs on this machine that were killed before cleaning up."""
    if url.host not in ("127.0.0.1", "localhost", "::1", None):
        return  # another machine's run may still be using its database
    if connection.dialect.name == "postgresql":
        names = connection.execute(text("SELECT datname FROM pg_database")).scalars()
    else:
        names = connection.execute(text("SELECT schema_name FROM information_schema.schemata")).scalars()
    pattern = re.compile(re.escape(f"{url.database}_run") + r"([0-9]+)")
    for name in names:
        match = pattern.fullmatch(name)
        if match and not process_alive(int(match.group(1))):
            drop_database(connection, name)


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def make_app(database_url: str, **overrides: Any) -> Flask:
    """An app on ``database_url`` for tests: CSRF off unless a test turns it on."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SETUP_DATABASE": False,
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        **overrides,
    }
    return create_app(config)


def reset_database(app: Flask) -> None:
    """Give the app the demo tables holding exactly the demo rows, whatever ran before."""
    with app.app_context():
        engine = db.engine
        key = engine.url.render_as_string()
        if engine.dialect.name == "sqlite":
            Base.metadata.drop_all(engine)
        elif CREATED.get(key) == schema_of(engine):
            # Emptying is much faster than DROP and CREATE on a server (MariaDB's DDL
            # takes a second for these tables), and the tables are known to be as created.
            empty_tables(engine, changed_tables(engine))
        else:
            drop_everything(engine)
            Base.metadata.create_all(engine)
            CREATED[key] = schema_of(engine)
        demo.setup()
        db.session.remove()
    add_accounts(app)
    with app.app_context():
        if db.engine.dialect.name == "mysql":
            SEEDED[db.engine.url.render_as_string()] = fingerprint(db.engine)


# Per server database: its schema as the models created it.
CREATED: dict[str, list[Any]] = {}
SCHEMA_QUERIES = {
    "postgresql": (
        "SELECT 'table', table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema()",
        "SELECT table_name, column_name, data_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = current_schema()",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
        "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints"
        " WHERE table_schema = current_schema()",
    ),
    "mysql": (
        "SELECT 'table', table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE()",
        "SELECT table_name, column_name, column_type, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = DATABASE()",
        "SELECT table_name, index_name, column_name FROM information_schema.statistics WHERE table_schema = DATABASE()",
        "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints"
        " WHERE table_schema = DATABASE()",
    ),
}


def schema_of(engine: Engine) -> list[Any]:
    """Every table, view, column, index and constraint, to see what a test added or changed."""
    with engine.connect() as connection:
        rows = [tuple(row) for sql in SCHEMA_QUERIES[engine.dialect.name] for row in connection.execute(text(sql))]
    return sorted(rows, key=repr)


# Per MariaDB database: each table's checksum and next key right after the last reset.
SEEDED: dict[str, dict[str, tuple[Any, Any]]] = {}


def fingerprint(engine: Engine) -> dict[str, tuple[Any, Any]]:
    """Each table's checksum of its rows and its next generated key (MariaDB)."""
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        names = ", ".join(quote(table.name) for table in Base.metadata.sorted_tables)
        sums = {name.rpartition(".")[2]: value for name, value in connection.execute(text(f"CHECKSUM TABLE {names}"))}
        counters = {name: value for name, value in connection.execute(text(
            "SELECT table_name, auto_increment FROM information_schema.tables WHERE table_schema = DATABASE()"
        ))}
    return {name: (sums.get(name), counters.get(name)) for name in Base.metadata.tables}


def changed_tables(engine: Engine) -> list[Table]:
    """The tables to empty: on MariaDB only the groups a test changed, since each
    ALTER TABLE that restarts a key costs tens of milliseconds there."""
    every = Base.metadata.sorted_tables
    seeded = SEEDED.get(engine.url.render_as_string())
    if engine.dialect.name != "mysql" or seeded is None:
        return every
    now = fingerprint(engine)
    internal = accounts.internal_tables()
    demo_tables = [table for table in every if table not in internal]
    changed = []
    # The demo rows are seeded together and the accounts added together: empty a group whole.
    for group in (demo_tables, internal):
        if any(now[table.name] != seeded[table.name] for table in group):
            changed.extend(group)
    return changed


def empty_tables(engine: Engine, tables: list[Table]) -> None:
    """Delete every row of ``tables`` and restart their generated keys, as after a fresh seed."""
    end_open_transactions(engine)
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        postgresql = connection.dialect.name == "postgresql"
        if not postgresql:
            connection.execute(text("SET SESSION foreign_key_checks = 0"))
        for table in reversed(tables):
            connection.execute(text(f"DELETE FROM {quote(table.name)}"))
        for table in tables:
            column = table.autoincrement_column
            if column is None:
                continue
            if postgresql:
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence(:table, :column), 1, false)"),
                    {"table": table.name, "column": column.name},
                )
            else:
                connection.execute(text(f"ALTER TABLE {quote(table.name)} AUTO_INCREMENT = 1"))
        if not postgresql:
            connection.execute(text("SET SESSION foreign_key_checks = 1"))


def drop_everything(engine: Engine) -> None:
    """Empty a run's server database, whatever an earlier test left in it."""
    end_open_transactions(engine)
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        postgresql = connection.dialect.name == "postgresql"
        # A lock a leaked session still holds must fail the reset, not hang it.
        if postgresql:
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}s'"))
        else:
            connection.execute(text(f"SET SESSION lock_wait_timeout = {LOCK_TIMEOUT}"))
            connection.execute(text("SET SESSION foreign_key_checks = 0"))
        cascade = " CASCADE" if postgresql else ""
        schema = inspect(connection)
        for view in schema.get_view_names():
            connection.execute(text(f"DROP VIEW IF EXISTS {quote(view)}{cascade}"))
        for table in schema.get_table_names():
            connection.execute(text(f"DROP TABLE IF EXISTS {quote(table)}{cascade}"))
        if not postgresql:
            connection.execute(text("SET SESSION foreign_key_checks = 1"))
            connection.execute(text("SET SESSION lock_wait_timeout = DEFAULT"))


def end_open_transactions(engine: Engine) -> None:
    """End other sessions that sit in an open transaction on this run's database.

    A test that failed halfway may leave a connection checked out with its transaction
    open; its locks would block every DROP after it. The database belongs to this run,
    so nobody else's work is cut short; pooled connections recover by pool_pre_ping.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            ))
        else:
            stuck = connection.execute(text(
                "SELECT p.id FROM information_schema.processlist p"
                " JOIN information_schema.innodb_trx t ON t.trx_mysql_thread_id = p.id"
                " WHERE p.db = DATABASE() AND p.id <> CONNECTION_ID()"
            )).scalars().all()
            for thread in stuck:
                connection.execute(text(f"KILL {int(thread)}"))
        connection.commit()


def add_accounts(app: Flask) -> None:
    """Create the admin's own tables afresh, with one account per role, named after it."""
    with app.app_context():
        accounts.create_tables()
        rows = {table.name: db.session.scalar(select(func.count()).select_from(table)) for table in accounts.internal_tables()}
        names = set(db.session.scalars(select(Account.name)))
        # End the read: SQLite cannot write from a snapshot older than the DDL below.
        db.session.rollback()
        if names == set(PASSWORDS) and sum(rows.values()) == len(PASSWORDS):
            return  # already so: skip the DDL, which takes a second on MariaDB
        if any(rows.values()):
            Base.metadata.drop_all(db.engine, tables=accounts.internal_tables())
            accounts.create_tables()
        for role, password in PASSWORDS.items():
            db.session.add(Account(name=role, password_hash=password_hash(password), role=role))
        db.session.commit()
        db.session.remove()


@functools.cache
def password_hash(password: str) -> str:
    """Hash once per run: hashing is slow on purpose."""
    return generate_password_hash(password, method=TEST_HASH_METHOD)


def log_in(client: FlaskClient, name: str = "editor") -> FlaskClient:
    """Sign ``client`` in as the account ``name`` (see :data:`PASSWORDS`), with a CSRF token if needed."""
    data = {"name": name, "password": PASSWORDS[name]}
    if client.application.config.get("WTF_CSRF_ENABLED", True):
        page = client.get("/login").get_data(as_text=True)
        data["csrf_token"] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data=data)
    assert response.status_code == 303, f"signing in as {name} answered {response.status_code}"
    return client


class EditorClient(FlaskClient):
    """A test client that signs in as the editor when it is made (``app.test_client_class``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        log_in(self, "editor")


@pytest.fixture(scope="session")
def passwords() -> dict[str, str]:
    """The test accounts' passwords by account name (each account is named after its role)."""
    return dict(PASSWORDS)


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app on a freshly seeded database."""
    app = make_app(database_url)
    reset_database(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of ``app``, signed in as an editor (create, edit, delete, import)."""
    return log_in(app.test_client(), "editor")


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    """A test client signed in as an admin (also manages accounts)."""
    return log_in(app.test_client(), "admin")


@pytest.fixture
def viewer_client(app: Flask) -> FlaskClient:
    """A test client signed in as a viewer (reads only)."""
    return log_in(app.test_client(), "viewer")


@pytest.fixture
def signing_in() -> Callable[[Flask], Flask]:
    """Give an app of a test's own the role accounts, and make its test clients sign in as the editor."""

    def sign_in(app: Flask) -> Flask:
        add_accounts(app)
        app.test_client_class = EditorClient
        return app

    return sign_in


@pytest.fixture
def client_as(app: Flask) -> Callable[[str], FlaskClient]:
    """Make a new client of ``app`` signed in as ``admin``, ``editor`` or ``viewer`` (or ``anonymous``)."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        return client if role == "anonymous" else log_in(client, role)

    return make


@pytest.fixture
def app_with(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Make another app on the run's database with config ``overrides``; ``reset=False`` keeps its tables."""
    made: list[Flask] = []

    def make(reset: bool = True, **overrides: Any) -> Flask:
        app = make_app(database_url, **overrides)
        if reset:
            reset_database(app)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def anonymous_client(app: Flask) -> FlaskClient:
    """A test client that has not signed in."""
    return app.test_client()


@pytest.fixture
def read_back(database_url: str) -> Iterator[Callable[..., Any]]:
    """Run one SQL query on a fresh connection (never the app's session) and return its scalar."""
    engine = create_engine(database_url)

    def read(sql: str, **params: Any) -> Any:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    yield read
    engine.dispose()
