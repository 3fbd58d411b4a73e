"""Fixtures shared by every test: the app on a clean database, a client, a fresh reader."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from webapp import create_app, demo
from webapp.extensions import db
from webapp.models import Base

BACKENDS = ("sqlite", "postgresql", "mariadb")


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
        **overrides,
    }
    return create_app(config)


def reset_database(app: Flask) -> None:
    """Drop every demo table, create them again and seed the demo rows."""
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        demo.setup()
        db.session.remove()


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
    """A test client of ``app``."""
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
