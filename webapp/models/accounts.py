"""The tables of the admin itself: accounts, their sessions, failed sign-ins, the audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Base

ROLES = ("viewer", "editor", "admin")
# Marks the admin's own tables, which the generic table pages must never show
# (a password hash or a session token is not data to browse).
INTERNAL = {"internal": True}


def utcnow() -> dt.datetime:
    """The current time in UTC, without a zone: every backend stores it the same way."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class Account(Base):
    """Someone who may sign in, with one role."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="known_role"),
        {"info": INTERNAL},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name


class AccountSession(Base):
    """A signed-in browser: the cookie holds the token, the table its digest."""

    __tablename__ = "account_sessions"
    __table_args__ = {"info": INTERNAL}

    # A digest, so a leaked table does not hand out live sessions.
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class LoginAttempt(Base):
    """A failed sign-in, counted per account name and per client address to throttle guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_name_at", "name", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        {"info": INTERNAL},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # as typed (lower-cased), known or not
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class AuditEntry(Base):
    """One create, update or delete of one row: who, when, what, and the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_table_key", "table_name", "row_key"),
        {"info": INTERNAL},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    account: Mapped[str] = mapped_column(String(100), index=True)  # a name: it outlives the account
    table_name: Mapped[str] = mapped_column(String(100))
    row_key: Mapped[str] = mapped_column(String(500))  # the row's key as written in its URL
    action: Mapped[str] = mapped_column(String(10))  # create, update or delete
    # JSON objects of the changed columns only; None for the side that does not exist.
    # (Not "before"/"after": BEFORE is a reserved word in MariaDB, awkward in hand-written SQL.)
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str | None] = mapped_column(Text)
