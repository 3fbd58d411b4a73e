"""Fixtures shared by every test: the app on a clean database, a client, a fresh reader."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.security import generate_password_hash

from webapp import accounts, create_app, demo
from webapp.extensions import db
from webapp.models import Account, Base

BACKENDS = ("sqlite", "postgresql", "mariadb")
# One account per role, named after it (see add_accounts); test passwords, never a default.
PASSWORDS = {"admin": "admin-password", "editor": "editor-password", "viewer": "viewer-password"}
# Cheaper than production's scrypt parameters, so signing in per test stays fast.
TEST_HASH_METHOD = "scrypt:2048:8:1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=BACKENDS, default="sqlite", help="database backend to test against")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this run tests: sqlite, postgresql or mariadb."""
    return str(request.config.getoption("--db"))


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database URL for the run's backend; a server backend must be configured."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    name = f"WEBAPP_TEST_{backend.upper()}_URL"
    url = os.environ.get(name)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI must test {backend}: set {name}")
        pytest.skip(f"set {name} to test against {backend}")
    return url


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
    """Drop every demo table, create them again and seed the demo rows."""
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        demo.setup()
        db.session.remove()
    add_accounts(app)


def add_accounts(app: Flask) -> None:
    """Create the admin's own tables afresh, with one account per role, named after it."""
    with app.app_context():
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
