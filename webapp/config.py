"""Load configuration: defaults, then instance/config.py, then WEBAPP_* env, then tests."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    # None means "the SQLite file in instance/", resolved once the instance path is known.
    "DATABASE_URL": None,
    "SETUP_DATABASE": True,  # create missing tables and seed the demo data on first run
    "PER_PAGE": 50,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Served over HTTPS (directly or behind a proxy): Secure cookies, https URLs, HSTS.
    "HTTPS": False,
    # How many reverse proxies stand in front of the app; their X-Forwarded-* headers are
    # trusted, so throttling counts the real client address. 0 trusts no header.
    "TRUSTED_PROXIES": 0,
    "PASSWORD_HASH_METHOD": "scrypt",  # werkzeug's default parameters
    "PASSWORD_MIN_LENGTH": 10,
    "SESSION_MAX_AGE": 12 * 3600,  # seconds a sign-in lasts
    # Sign-in throttling: this many failures within LOGIN_LOCK_SECONDS locks an account
    # name (or a client address) out until the oldest of them is that old.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_ADDRESS_FAILURES": 20,
    "LOGIN_LOCK_SECONDS": 15 * 60,
}


def load(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from every source, later sources winning."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("WEBAPP")
    if test_config is not None:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'webapp.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    # Setting other engine options (pool_size, say) must not drop the check that makes a
    # restarted database server cost no failed request; only an explicit False turns it off.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path) / "secret_key")
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def instance_secret(path: Path) -> str:
    """Return the key stored at ``path``, generating it on first use."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    # Write a private temp file, then link it into place: link() fails if another
    # process got there first, so every process ends up with the same key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
