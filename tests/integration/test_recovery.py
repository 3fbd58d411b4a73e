"""After the database server restarts or drops its connections, the next request succeeds.

The server is never really stopped (others may be using it): its connections are
terminated from the server side (``pg_terminate_backend``, MariaDB's ``KILL``), and a
restart is played by a TCP relay in front of it that goes away and comes back.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

ReadBack = Callable[..., Any]
UNAVAILABLE = "The database is not answering right now. Nothing was changed; try again in a moment."


@pytest.fixture
def server_backend(backend: str) -> str:
    """The run's backend, when it is a server whose connections can be lost."""
    if backend == "sqlite":
        pytest.skip("SQLite is a file, with no server connections to lose")
    return backend


def end_connections(database_url: str) -> int:
    """End every other session on the run's database, as a server restart does. Return how many."""
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            ended = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )).scalar_one()
        else:
            threads = connection.execute(text(
                "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()"
            )).scalars().all()
            for thread in threads:
                connection.execute(text(f"KILL {int(thread)}"))
            ended = len(threads)
    engine.dispose()
    return int(ended)


def create_team(client: FlaskClient, name: str) -> int:
    """Create a team through the form; the response status."""
    return client.post("/admin/team/new", data={"name": name, "headquarters": "Anywhere"}).status_code


@pytest.mark.usefixtures("server_backend")
def test_the_next_request_succeeds_after_every_connection_was_ended(
    app: Flask, client: FlaskClient, database_url: str, read_back: ReadBack
) -> None:
    assert client.get("/admin/team/").status_code == 200  # the pool now holds a connection
    assert end_connections(database_url) >= 1
    assert client.get("/admin/team/").status_code == 200  # pool_pre_ping replaced it
    assert create_team(client, "After the restart") == 303
    assert client.get("/healthz").status_code == 200
    assert read_back("SELECT count(*) FROM team WHERE name = 'After the restart'") == 1


@pytest.mark.usefixtures("server_backend")
def test_without_pre_ping_one_request_fails_with_a_503_page(
    app_with: Callable[..., Flask], signing_in: Callable[[Flask], Flask], database_url: str
) -> None:
    """What pool_pre_ping saves: a request on a dead connection (and even then, no traceback)."""
    app = signing_in(app_with(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False}))
    client = app.test_client()
    assert client.get("/admin/team/").status_code == 200
    assert end_connections(database_url) >= 1
    failed = client.get("/admin/team/")
    assert failed.status_code == 503
    assert UNAVAILABLE in failed.get_data(as_text=True)
    assert client.get("/admin/team/").status_code == 200  # the pool dropped the dead connections


# --- a server that goes away and comes back ---------------------------------------------


class Relay:
    """A TCP relay on a loopback port to the database server, which can stop and start again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (on the same port as before, after a stop) and relay every connection."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a stopped server does."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the other side
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listener was closed
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # the relay was stopped, or a side hung up
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


@pytest.fixture
def relay(database_url: str, server_backend: str) -> Iterator[Relay]:
    """A relay to the run's database server, started."""
    url = make_url(database_url)
    relay = Relay((url.host or "127.0.0.1", url.port or (5432 if server_backend == "postgresql" else 3306)))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def relayed_client(
    app: Flask, relay: Relay, database_url: str, app_with: Callable[..., Flask], signing_in: Callable[[Flask], Flask]
) -> FlaskClient:
    """A signed-in client of an app that reaches the run's database through ``relay``."""
    url = make_url(database_url).set(host="127.0.0.1", port=relay.port)
    other = signing_in(app_with(reset=False, DATABASE_URL=url.render_as_string(hide_password=False)))
    return other.test_client()


def test_a_database_that_is_down_gives_a_503_page_and_the_app_recovers(
    relayed_client: FlaskClient, relay: Relay, read_back: ReadBack
) -> None:
    client = relayed_client
    assert client.get("/admin/team/").status_code == 200

    relay.stop()
    for response in (client.get("/admin/team/"), client.post("/admin/team/new", data={"name": "Down"})):
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert 'data-testid="error-page"' in page and UNAVAILABLE in page
        assert "Traceback" not in page and "OperationalError" not in page
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "database unavailable"}

    relay.start()  # the server is back, on the same address
    assert client.get("/admin/team/").status_code == 200
    assert create_team(client, "Back up") == 303
    assert client.get("/healthz").status_code == 200
    assert read_back("SELECT count(*) FROM team WHERE name IN ('Down', 'Back up')") == 1


def test_a_database_that_was_never_up_gives_a_503_page(app_with: Callable[..., Flask], backend: str) -> None:
    """A wrong address or a missing file: every page says so, none shows a traceback."""
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = {
        "sqlite": "sqlite:////nonexistent-directory/webapp.sqlite",
        "postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{port}/test",
        "mariadb": f"mysql+pymysql://root@127.0.0.1:{port}/test",
    }[backend]
    client = app_with(reset=False, DATABASE_URL=url).test_client()
    assert client.get("/healthz").status_code == 503
    response = client.post("/login", data={"name": "editor", "password": "editor-password"})
    assert response.status_code == 503
    assert UNAVAILABLE in response.get_data(as_text=True)


def test_other_engine_options_keep_pool_pre_ping(app_with: Callable[..., Flask]) -> None:
    """Tuning the pool (WEBAPP_SQLALCHEMY_ENGINE_OPTIONS) must not lose the check on checkout."""
    app = app_with(reset=False, SQLALCHEMY_ENGINE_OPTIONS={"pool_recycle": 3600})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True, "pool_recycle": 3600}
