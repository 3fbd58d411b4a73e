"""A user's own models module, as ``MODELS=tests.integration.my_models`` names it."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The user's own declarative base."""


class Note(Base):
    """A note."""

    __tablename__ = "rx_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.text
