"""Models only the unit tests use: one column of every type the admin edits."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from webapp.models.base import NAMING_CONVENTION


class UnitBase(DeclarativeBase):
    """The base of the models only the unit tests use."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Owner(UnitBase):
    """The row a sample refers to."""

    __tablename__ = "unit_owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20))

    def __str__(self) -> str:
        return self.name


class Colour(enum.Enum):
    """An enum whose names differ from its labels."""

    red = "Red"
    dark_green = "Dark green"


class Sample(UnitBase):
    """One column of every type the admin edits, and each kind of generated column."""

    __tablename__ = "unit_sample"
    __table_args__ = (
        UniqueConstraint("code", "small"),
        CheckConstraint("small >= 0", name="small_not_negative"),  # no message: the rule is shown
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    notes: Mapped[str | None] = mapped_column(Text)
    small: Mapped[int] = mapped_column(SmallInteger)
    big: Mapped[int | None] = mapped_column(BigInteger)
    plain: Mapped[int | None]
    price: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    whole: Mapped[Decimal | None] = mapped_column(Numeric(4))
    tenth: Mapped[Decimal | None] = mapped_column(Numeric(3, 1))
    ratio: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)
    checked: Mapped[bool | None]
    day: Mapped[dt.date | None]
    at: Mapped[dt.datetime | None]
    time: Mapped[dt.time | None]
    colour: Mapped[Colour | None] = mapped_column(Enum(Colour, native_enum=False, length=20))
    size: Mapped[str | None] = mapped_column(Enum("S", "M", "L", native_enum=False))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("unit_owner.id"))
    created: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    touched: Mapped[dt.datetime | None] = mapped_column(onupdate=func.now())

    owner: Mapped[Owner | None] = relationship()
