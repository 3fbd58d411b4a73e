"""Sign-in, sign-out, and the guard that checks every request against the account's role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, delete, select
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired

from webapp import accounts, csrf, throttle
from webapp.errors import page
from webapp.extensions import db
from webapp.models.accounts import ROLES, Account, AccountSession, utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Served without a sign-in: the sign-in page itself, the stylesheet, the load balancers' check.
PUBLIC = frozenset({"login", "logout", "static", "healthz"})
# Endpoints (the part after the blueprint) whose pages change data, even when only showing a form.
WRITE_PAGES = ("create", "edit", "delete", "import", "bulk")
# Blueprints that only an admin may use at all.
ADMIN_BLUEPRINTS = frozenset({"accounts"})
# What a template may ask :func:`can` about, and the least role that may do it.
ACTIONS = {
    "view": "viewer",
    "create": "editor",
    "edit": "editor",
    "delete": "editor",
    "import": "editor",
    "bulk": "editor",
    "accounts": "admin",
}
FAILED = "The name or the password is not right."
LOCKED = "Too many failed sign-ins for this name or from this address. Try again in {minutes} minute{s}."

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Signed:
    """Who is signed in: plain values, so a rollback never expires them mid-request."""

    id: int
    name: str
    role: str
    digest: str  # of this session's token


class LoginForm(FlaskForm):
    """The sign-in form."""

    name = StringField(
        "Name", validators=[InputRequired("Enter your name.")], render_kw={"autocomplete": "username", "autofocus": True}
    )
    password = PasswordField(
        "Password", validators=[InputRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()


def init_app(app: Flask) -> None:
    """Add the sign-in pages and check every request (register after the unit of work's begin)."""
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    app.before_request(guard)
    app.jinja_env.globals.update(can=can, current_account=current_account)


def requires(role: str) -> Callable[[View], View]:
    """Mark a view as needing ``role``, whatever its method (e.g. a viewer changing their password)."""

    def mark(view: View) -> View:
        view.required_role = role  # type: ignore[attr-defined]
        return view

    return mark


# --- the guard ------------------------------------------------------------------------


def guard() -> ResponseReturnValue | None:
    """Send the signed-out to the sign-in page; refuse what the account's role does not allow."""
    endpoint = request.endpoint
    if endpoint in ("static", "healthz"):
        return None  # no database work for the stylesheet or the health check
    g.account = signed_in()
    if endpoint in PUBLIC:
        return None
    if g.account is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("login", next=target), 302 if request.method in SAFE_METHODS else 303)
    needed = required_role(endpoint, request.method)
    if not allows(g.account.role, needed):
        abort(403, f"Your role ({g.account.role}) does not allow this; it needs the {needed} role.")
    return None


def required_role(endpoint: str | None, method: str) -> str:
    """The least role that may call ``endpoint`` with ``method``; unknown pages need a sign-in only."""
    blueprint, _, name = (endpoint or "").rpartition(".")
    if blueprint in ADMIN_BLUEPRINTS:
        return "admin"
    marked = getattr(current_app.view_functions.get(endpoint or ""), "required_role", None)
    if marked is not None:
        return str(marked)
    if method not in SAFE_METHODS or name.startswith(WRITE_PAGES):
        return "editor"
    return "viewer"


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` is at least ``needed`` (viewer < editor < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def current_account() -> Signed | None:
    """The signed-in account of this request, if any."""
    return g.get("account")


def can(action: str, entry: Any = None) -> bool:
    """Whether the signed-in account may do ``action`` (on ``entry``): templates hide the rest."""
    account = current_account()
    return can_role(account.role if account is not None else None, action, entry)


def can_role(role: str | None, action: str, entry: Any = None) -> bool:
    """Whether an account of ``role`` (None: signed out) may do ``action`` (on ``entry``)."""
    if role is None:
        return False
    if action != "view" and getattr(entry, "read_only", None):
        return False  # the table itself refuses writes
    return allows(role, ACTIONS.get(action, "admin"))


# --- sessions -------------------------------------------------------------------------


def digest(token: str) -> str:
    """The digest stored for a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


# Who holds a live session: built once, as it runs on every request.
_accounts, _sessions = Account.__table__, AccountSession.__table__
SIGNED_IN = (
    select(_accounts.c.id, _accounts.c.name, _accounts.c.role)
    .join(_sessions, _sessions.c.account_id == _accounts.c.id)
    .where(_sessions.c.digest == bindparam("digest"), _sessions.c.created_at > bindparam("oldest"))
)


def signed_in() -> Signed | None:
    """The account whose live session this request's cookie names."""
    token = session.get("token")
    if not isinstance(token, str):
        return None
    oldest = utcnow() - dt.timedelta(seconds=current_app.config["SESSION_MAX_AGE"])
    hashed = digest(token)
    row = db.session.execute(SIGNED_IN, {"digest": hashed, "oldest": oldest}).first()
    return None if row is None else Signed(row.id, row.name, row.role, hashed)


def start_session(account: Account) -> None:
    """Begin a new session: nothing of the signed-out one survives, not even its CSRF token."""
    session.clear()
    csrf.forget()
    token = secrets.token_urlsafe(32)
    oldest = utcnow() - dt.timedelta(seconds=current_app.config["SESSION_MAX_AGE"])
    db.session.execute(delete(AccountSession).where(AccountSession.created_at <= oldest))
    db.session.add(AccountSession(digest=digest(token), account_id=account.id))
    session["token"] = token


# --- pages ----------------------------------------------------------------------------


def login() -> ResponseReturnValue:
    """Show the sign-in form; sign in, throttled per name and per client address."""
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET" and g.account is not None:
        return redirect(safe_next(form.next.data), 303)
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.errors else 200
    name, address = accounts.normalize(form.name.data or "")[:100], request.remote_addr or "unknown"
    wait = throttle.wait_seconds(name, address)
    if wait:
        minutes = max(1, -(-wait // 60))
        body, status = page(429, LOCKED.format(minutes=minutes, s="" if minutes == 1 else "s"))
        return body, status, {"Retry-After": str(wait)}
    account = accounts.find(form.name.data or "")
    if not accounts.verify(account, form.password.data or ""):
        throttle.record_failure(name, address)
        # Commit now: the failure must count although this answer is an error (rolled back).
        db.session.commit()
        form.password.errors = [FAILED]
        return render_template("auth/login.html", form=form, failed=FAILED), 422
    assert account is not None  # verify() is False for an unknown account
    throttle.forget(name)
    start_session(account)
    return redirect(safe_next(form.next.data), 303)


def logout() -> ResponseReturnValue:
    """End the session here and in the database, so a copied cookie is worthless too."""
    token = session.get("token")
    if isinstance(token, str):
        db.session.execute(delete(AccountSession).where(AccountSession.digest == digest(token)))
    session.clear()
    csrf.forget()
    return redirect(url_for("login"), 303)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the dashboard (no open redirects)."""
    default = url_for("admin.index")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 or char == "\\" for char in target):
        return default  # browsers drop tabs and newlines and read "\" as "/": "/\t/evil.com"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
