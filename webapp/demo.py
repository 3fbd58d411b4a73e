"""The demo data of the session lessons, seeded on first run or on demand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Table, func, select

from webapp.extensions import db
from webapp.models import Base, Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday

USER_NAMES = ["Brad", "Larry", "Jane", "Barbra", "Jessa", "Ed"]


def demo_tables() -> list[Table]:
    """The demo tables: every table but the admin's own (accounts, audit trail), which outlive a reset."""
    return [table for table in Base.metadata.sorted_tables if not table.info.get("internal")]


def setup(reset: bool = False) -> bool:
    """Create missing tables; seed them when the demo tables are all empty. Return whether it seeded."""
    if reset:
        Base.metadata.drop_all(db.engine, tables=demo_tables())
    Base.metadata.create_all(db.engine)
    if any(db.session.scalar(select(func.count()).select_from(table)) for table in demo_tables()):
        return False
    seed()
    db.session.commit()
    return True


def seed() -> None:
    """Add the demo rows to the session."""
    preventers = Team(name="Preventers", headquarters="Sharp Tower")
    z_force = Team(name="Z-Force", headquarters="Sister Margaret's Bar")
    db.session.add_all(
        [
            Hero(name="Deadpond", secret_name="Dive Wilson", team=z_force),
            Hero(name="Spider-Boy", secret_name="Pedro Parqueador"),
            Hero(name="Rusty-Man", secret_name="Tommy Sharp", age=48, team=preventers),
        ]
    )
    alice = User(email="alice@example.com", name="Alice")
    food = Category(name="Food")
    db.session.add(
        Expense(user=alice, category=food, description="Groceries", amount=Decimal("52.50"), date=dt.date(2024, 1, 15))
    )
    db.session.add_all(UserData(user_id=name, user_data=f"Notes about {name}") for name in USER_NAMES)
    ann = Employee(name="Ann")
    db.session.add_all([ann, Employee(name="Bob")])
    db.session.add(Shift(employee=ann, weekday=Weekday.monday, starts_at=dt.time(9), ends_at=dt.time(17)))

