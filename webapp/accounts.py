"""Accounts: names, roles, hashed passwords, and the first admin of a fresh database."""

from __future__ import annotations

import functools
import re
import secrets
import sys

from flask import current_app
from sqlalchemy import Table, delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.extensions import db
from webapp.models.accounts import ROLES, Account, AccountSession
from webapp.models.base import Base

NAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,99}")
MAX_PASSWORD = 1024  # hashing a megabyte of "password" is a cheap denial of service
FIRST_ADMIN = "admin"


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field  # the form field it belongs to: name, role or password


def internal_tables() -> list[Table]:
    """The admin's own tables: accounts, sessions, sign-in failures, the audit trail, import jobs."""
    return [table for table in Base.metadata.sorted_tables if table.info.get("internal")]


def normalize(name: str) -> str:
    """Account names are compared lower-case, the same on every backend and collation."""
    return name.strip().lower()


def check_name(name: str) -> str:
    """Return the normalized name, or raise :class:`AccountError`."""
    name = normalize(name)
    if not NAME.fullmatch(name):
        raise AccountError(
            "A name is 1 to 100 letters, digits or the characters _ . @ -, starting with a letter or digit.",
            "name",
        )
    return name


def check_password(password: str) -> str:
    """Return ``password`` if it is long enough (and not absurdly long), or raise :class:`AccountError`."""
    shortest = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < shortest:
        raise AccountError(f"A password needs at least {shortest} characters.", "password")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"A password has at most {MAX_PASSWORD} characters.", "password")
    return password


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, or raise :class:`AccountError`."""
    if role not in ROLES:
        raise AccountError(f"A role is one of {', '.join(ROLES)}.", "role")
    return role


def hash_password(password: str) -> str:
    """Hash ``password`` with the configured method (scrypt by default), salted."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify(account: Account | None, password: str) -> bool:
    """Check ``password``; for an unknown account do the same work, so timing tells nothing."""
    if account is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(account.password_hash, password[:MAX_PASSWORD])


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password, made with ``method`` (a constant per process, not state)."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def find(name: str) -> Account | None:
    """The account called ``name`` (any case), if there is one."""
    name = normalize(name)
    if not NAME.fullmatch(name):
        return None
    return db.session.scalar(select(Account).where(Account.name == name))


def create(name: str, password: str, role: str) -> Account:
    """Check and add a new account to the session; raise :class:`AccountError` if it cannot be."""
    name, role = check_name(name), check_role(role)
    if find(name) is not None:
        raise AccountError(f"An account called “{name}” already exists.", "name")
    account = Account(name=name, password_hash=hash_password(check_password(password)), role=role)
    db.session.add(account)
    return account


def set_password(account: Account, password: str, keep: str | None = None) -> None:
    """Change the password and sign out every session of the account but ``keep`` (a digest)."""
    account.password_hash = hash_password(check_password(password))
    query = delete(AccountSession).where(AccountSession.account_id == account.id)
    if keep is not None:
        query = query.where(AccountSession.digest != keep)
    db.session.execute(query)


def create_tables() -> None:
    """Create the admin's own tables that are missing."""
    Base.metadata.create_all(db.engine, tables=internal_tables())


def setup() -> None:
    """Create the admin's own tables, and a first admin when there is no account at all."""
    create_tables()
    if db.session.scalar(select(func.count()).select_from(Account)):
        return
    password = secrets.token_urlsafe(15)
    create(FIRST_ADMIN, password, "admin")
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # another worker starting at the same moment created it
        return
    # Printed once, never stored in clear: the only way in on a fresh machine.
    print(
        f"\n  No account existed, so an admin was created.\n"
        f"  Sign in as “{FIRST_ADMIN}” with the password: {password}\n"
        f"  (shown only this once; add accounts with `flask --app webapp create-user NAME --role ROLE`)\n",
        file=sys.stderr,
        flush=True,
    )
