"""List pages on any database: ``python -m bench.servers URL [--rows 1000000] [--requests 15]``.

Fills the database at URL with the benchmark's deterministic expenses, unless its expenses
table already holds that many (so it drops and creates the demo tables: give it a database
of its own, never one whose data you keep), signs in through the login form and times each
list page in-process, with Flask's test client and no HTTP server: the median of
``--requests`` requests after two warm-up ones, and the SQL statements of one request (the
sign-in check included, transaction control left out). It
looks for pages that read far more than they show, on PostgreSQL and MariaDB above all;
the floor ratios are ``python -m bench``'s, which serves SQLite with gunicorn.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from bench import data
from bench.__main__ import ACCOUNT
from bench.client import csrf_token
from bench.server import CONTROL
from webapp.admin import cursors
from webapp.models import Base, Category, Expense, User

BATCH = 10_000
WARMUP = 20


def main(argv: list[str] | None = None) -> int:
    """Fill the database when needed, then time and print every scenario."""
    parser = argparse.ArgumentParser(prog="python -m bench.servers", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a database URL, as DATABASE_URL takes it")
    parser.add_argument("--rows", type=int, default=1_000_000, help="expenses in the table")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page")
    args = parser.parse_args(argv)
    engine = create_engine(args.url)
    if count(engine) != args.rows:
        started = time.perf_counter()
        fill(engine, args.rows)
        print(f"filled {args.rows:,} expenses in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    client, statements = signed_in(args.url)
    for _ in range(WARMUP):  # templates compiled, connections and the database's caches warm
        client.get("/admin/expenses/")
    print(f"| page ({engine.dialect.name}, {args.rows:,} expenses) | median | SQL | count shown |\n|---|--:|--:|---|")
    for name, path in pages(client, args.rows):
        median, body = timed(client, path, statements, args.requests)
        shown = re.search(r'data-testid="list-count"[^>]*>(.*?)</p>', body, re.S)
        label = " ".join(re.sub(r"<[^>]+>|·.*", "", shown.group(1)).split()) if shown else ""
        print(f"| {name} | {median:.1f} ms | {len(statements)} | {label} |", flush=True)
    return 0


def count(engine: Engine) -> int | None:
    """How many expenses the database holds, None without the table."""
    with engine.connect() as connection:
        try:
            return int(connection.scalar(select(func.count()).select_from(Expense)) or 0)
        except (OperationalError, ProgrammingError):  # no such table yet
            return None


def fill(engine: Engine, rows: int) -> None:
    """Create the demo tables afresh and load the users, categories and expenses; then analyze."""
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    columns = ("id", "user_id", "category_id", "description", "amount", "date")
    with engine.begin() as connection:
        load(connection, User, ("id", "email", "name"), data.users())
        load(connection, Category, ("id", "name"), data.categories())
        load(connection, Expense, columns, data.expenses(rows))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "postgresql":
            for table in ("users", "categories", "expenses"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            connection.execute(text("VACUUM ANALYZE"))
        elif engine.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE TABLE users, categories, expenses")).all()


def load(connection: Any, model: type, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` as they are, in batches (PostgreSQL: COPY, many times faster)."""
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"  # the driver's own, for plain values
    statement = f"INSERT INTO {model.__tablename__} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    for batch in batches(rows):
        connection.exec_driver_sql(statement, batch)


def batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """``rows`` in lists of BATCH."""
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def signed_in(url: str) -> tuple[FlaskClient, list[str]]:
    """The app on ``url`` with a signed-in test client, and the list its statements are recorded in."""
    from webapp import accounts, create_app
    from webapp.extensions import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-servers"})
    statements: list[str] = []
    with app.app_context():
        if accounts.find(ACCOUNT[0]) is None:
            accounts.create(ACCOUNT[0], ACCOUNT[1], "editor")
            db.session.commit()
        event.listen(db.engine, "before_cursor_execute", lambda _c, _k, statement, *_: record(statements, statement))
    client = app.test_client()
    sign_in(client)
    return client, statements


