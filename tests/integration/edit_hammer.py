"""One person editing a row over HTTP as fast as they can: read, add one, save.

Run as a separate process by test_concurrent_edits.py; prints its counts as JSON.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]*)"')
VERSION = re.compile(r'name="_version" value="([^"]*)"')
TEAM = re.compile(r'<option value="([^"]*)" selected>')  # the hero form's only select
AGE = re.compile(r'name="age"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="age"')


class Browser:
    """A cookie-keeping HTTP client that never follows redirects (it counts them)."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect as the response it is."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def field(pattern: re.Pattern[str], page: str) -> str:
    """The first group that matched ``pattern`` in ``page``, unescaped."""
    match = pattern.search(page)
    if match is None:
        raise LookupError(pattern.pattern)
    return html.unescape(next(group for group in match.groups() if group is not None))


def main(base: str, name: str, password: str, hero: str, seconds: float) -> dict[str, int]:
    """Sign in, then read-modify-write the hero's age until ``seconds`` have passed."""
    browser = Browser(base)
    status, page = browser.get("/login")
    status, _ = browser.post("/login", {"csrf_token": field(CSRF, page), "name": name, "password": password})
    assert status == 303, f"sign-in answered {status}"
    counts = {"saved": 0, "conflicts": 0, "errors": 0, "server_errors": 0}
    path = f"/admin/hero/{hero}/edit"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, page = browser.get(path)
        if status != 200:
            counts["server_errors" if status >= 500 else "errors"] += 1
            continue
        fields = {
            "csrf_token": field(CSRF, page),
            "_version": field(VERSION, page),
            "name": "Rusty-Man",
            "secret_name": "Tommy Sharp",
            "age": str(int(field(AGE, page)) + 1),
            "team_id": field(TEAM, page),
        }
        status, _ = browser.post(path, fields)
        if status == 303:
            counts["saved"] += 1
        elif status == 409:
            counts["conflicts"] += 1
        else:
            counts["server_errors" if status >= 500 else "errors"] += 1
    return counts


if __name__ == "__main__":
    base_url, account, secret, hero_id, duration = sys.argv[1:6]
    print(json.dumps(main(base_url, account, secret, hero_id, float(duration))))
