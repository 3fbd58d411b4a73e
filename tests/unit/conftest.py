"""Unit fixtures: the admin's building blocks on an in-memory SQLite database.

Besides the demo models, ``sample_models.Sample`` has one column of every type the
admin edits, so each type's field and validators can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from tests.unit.sample_models import Owner, Sample, UnitBase

from webapp import create_app, demo
from webapp.admin import registry
from webapp.admin.registry import ModelAdmin, Options
from webapp.extensions import db
from webapp.models import Base
from webapp.models.admin import MODELS, OPTIONS


@pytest.fixture(scope="session")
def unit_app() -> Iterator[Flask]:
    """The app on a seeded in-memory SQLite database, with its database rules."""
    # The real factory, not a bare Flask app: the app's session listeners are global and
    # expect the admin's registry on whichever app is current.
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "unit", "WTF_CSRF_ENABLED": False, "DATABASE_URL": "sqlite://",
         "SETUP_DATABASE": False}
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        UnitBase.metadata.create_all(db.engine)
        demo.seed()
        db.session.add_all([Owner(name="Zed"), Owner(name="Amy")])
        db.session.add(Sample(code="TAKEN", small=1))
        db.session.commit()
        db.session.remove()
    yield app


@pytest.fixture
def in_request(unit_app: Flask) -> Iterator[Flask]:
    """A request context on the unit app, its session rolled back afterwards."""
    with unit_app.test_request_context(method="POST"):
        yield unit_app
        db.session.rollback()
        db.session.remove()


@pytest.fixture(scope="session")
def entries() -> dict[str, ModelAdmin]:
    """Every demo model's registration, and the sample's, by slug."""
    found = {entry.slug: entry for entry in registry.from_models(MODELS, OPTIONS)}
    for model in (Sample, Owner):
        entry = registry.build(model, Options())
        found[entry.slug] = entry
    return found
