"""The signed session cookie, its signature checked once per worker rather than on every request.

Flask checks the cookie's signature on every request (base64, an HMAC, tagged JSON, and a
new serializer each time): 0.1 ms of a list page that takes 2. The same browser sends the
same cookie until its session changes, so a cookie whose signature passed once is taken at
its word the next time, if it is still within its age and the secret keys are the same. A
cookie that differs by a byte is checked afresh.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

REMEMBERED = 1_000  # cookies a worker keeps; forgotten all at once when full
# Values a request may change only by replacing them, so that the remembered data stays as it
# was signed (a flashed message appends to a list: such a session is checked every time).
IMMUTABLE = (str, int, float, bool, type(None))
Keys = tuple[Any, ...]  # the secret key, then its fallbacks


def secret_keys(app: Flask) -> Keys:
    """The keys a cookie may be signed with: the secret key and its fallbacks."""
    return (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))


class CheckedOnce(SecureCookieSessionInterface):
    """Flask's signed cookie session, remembering the cookies whose signature passed."""

    def __init__(self) -> None:
        self.serializers: dict[Keys, URLSafeTimedSerializer | None] = {}
        self.checked: dict[str, tuple[dict[str, Any], int, Keys]] = {}  # cookie -> data, signed at, keys

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per secret key rather than twice per request."""
        keys = secret_keys(app)
        if keys not in self.serializers:
            self.serializers[keys] = super().get_signing_serializer(app)
        return self.serializers[keys]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The session the cookie holds, as Flask's own would open it."""
        cookie = request.cookies.get(self.get_cookie_name(app))
        max_age = int(app.permanent_session_lifetime.total_seconds())
        keys = secret_keys(app)
        found = self.checked.get(cookie) if cookie else None
        if found is not None and found[2] == keys and 0 <= int(time.time()) - found[1] <= max_age:
            return self.session_class(found[0])
        serializer = self.get_signing_serializer(app)
        if serializer is None or not cookie:
            return super().open_session(app, request)
        try:
            data, signed = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(value, IMMUTABLE) for value in data.values()):
            if len(self.checked) >= REMEMBERED:
                self.checked.clear()
            self.checked[cookie] = (data, int(signed.timestamp()), keys)
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, without reading seven cookie settings for a cookie it would not set."""
        if session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            super().save_session(app, session, response)
        elif session.accessed:
            response.vary.add("Cookie")


def init_app(app: Flask) -> None:
    """Open and save the app's sessions through :class:`CheckedOnce`."""
    app.session_interface = CheckedOnce()
