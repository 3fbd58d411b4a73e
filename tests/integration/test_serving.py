"""``make serve``'s command serves the app with gunicorn, and two hosts can serve one database.

Each server is ``scripts/serve`` (what ``make serve`` runs, without the install step) on a
free loopback port, on the run's database; a test talks to it over real HTTP, signs in,
creates a row and stops it.
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.servers import ROOT, SECRET_KEY, VENV, Server, free_port, serve  # noqa: F401 (serve is a fixture)

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ReadBack = Callable[..., Any]


class Browser:
    """Cookies and forms over plain HTTP; redirects are answered, not followed."""

    class _Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._Keep()
        )

    def request(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        """GET, or POST ``data``; the status and the body."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:
            with answer:
                return answer.code, answer.read().decode()

    def submit(self, page_url: str, data: dict[str, str]) -> int:
        """Open a form page and post ``data`` with its CSRF token; the status."""
        status, page = self.request(page_url)
        assert status == 200, page[-2000:]
        token = CSRF.search(page)
        assert token, "the form carries no CSRF token"
        status, _body = self.request(page_url, {**data, "csrf_token": html.unescape(token.group(1))})
        return status


def sign_in(browser: Browser, server: Server, passwords: dict[str, str]) -> None:
    """Sign in as the editor through the login form."""
    status = browser.submit(f"{server.url}/login", {"name": "editor", "password": passwords["editor"]})
    assert status == 303


def test_gunicorn_serves_the_app_and_stops_cleanly(
    serve: Callable[[int], Server], read_back: ReadBack, passwords: dict[str, str]
) -> None:
    server = serve(3)
    assert len(server.worker_pids()) == 3
    browser = Browser()
    sign_in(browser, server, passwords)
    status = browser.submit(f"{server.url}/admin/team/new", {"name": "Served", "headquarters": "Port"})
    assert status == 303
    assert read_back("SELECT headquarters FROM team WHERE name = 'Served'") == "Port"
    status, page = browser.request(f"{server.url}/admin/team/")
    assert status == 200 and "Served" in page
    assert server.stop() == 0


def test_two_hosts_serve_one_database_with_nothing_kept_in_memory(
    serve: Callable[[int], Server], read_back: ReadBack, passwords: dict[str, str]
) -> None:
    """Signed in on one host, the same cookie works on another; a row saved on one shows on both."""
    first, second = serve(2), serve(2)
    browser = Browser()
    sign_in(browser, first, passwords)
    # The form comes from one host and is posted to the other: the CSRF token and the
    # sign-in travel in the signed cookie, and both hosts share the secret key.
    status, page = browser.request(f"{first.url}/admin/team/new")
    token = CSRF.search(page)
    assert status == 200 and token
    data = {"name": "Load balanced", "headquarters": "Both", "csrf_token": html.unescape(token.group(1))}
    status, _body = browser.request(f"{second.url}/admin/team/new", data)
    assert status == 303
    for server in (first, second):
        status, page = browser.request(f"{server.url}/admin/team/")
        assert status == 200 and "Load balanced" in page
    assert read_back("SELECT count(*) FROM team WHERE name = 'Load balanced'") == 1


def test_serving_a_database_that_does_not_answer_stops_with_a_sentence(tmp_path: Path) -> None:
    """No traceback and no half-started workers: one line that says what to do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBAPP_", "FLASK_"))}
    env.update(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test", PORT=str(free_port()),
               VENV=str(VENV), WEBAPP_SECRET_KEY=SECRET_KEY)
    done = subprocess.run([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("The database is not answering (")
    assert done.stderr.rstrip().endswith("Start it or check DATABASE_URL, then try again.")
    assert "Traceback" not in done.stderr and "gunicorn" not in done.stdout + done.stderr
