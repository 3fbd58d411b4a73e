"""The demo models: the tables of the SQLAlchemy session lessons, plus a composite key."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Base


class Team(Base):
    """A team of heroes."""

    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    headquarters: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.name


class Hero(Base):
    """A hero, perhaps in a team."""

    __tablename__ = "hero"
    __table_args__ = (
        UniqueConstraint("name", "secret_name"),
        CheckConstraint(
            "age >= 0", name="age_not_negative", info={"field": "age", "message": "Age cannot be negative."}
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_name: Mapped[str] = mapped_column(String(100))
    age: Mapped[int | None]
    # A hero outlives their team: deleting the team sets this to NULL.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)

    team: Mapped[Team | None] = relationship()

    def __str__(self) -> str:
        return self.name


class User(Base):
    """Someone who records expenses."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Category(Base):
    """A kind of expense."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)

    def __str__(self) -> str:
        return self.name


class Expense(Base):
    """Money a user spent on something of one category."""

    __tablename__ = "expenses"
    __table_args__ = (
        CheckConstraint(
            "amount >= 0",
            name="amount_not_negative",
            info={"field": "amount", "message": "Amount cannot be negative."},
        ),
        # Each foreign key leads an index (its lookups use it); the date after it lets a list
        # filtered by user or category read its newest rows in order instead of sorting them all.
        Index("ix_expenses_user_id_date", "user_id", "date"),
        Index("ix_expenses_category_id_date", "category_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2), index=True)
    date: Mapped[dt.date] = mapped_column(Date, default=dt.date.today, index=True)

    user: Mapped[User] = relationship()
    category: Mapped[Category] = relationship()

    def __str__(self) -> str:
        return self.description


class UserData(Base):
    """Free-form data kept per user name, stamped by the database."""

    __tablename__ = "userdata"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_data: Mapped[str | None] = mapped_column(String(640))
    # now() is evaluated by the database, in the INSERT and in every UPDATE.
    time_stamp: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    def __str__(self) -> str:
        return self.user_id


class Employee(Base):
    """An employee."""

    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))

    def __str__(self) -> str:
        return self.name or f"Employee {self.id}"


class Weekday(enum.Enum):
    """A day of the working week."""

    monday = "Monday"
    tuesday = "Tuesday"
    wednesday = "Wednesday"
    thursday = "Thursday"
    friday = "Friday"
    saturday = "Saturday"
    sunday = "Sunday"


class Shift(Base):
    """When an employee works on a weekday: one row per employee and day."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint(
            "ends_at > starts_at",
            name="ends_after_start",
            info={"field": "ends_at", "message": "A shift must end after it starts."},
        ),
    )

    # The natural composite key: an employee works at most one shift a day.
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[Weekday] = mapped_column(
        Enum(Weekday, native_enum=False, length=10, validate_strings=True), primary_key=True
    )
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    remote: Mapped[bool] = mapped_column(default=False)
    # DOUBLE everywhere: MariaDB's FLOAT keeps 6 digits, and would store 1234.5678 as 1234.57.
    hourly_rate: Mapped[float | None] = mapped_column(Double)

    employee: Mapped[Employee] = relationship()

    def __str__(self) -> str:
        return f"{self.employee} on {self.weekday.value}"
