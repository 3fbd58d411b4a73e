"""A live server on a free port and Debian's Chromium, for the end-to-end suite.

The server is the real app in a subprocess (``flask --app webapp run``) with CSRF on, on the
run's database (``--db``). Every browser context is signed in as an editor (through the sign-in
page, once per server). Every test starts from freshly seeded demo data and reads what it
saved back through its own engine, never the server's session.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, RowMapping, create_engine, text
from werkzeug.security import generate_password_hash

from webapp import accounts, create_app, demo
from webapp.extensions import db
from webapp.models import Account

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "e2e-secret-key"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 20.0
# The account every browser signs in as: an editor may create, edit and delete rows.
EDITOR, EDITOR_PASSWORD = "e2e-editor", "e2e-editor-password"
TEST_HASH_METHOD = "scrypt:2048:8:1"  # cheaper than production's; the stored hash names its method
# werkzeug's request log line, perhaps coloured: "GET / HTTP/1.1" 500 -
SERVER_ERROR = re.compile(r'HTTP/[0-9.]+(?:\x1b\[[0-9;]*m)*" 5[0-9][0-9] ')


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``flask --app webapp run`` in a subprocess, on its own port and log file."""

    def __init__(self, database_url: str, log_path: Path, **settings: Any) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.settings = settings
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: TextIO | None = None

    def environment(self) -> dict[str, str]:
        """The server's environment: this one without Flask's own switches, plus the app's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WEBAPP_"))}
        env["WEBAPP_DATABASE_URL"] = self.database_url
        env["WEBAPP_SECRET_KEY"] = SECRET_KEY
        env.update({f"WEBAPP_{name.upper()}": str(value) for name, value in self.settings.items()})
        return env

    def start(self) -> None:
        """Start the server and wait until GET /healthz answers 200."""
        for _attempt in range(3):  # another process may take the free port before flask binds it
            port = free_port()
            self._log = self.log_path.open("a")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "webapp", "run", "--port", str(port)],
                cwd=ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            self.url = f"http://127.0.0.1:{port}"
            if self._wait_until_healthy():
                return
            self.stop()
        raise RuntimeError(f"the live server did not start; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")

    def _wait_until_healthy(self) -> bool:
        """Poll /healthz; False if the process exits first or time runs out."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        return False

    def log_size(self) -> int:
        """How far the server's log has grown, to read what a test adds to it."""
        return self.log_path.stat().st_size

    def failures_since(self, offset: int) -> list[str]:
        """Tracebacks and 5xx answers the server logged after ``offset``."""
        with self.log_path.open(errors="replace") as log:
            log.seek(offset)
            lines = log.read().splitlines()
        return [line for line in lines if line.startswith("Traceback") or SERVER_ERROR.search(line)]

    def stop(self) -> None:
        """Stop the server and wait for it, so nothing is left running or open."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None


class Database:
    """The run's database seen from outside the server: reseed it, read it back, change it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        # An app that is never served: only its setup code, to reseed the demo tables.
        self._app: Flask = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SETUP_DATABASE": False, "TESTING": True}
        )

    def reseed(self) -> None:
        """Drop the demo tables, create them again and fill them with the demo rows."""
        with self._app.app_context():
            demo.setup(reset=True)
            db.session.remove()

    def add_editor(self) -> None:
        """Create the admin's own tables and the editor account the browsers sign in as."""
        with self._app.app_context():
            accounts.create_tables()
            if accounts.find(EDITOR) is None:
                password_hash = generate_password_hash(EDITOR_PASSWORD, method=TEST_HASH_METHOD)
                db.session.add(Account(name=EDITOR, password_hash=password_hash, role="editor"))
                db.session.commit()
            db.session.remove()

    def scalar(self, sql: str, **params: Any) -> Any:
        """One value, read on a fresh connection."""
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def column(self, sql: str, **params: Any) -> list[Any]:
        """The first column of every row, read on a fresh connection."""
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).scalars())

    def rows(self, sql: str, **params: Any) -> list[RowMapping]:
        """Every row as a mapping, read on a fresh connection."""
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).mappings())

    def execute(self, sql: str, **params: Any) -> None:
        """Change the database behind the server's back, committed at once."""
        with self.engine.begin() as connection:
            connection.execute(text(sql), params)

    def close(self) -> None:
        """Release every connection of the reader and of the reseeding app."""
        self.engine.dispose()
        with self._app.app_context():
            db.engine.dispose()


