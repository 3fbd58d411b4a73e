"""Build a deterministic SQLite database of the demo expenses schema, cached by size."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.schema import CreateIndex, CreateTable

from webapp.models import Base

USERS = 1_000
CATEGORIES = 50
SEED = 20240115
FIRST_DAY = dt.date(2015, 1, 1)
DAYS = 3_650
# 100 nouns, each in about 1 % of descriptions; none is a substring of another or of an adjective.
NOUNS = """apples bagels batteries bicycle blanket boots bread brushes butter cables candles canvas
carpet cheese chocolate cinema coffee concert cookies crayons curtains dentist diesel dinner
donation earrings envelopes fabric ferry flowers football furniture garlic glasses gloves groceries
guitar haircut hammer headphones helmet honey insurance jacket kettle keyboard ladder lamp laptop
lemons library lunch magazines medicine mittens monitor museum napkins newspaper notebook oranges
paint parking pencils perfume pharmacy pillows pizza plumber postage printer rent repairs sandals
scarf shampoo shoes snacks soap socks stamps stationery subway sunscreen sweater taxi tickets tires
toothpaste towels toys train tulips umbrella vitamins wallet yoghurt zoo""".split()
ADJECTIVES = "weekly monthly cheap new spare extra small large quick late early urgent".split()
SEARCH_WORD = "umbrella"  # in about 1 % of rows
RARE_WORD = "zeppelin"  # in about 1 of 100,000 rows
DATABASE_URL_TEMPLATE = "sqlite:///{path}"


def cached(n: int, out: Path) -> Path:
    """Return the pristine database of ``n`` expenses, building it on first use."""
    path = out / "cache" / f"expenses-{n}-{schema_digest()}.sqlite"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"expenses-{n}-*.sqlite"):
            stale.unlink()  # built for another schema
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        build(partial, n)
        partial.rename(path)
    return path


def schema_digest() -> str:
    """A short digest of the schema and the generator, so a changed model or index rebuilds."""
    engine = create_engine("sqlite://")
    ddl = [str(CreateTable(table).compile(engine)) for table in Base.metadata.sorted_tables]
    ddl += [str(CreateIndex(index).compile(engine)) for table in Base.metadata.sorted_tables for index in table.indexes]
    source = Path(__file__).read_bytes()
    return hashlib.sha256("\n".join(ddl).encode() + source).hexdigest()[:10]


def working_copy(n: int, out: Path) -> Path:
    """Copy the pristine database so a run's writes never reach the cache."""
    source = cached(n, out)
    target = out / f"run-{n}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def build(path: Path, n: int) -> None:
    """Create the demo schema at ``path`` and fill users, categories and ``n`` expenses."""
    engine = create_engine(DATABASE_URL_TEMPLATE.format(path=path))
    tables = Base.metadata.sorted_tables
    ddl = [str(CreateTable(table).compile(engine)) for table in tables]
    indexes = [str(CreateIndex(index).compile(engine)) for table in tables for index in table.indexes]
    engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for statement in ddl:
            connection.execute(statement)
        connection.executemany("INSERT INTO users (id, email, name) VALUES (?, ?, ?)", users())
        connection.executemany("INSERT INTO categories (id, name) VALUES (?, ?)", categories())
        connection.executemany(
            "INSERT INTO expenses (id, user_id, category_id, description, amount, date) VALUES (?, ?, ?, ?, ?, ?)",
            expenses(n),
        )
        # Indexes after the rows: one sorted build per index instead of a million random inserts.
        for statement in indexes:
            connection.execute(statement)
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def users() -> Iterator[tuple[int, str, str]]:
    """The users: ``user0001@example.com``, named ``User 1`` …"""
    for i in range(1, USERS + 1):
        yield i, f"user{i:04d}@example.com", f"User {i}"


def categories() -> Iterator[tuple[int, str]]:
    """The categories, ``Category 01`` …"""
    for i in range(1, CATEGORIES + 1):
        yield i, f"Category {i:02d}"


def expenses(n: int) -> Iterator[tuple[int, int, int, str, str, str]]:
    """``n`` expenses; dates rise with the id, as rows recorded over ten years would."""
    rng = random.Random(SEED)
    for i in range(1, n + 1):
        noun = RARE_WORD if i % 100_000 == 50_000 else NOUNS[rng.randrange(len(NOUNS))]
        description = f"{ADJECTIVES[rng.randrange(len(ADJECTIVES))]} {noun}"
        day = FIRST_DAY + dt.timedelta(days=min(DAYS - 1, max(0, i * DAYS // n + rng.randrange(-3, 4))))
        cents = rng.randrange(50, 100_000)
        yield (
            i,
            rng.randrange(1, USERS + 1),
            rng.randrange(1, CATEGORIES + 1),
            description,
            f"{cents // 100}.{cents % 100:02d}",
            day.isoformat(),
        )
