"""A realistic schema written as raw DDL, as a database the app never created would be.

Every name starts with ``rx_`` so it never meets the demo tables on a shared test database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, text

from webapp import create_app
from webapp.extensions import db

TABLES = ("rx_region", "rx_employee", "rx_project", "rx_assignment", "rx_log", "rx_staff")

# Per backend: an autoincrementing key, a binary type, and a type the admin cannot edit.
DIALECT = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY", "binary": "BLOB", "odd": "JSON"},
    "postgresql": {"serial": "SERIAL PRIMARY KEY", "binary": "BYTEA", "odd": "TSVECTOR"},
    "mysql": {"serial": "INTEGER AUTO_INCREMENT PRIMARY KEY", "binary": "BLOB", "odd": "POINT"},
}

DDL = """
CREATE TABLE rx_region (
    code VARCHAR(8) PRIMARY KEY,
    name VARCHAR(100) NOT NULL
);
CREATE TABLE rx_employee (
    id {serial},
    name VARCHAR(100) NOT NULL,
    email VARCHAR(120) UNIQUE,
    region_code VARCHAR(8) NOT NULL,
    manager_id INTEGER,
    salary NUMERIC(10, 2),
    photo {binary},
    extra {odd},
    FOREIGN KEY (region_code) REFERENCES rx_region (code),
    FOREIGN KEY (manager_id) REFERENCES rx_employee (id),
    CONSTRAINT rx_salary_not_negative CHECK (salary >= 0)
);
CREATE TABLE rx_project (
    id {serial},
    title VARCHAR(100) NOT NULL,
    started DATE
);
CREATE TABLE rx_assignment (
    employee_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    role VARCHAR(40) NOT NULL,
    PRIMARY KEY (employee_id, project_id),
    FOREIGN KEY (employee_id) REFERENCES rx_employee (id),
    FOREIGN KEY (project_id) REFERENCES rx_project (id)
);
CREATE TABLE rx_log (
    at VARCHAR(30),
    message VARCHAR(200)
);
CREATE VIEW rx_staff AS
    SELECT e.id, e.name, r.name AS region FROM rx_employee e JOIN rx_region r ON r.code = e.region_code;
INSERT INTO rx_region (code, name) VALUES ('EU', 'Europe'), ('N/W', 'North-west'), ('ASIA', 'Asia');
INSERT INTO rx_employee (id, name, email, region_code, manager_id, salary) VALUES
    (1, 'Ada', 'ada@example.com', 'EU', NULL, 5000.00);
INSERT INTO rx_employee (id, name, email, region_code, manager_id, salary) VALUES
    (2, 'Grace', 'grace@example.com', 'N/W', 1, 4000.00),
    (3, 'Linus', NULL, 'EU', 1, 3000.00);
INSERT INTO rx_project (id, title, started) VALUES (1, 'Apollo', '2024-01-15'), (2, 'Zeus', NULL);
INSERT INTO rx_assignment (employee_id, project_id, role) VALUES (1, 1, 'lead'), (2, 1, 'dev'), (3, 2, 'dev');
INSERT INTO rx_log (at, message) VALUES ('2024-01-01', 'started'), ('2024-01-02', '=HYPERLINK("x")');
"""


def create(engine: Engine) -> None:
    """Create and fill the ``rx_`` tables, dropping leftovers of an earlier run first."""
    drop(engine)
    names = DIALECT[engine.dialect.name]
    with engine.begin() as connection:
        for statement in DDL.format(**names).split(";"):
            if statement.strip():
                connection.execute(text(statement))
        if engine.dialect.name == "postgresql":  # explicit ids above did not move the sequences
            for table in ("rx_employee", "rx_project"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 100)"))


def drop(engine: Engine) -> None:
    """Drop the view and the tables, children first."""
    with engine.begin() as connection:
        connection.execute(text("DROP VIEW IF EXISTS rx_staff"))
        for table in ("rx_assignment", "rx_log", "rx_employee", "rx_project", "rx_region"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))


def app_for(database_url: str, **overrides: Any) -> Flask:
    """The app reflecting the ``rx_`` tables of ``database_url`` (CSRF off, nothing seeded)."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "REFLECT": list(TABLES),
        "SETUP_DATABASE": False,
        **overrides,
    }
    return create_app(config)


@pytest.fixture
def rx_app(database_url: str, signing_in: Callable[[Flask], Flask]) -> Iterator[Flask]:
    """The app over a freshly created ``rx_`` schema it never saw before."""
    engine = create_engine(database_url)
    create(engine)
    app = signing_in(app_for(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()
    drop(engine)
    engine.dispose()
