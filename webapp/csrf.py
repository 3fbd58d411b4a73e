"""A session's signed CSRF token, signed once every few minutes rather than on every page.

Flask-WTF signs the session's CSRF secret afresh on each request that shows a form (a
timestamp, JSON, zlib, base64 and an HMAC): 0.13 ms of a list page that takes 2.7. Every
page shows one (the sign-out button), so a token signed for a session is reused by its later
pages for a twelfth of the time a token is valid: a form shown at any moment still has at
least eleven twelfths of that time to be sent. The tokens are keyed by the session's own
secret, which a new sign-in replaces, so no token ever passes from one session to another.
"""

from __future__ import annotations

from collections import OrderedDict
from time import monotonic

from flask import Flask, Response, current_app, g, session
from flask_wtf.csrf import generate_csrf

FIELD = "csrf_token"  # Flask-WTF's session key and g attribute (WTF_CSRF_FIELD_NAME)
EXTENSION = "webapp.csrf"
REMEMBERED = 1_000  # sessions whose token a worker keeps


def init_app(app: Flask) -> None:
    """Reuse a session's recent token before the request, and remember a fresh one after it."""
    app.extensions[EXTENSION] = OrderedDict()
    app.before_request(reuse)
    app.after_request(remember)
    # After Flask-WTF's own, so templates call this: the token from g without two config lookups.
    app.context_processor(lambda: {"csrf_token": token})


def token() -> str:
    """The signed token for this request's forms."""
    return g.get(FIELD) or generate_csrf()


def reuse_seconds() -> float:
    """How long a signed token is handed out again: a twelfth of its validity (5 of 60 minutes)."""
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    return 300.0 if limit is None else limit / 12


def reuse() -> None:
    """Hand this request the session's token if it was signed recently (Flask-WTF reads it from g)."""
    secret = session.get(FIELD)
    if not isinstance(secret, str):
        return
    found = current_app.extensions[EXTENSION].get(secret)
    if found is not None and monotonic() - found[1] < reuse_seconds():
        setattr(g, FIELD, found[0])
        g.csrf_reused = True


def forget() -> None:
    """Drop this request's token, after the session it was signed for has been cleared."""
    g.pop(FIELD, None)
    g.pop("csrf_reused", None)


def remember(response: Response) -> Response:
    """Keep the token this request signed, for the session's next pages.

    Not when the session changed: its secret may be newer than the token (a new secret is
    signed, and remembered, on the session's next page).
    """
    token, secret = g.get(FIELD), session.get(FIELD)
    if token is None or g.get("csrf_reused") or session.modified or not isinstance(secret, str):
        return response
    tokens: OrderedDict[str, tuple[str, float]] = current_app.extensions[EXTENSION]
    tokens[secret] = (token, monotonic())
    tokens.move_to_end(secret)
    while len(tokens) > REMEMBERED:
        tokens.popitem(last=False)
    return response
