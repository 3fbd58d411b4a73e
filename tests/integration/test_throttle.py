"""Sign-in throttling: per name and per client address, counted in the database, for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from webapp import accounts
from webapp.extensions import db

ReadBack = Callable[..., Any]
PASSWORDS = {"admin": "admin-password", "editor": "editor-password", "viewer": "viewer-password"}  # as conftest
LOCKED = "Too many failed sign-ins"


def attempt(client: FlaskClient, name: str, password: str, address: str = "192.0.2.1") -> Any:
    """One sign-in from ``address``."""
    return client.post("/login", data={"name": name, "password": password}, environ_base={"REMOTE_ADDR": address})


def fail(client: FlaskClient, name: str, times: int, address: str = "192.0.2.1") -> None:
    """``times`` wrong passwords for ``name``, each refused as a wrong password."""
    for _ in range(times):
        assert attempt(client, name, "wrong-password", address).status_code == 422


@pytest.mark.parametrize("name", ["editor", "nobody"])
def test_too_many_failures_lock_the_name_for_a_while(anonymous_client: FlaskClient, read_back: ReadBack, name: str) -> None:
    fail(anonymous_client, name, 5)
    response = attempt(anonymous_client, name, PASSWORDS.get(name, "wrong-password"))
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert LOCKED in page and 'data-testid="error-page"' in page and 'data-status="429"' in page
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    # The same answer from another address: the name is locked, whoever asks.
    assert attempt(anonymous_client, name, "wrong-password", "198.51.100.7").status_code == 429
    assert read_back("SELECT COUNT(*) FROM login_attempts WHERE name = :name", name=name) == 5
    assert read_back("SELECT COUNT(*) FROM account_sessions") == 0


def test_other_names_are_not_locked_by_one(anonymous_client: FlaskClient) -> None:
    fail(anonymous_client, "editor", 5)
    assert attempt(anonymous_client, "viewer", PASSWORDS["viewer"], "198.51.100.7").status_code == 303


def test_too_many_failures_from_one_address_lock_it(app: Flask, anonymous_client: FlaskClient) -> None:
    app.config["LOGIN_MAX_ADDRESS_FAILURES"] = 6
    for number in range(6):
        fail(anonymous_client, f"guess{number}", 1)
    assert attempt(anonymous_client, "viewer", PASSWORDS["viewer"]).status_code == 429
    assert attempt(anonymous_client, "viewer", PASSWORDS["viewer"], "198.51.100.7").status_code == 303


def test_the_lock_ends_when_the_failures_are_old_enough(
    anonymous_client: FlaskClient, database_url: str
) -> None:
    fail(anonymous_client, "editor", 5)
    assert attempt(anonymous_client, "editor", PASSWORDS["editor"]).status_code == 429
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE login_attempts SET at = :old"), {"old": "2000-01-01 00:00:00"})
    engine.dispose()
    assert attempt(anonymous_client, "editor", PASSWORDS["editor"]).status_code == 303


def test_a_success_forgets_the_names_failures(anonymous_client: FlaskClient, read_back: ReadBack) -> None:
    fail(anonymous_client, "editor", 4)
    assert attempt(anonymous_client, "editor", PASSWORDS["editor"]).status_code == 303
    assert read_back("SELECT COUNT(*) FROM login_attempts WHERE name = 'editor'") == 0
    anonymous_client.post("/logout")
    fail(anonymous_client, "editor", 4)  # four more are allowed again


def test_failures_are_counted_across_workers(app_with: Any, app: Flask) -> None:
    """Two apps (two workers, or two hosts) on one database share the count."""
    other = app_with(reset=False)
    fail(app.test_client(), "editor", 3)
    fail(other.test_client(), "editor", 2)
    assert attempt(app.test_client(), "editor", PASSWORDS["editor"]).status_code == 429


def test_unknown_names_and_wrong_passwords_take_similar_time(app: Flask, anonymous_client: FlaskClient) -> None:
    app.config.update(LOGIN_MAX_FAILURES=100, LOGIN_MAX_ADDRESS_FAILURES=100, PASSWORD_HASH_METHOD="scrypt:16384:8:1")
    with app.app_context():  # a hash slow enough to dominate the timing, like production's
        accounts.create("timed", "timed-password", "viewer")
        db.session.commit()
        db.session.remove()

    def timed(name: str) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            attempt(anonymous_client, name, "wrong-password")
            best = min(best, time.perf_counter() - start)
        return best

    known, unknown = timed("timed"), timed("nobody-at-all")
    # Both verify a hash: without the dummy check the unknown name answers several times faster.
    assert 0.5 < unknown / known < 2, (known, unknown)