def sign_in(client: FlaskClient) -> None:
    """Sign the test client in as the benchmark's account, through the login form."""
    form = {"name": ACCOUNT[0], "password": ACCOUNT[1], "csrf_token": csrf_token(client.get("/login").data), "next": ""}
    if client.post("/login", data=form).status_code != 303:
        raise RuntimeError("signing in failed")


def record(statements: list[str], statement: str) -> None:
    """Keep ``statement`` unless it only controls the transaction (SQLite's BEGIN, say)."""
    if not CONTROL.match(statement):
        statements.append(statement)


def pages(client: FlaskClient, rows: int) -> list[tuple[str, str]]:
    """The pages to time: the issue's scenarios, then sorts, jumps and searches that read more."""
    list_url = "/admin/expenses/"
    deep = max(2, round(0.9 * rows / 50))
    with client.application.app_context():
        from webapp.extensions import db

        edge = db.session.execute(
            select(Expense.date, Expense.id).order_by(Expense.date.desc(), Expense.id.desc()).offset((deep - 1) * 50 - 1).limit(1)
        ).one()
        after = cursors.encode(tuple(edge))
    return [
        ("first page", list_url),
        ("next page (its link)", following(client, list_url)),
        ("page at 90 % depth (next link)", f"{list_url}?after={after}&page={deep}"),
        (f"page {deep:,} by number", f"{list_url}?page={deep}"),
        (f"page {deep // 2:,} by number (the middle)", f"{list_url}?page={deep // 2}"),
        ("last page", f"{list_url}?last=1"),
        ("sorted by amount, descending", f"{list_url}?sort=-amount"),
        ("sorted by user (index on user, date)", f"{list_url}?sort=user_id"),
        ("… its next page", following(client, f"{list_url}?sort=user_id")),
        ("sorted by description (no index)", f"{list_url}?sort=description"),
        ("… its next page", following(client, f"{list_url}?sort=description")),
        ("sorted by user, then date descending", f"{list_url}?sort=user_id,-date"),
        ("… its next page", following(client, f"{list_url}?sort=user_id,-date")),
        (f"search “{data.SEARCH_WORD}” (~1 %)", f"{list_url}?q={data.SEARCH_WORD}"),
        (f"search “{data.SEARCH_WORD}”, page 5", f"{list_url}?q={data.SEARCH_WORD}&page=5"),
        (f"search “{data.RARE_WORD}” (rare)", f"{list_url}?q={data.RARE_WORD}"),
        (f"search “{data.SEARCH_WORD}” by description", f"{list_url}?q={data.SEARCH_WORD}&sort=description"),
        ("filter by one category", f"{list_url}?category_id=7"),
        ("filter by amount ≥ 999", f"{list_url}?amount__gte=999"),
        ("count all", f"{list_url}?count=all"),
        ("expense edit form", f"{list_url}{rows // 2}/edit"),
        ("dashboard", "/admin/"),
    ]


def following(client: FlaskClient, url: str) -> str:
    """The Next link of the page at ``url``."""
    found = re.search(r'href="([^"]+)" rel="next"', client.get(url).get_data(as_text=True))
    if found is None:
        raise RuntimeError(f"{url} has no next page")
    return found.group(1).replace("&amp;", "&")


def timed(client: FlaskClient, path: str, statements: list[str], requests: int) -> tuple[float, str]:
    """The median milliseconds of ``path`` and its last body; ``statements`` keeps the last request's."""
    latencies, body = [], ""
    for attempt in range(requests + 2):
        statements.clear()
        started = time.perf_counter()
        response = client.get(path)
        if attempt >= 2:
            latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        body = response.get_data(as_text=True)
    return statistics.median(latencies) * 1000, body


if __name__ == "__main__":
    raise SystemExit(main())
