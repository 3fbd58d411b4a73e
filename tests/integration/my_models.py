"""A user's own models module, as ``MODELS=tests.integration.my_models`` names it."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from webapp.admin.registry import Options


class Base(DeclarativeBase):
    """The user's own declarative base."""


class Note(Base):
    """A note."""

    __tablename__ = "rx_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))

    def __str__(self) -> str:
        return self.text


class Tag(Base):
    """A tag on a note, labelled by its note, which its list does not show."""

    __tablename__ = "rx_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    note_id: Mapped[int] = mapped_column(ForeignKey("rx_note.id"))
    note: Mapped[Note] = relationship()

    def __str__(self) -> str:
        return f"{self.name} on {self.note}"  # needs the relationship: only an ORM object has it


OPTIONS = {Tag: Options(list_columns=("id", "name"))}
