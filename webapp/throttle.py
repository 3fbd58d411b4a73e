"""Sign-in throttling, counted in the database so every worker and host sees the same failures."""

from __future__ import annotations

import datetime as dt
import math

from flask import current_app
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models.accounts import LoginAttempt, utcnow

ADDRESS_LENGTH = 64
NAME_LENGTH = 100


def wait_seconds(name: str, address: str) -> int:
    """How long sign-in stays locked for ``name`` or from ``address``; 0 when it is not."""
    config = current_app.config
    window = dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
    now = utcnow()
    wait = 0.0
    limits = (
        (LoginAttempt.name, name[:NAME_LENGTH], config["LOGIN_MAX_FAILURES"]),
        (LoginAttempt.address, address[:ADDRESS_LENGTH], config["LOGIN_MAX_ADDRESS_FAILURES"]),
    )
    for column, value, limit in limits:
        query = (
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > now - window)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
        recent = list(db.session.scalars(query))
        if len(recent) >= limit:
            # Locked until the limit-th newest failure leaves the window.
            wait = max(wait, (recent[-1] + window - now).total_seconds())
    return math.ceil(wait)


def record_failure(name: str, address: str) -> None:
    """Count a failed sign-in, and forget failures too old to matter."""
    now = utcnow()
    window = dt.timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - window))
    db.session.add(LoginAttempt(name=name[:NAME_LENGTH], address=address[:ADDRESS_LENGTH], at=now))


def forget(name: str) -> None:
    """A successful sign-in clears the account's failures (not the address's)."""
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.name == name[:NAME_LENGTH]))
