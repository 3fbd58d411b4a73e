"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp import (
    account_views,
    accounts,
    admin,
    audit,
    auth,
    cli,
    config,
    csrf,
    demo,
    errors,
    extensions,
    history,
    reflect,
    security,
    sessions,
    unit_of_work,
)
from webapp.admin import registry
from webapp.extensions import db
from webapp.models import admin as demo_admin

ROOT = Path(__file__).resolve().parent.parent  # holds templates/, static/, instance/


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the admin app; ``test_config`` overrides every other source."""
    app = Flask(__name__, root_path=str(ROOT), instance_path=str(ROOT / "instance"))
    config.load(app, test_config)  # defaults -> instance/config.py -> WEBAPP_* env -> test
    security.init_app(app)  # first, so its headers go on the final response, whatever it is
    sessions.init_app(app)  # the signed session cookie, its signature checked once per worker
    extensions.init_app(app)
    csrf.init_app(app)  # signs a session's CSRF token once every few minutes
    unit_of_work.init_app(app)
    auth.init_app(app)  # after the unit of work: its check may read, once the write lock is taken
    errors.init_app(app)
    audit.init_app(app)
    with app.app_context():
        chosen = reflect.chosen_models(app.config, db.engine)
    if chosen is None:
        admin.init_app(app, registry.from_models(demo_admin.MODELS, demo_admin.OPTIONS))
    else:
        admin.init_app(app, registry.from_models([model for model, _ in chosen], dict(chosen)))
    history.init_app(app)
    account_views.init_app(app)
    cli.init_app(app)
    app.add_url_rule("/", "home", lambda: redirect(url_for("admin.index")))
    app.add_url_rule("/healthz", "healthz", healthz)
    if app.config["SETUP_DATABASE"] and chosen is None:  # never create demo tables in someone's database
        with app.app_context():
            demo.setup()
    if app.config["SETUP_DATABASE"]:
        with app.app_context():
            accounts.setup()  # the admin's own tables, and a first admin if there is no account
    return app


def healthz() -> tuple[dict[str, str], int]:
    """Answer 200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200