# --- the server, the database and the browser -----------------------------------------


@pytest.fixture(scope="session")
def database(backend: str, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The database every live server of this run serves (``--db`` picks the backend).

    On SQLite the servers get a file of their own, so the other suites' resets never meet a
    live server's connections; a server backend's run database is used as it is.
    """
    if backend == "sqlite":
        database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.sqlite'}"
    database = Database(database_url)
    database.reseed()  # so the server starts on the demo data, whatever ran before
    database.add_editor()  # before any server starts: with an account there, none prints a first admin
    yield database
    database.close()


@pytest.fixture(scope="session")
def start_server(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """``start_server(per_page=2)``: a live server on the run's database with those settings.

    Each server logs to a file in the run's temp directory; any still running at the end
    of the run is stopped then.
    """
    started: list[LiveServer] = []

    def start(**settings: Any) -> LiveServer:
        server = LiveServer(database.url, tmp_path_factory.mktemp("server") / "server.log", **settings)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_server: Callable[..., LiveServer]) -> Iterator[LiveServer]:
    """The real app served on a free port for the whole run, CSRF on."""
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """The server a test's pages come from; a module may override it (say, with other settings)."""
    return live_server


@pytest.fixture(autouse=True)
def seeded(server: LiveServer, database: Database) -> Database:
    """Start every test on the demo data, whatever the previous test saved."""
    database.reseed()
    return database


@pytest.fixture(autouse=True)
def no_server_errors(server: LiveServer) -> Iterator[None]:
    """Fail a test during which the server logged a traceback or answered 5xx: nothing a user does may."""
    offset = server.log_size()
    yield
    failures = server.failures_since(offset)
    assert not failures, f"the server failed during this test (see {server.log_path}):\n" + "\n".join(failures)


@pytest.fixture
def base_url(server: LiveServer) -> str:
    """The live server's address; ``page.goto("/admin/")`` is relative to it."""
    return server.url


@pytest.fixture(scope="session")
def signed_in_states() -> dict[str, Path]:
    """The saved cookies of a browser signed in to each server, by the server's address."""
    return {}


@pytest.fixture
def signed_in_state(
    server: LiveServer,
    browser: Browser,
    signed_in_states: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Sign in as the editor through the sign-in page, once per server, and keep the cookies."""
    if server.url not in signed_in_states:
        context = browser.new_context(base_url=server.url)
        try:
            page = context.new_page()
            page.goto("/admin/")
            page.get_by_label("Name", exact=True).fill(EDITOR)
            page.get_by_label("Password").fill(EDITOR_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/admin/")
            path = tmp_path_factory.mktemp("signed-in") / "state.json"
            context.storage_state(path=path)
        finally:
            context.close()
        signed_in_states[server.url] = path
    return signed_in_states[server.url]


@pytest.fixture
def browser_context_args(base_url: str, signed_in_state: Path) -> dict[str, Any]:
    """Every browser context talks to the live server, in English, signed in as the editor."""
    return {"base_url": base_url, "locale": "en-US", "storage_state": signed_in_state}


@pytest.fixture(scope="session")
def browser_type_launch_args() -> Mapping[str, Any]:
    """Debian's Chromium, headless; Playwright never downloads a browser here."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("install Debian's chromium package to run the browser tests (make chromium)")
    return {"executable_path": executable, "args": CHROMIUM_ARGS}


# --- acting like a user ---------------------------------------------------------------


class Submit:
    """Press a form's button and answer the status of the POST it sends."""

    def __call__(self, page: Page, button: str = "Save") -> int:
        # Wait for the page the browser ends on (after a redirect, the GET it leads to),
        # and answer the POST's own status: 303, 409, 422, 400...
        with page.expect_navigation(), page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name=button, exact=True).click()
        return posted.value.status


@pytest.fixture
def submit() -> Submit:
    """``submit(page)`` presses Save (or the named button) and returns the POST's status."""
    return Submit()
