"""Signing in and out: sessions, CSRF, safe redirects, accounts managed in the admin, the first admin."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

ReadBack = Callable[..., Any]
PASSWORDS = {"admin": "admin-password", "editor": "editor-password", "viewer": "viewer-password"}  # as conftest
FAILED = "The name or the password is not right."


def csrf_of(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on ``url``."""
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def session_cookie(client: FlaskClient) -> str | None:
    """The value of the session cookie the client holds."""
    cookie = client.get_cookie("session")
    return None if cookie is None else cookie.value


# --- signing in -----------------------------------------------------------------------


def test_two_sign_ins_at_once_do_not_wait_for_each_other(app: Flask, backend: str, read_back: ReadBack) -> None:
    """A second sign-in goes through while the first one's transaction is still open.

    Each sign-in deletes the expired sessions, a range, then adds its own. At MariaDB's
    default isolation (repeatable read) the first one's locks on that range held up the
    second, and four people signing in at once deadlocked: the losers were told the
    database was not answering (503).
    """
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: sign-ins queue for its write lock")
    from webapp import accounts, auth
    from webapp.extensions import db

    with app.test_request_context("/login", method="POST"):
        auth.start_session(accounts.find("editor"))  # its transaction stays open
        with app.app_context(), app.test_request_context("/login", method="POST"):  # a second session
            if backend == "mariadb":  # fail in a second, not after InnoDB's 50
                db.session.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            try:
                auth.start_session(accounts.find("editor"))
                db.session.commit()
            finally:
                db.session.rollback()
                if backend == "mariadb":
                    db.session.execute(text("SET SESSION innodb_lock_wait_timeout = DEFAULT"))
        db.session.commit()
    assert read_back("SELECT count(*) FROM account_sessions") == 2


def test_a_page_sends_the_signed_out_to_sign_in_and_back(anonymous_client: FlaskClient) -> None:
    response = anonymous_client.get("/admin/hero/?sort=-name")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/hero/?sort%3D-name"
    signed = anonymous_client.post(
        "/login", data={"name": "viewer", "password": PASSWORDS["viewer"], "next": "/admin/hero/?sort=-name"}
    )
    assert signed.status_code == 303
    assert signed.headers["Location"] == "/admin/hero/?sort=-name"
    assert anonymous_client.get("/admin/hero/?sort=-name").status_code == 200


def test_the_name_is_not_case_sensitive(anonymous_client: FlaskClient) -> None:
    response = anonymous_client.post("/login", data={"name": " Editor ", "password": PASSWORDS["editor"]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("name", ["editor", "nobody", "not a name!"])
def test_unknown_names_and_wrong_passwords_get_the_same_answer(anonymous_client: FlaskClient, name: str) -> None:
    response = anonymous_client.post("/login", data={"name": name, "password": "wrong-password"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert FAILED in page
    assert "unknown" not in page.lower() and "no account" not in page.lower()
    assert anonymous_client.get("/admin/").status_code == 302


def test_an_empty_form_says_what_is_missing(anonymous_client: FlaskClient) -> None:
    page = anonymous_client.post("/login", data={"name": "", "password": ""}).get_data(as_text=True)
    assert "Enter your name." in page and "Enter your password." in page


def test_the_session_is_renewed_at_sign_in(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_of(client, "/login")
    before = session_cookie(client)
    response = client.post("/login", data={"name": "editor", "password": PASSWORDS["editor"], "csrf_token": token})
    assert response.status_code == 303
    assert session_cookie(client) != before
    # The CSRF token of the signed-out session is no good any more.
    refused = client.post("/admin/team/new", data={"name": "T", "headquarters": "H", "csrf_token": token})
    assert refused.status_code == 400
    # A planted pre-sign-in cookie is not signed in.
    planted = app.test_client()
    planted.set_cookie("session", before or "")
    assert planted.get("/admin/").status_code == 302


def test_sign_out_ends_the_session_for_a_copied_cookie_too(client: FlaskClient, app: Flask) -> None:
    copied = session_cookie(client)
    assert client.get("/admin/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert client.get("/admin/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied or "")
    assert replay.get("/admin/").status_code == 302


def test_sign_out_needs_a_post(client: FlaskClient) -> None:
    assert client.get("/logout").status_code == 405
    assert client.get("/admin/").status_code == 200


def test_sign_in_page_of_a_signed_in_account_goes_on(client: FlaskClient) -> None:
    response = client.get("/login?next=/admin/team/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/team/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "admin/",
        "",
    ],
)
def test_next_only_leads_to_this_site(anonymous_client: FlaskClient, target: str) -> None:
    data = {"name": "editor", "password": PASSWORDS["editor"], "next": target}
    response = anonymous_client.post("/login", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_an_anonymous_post_writes_nothing(anonymous_client: FlaskClient, read_back: ReadBack) -> None:
    response = anonymous_client.post("/admin/team/new", data={"name": "Sneaky", "headquarters": "Nowhere"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Sneaky'") == 0


def test_health_and_the_stylesheet_need_no_sign_in(anonymous_client: FlaskClient) -> None:
    assert anonymous_client.get("/healthz").status_code == 200
    with anonymous_client.get("/static/admin.css") as response:
        assert response.status_code == 200


def test_a_sign_in_expires(app: Flask, client: FlaskClient) -> None:
    app.config["SESSION_MAX_AGE"] = 0
    assert client.get("/admin/").status_code == 302


# --- CSRF -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(
    app: Flask, read_back: ReadBack, token: str | None
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login = {"name": "editor", "password": PASSWORDS["editor"], "csrf_token": csrf_of(client, "/login")}
    assert client.post("/login", data=login).status_code == 303
    data = {"name": "Forged", "headquarters": "Elsewhere"} | ({"csrf_token": token} if token else {})
    response = client.post("/admin/team/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-testid="error-page"' in page and "did not come from this site" in page
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Forged'") == 0
    # Signing in itself needs the token, and so does signing out.
    assert app.test_client().post("/login", data={"name": "editor", "password": PASSWORDS["editor"]}).status_code == 400
    assert client.post("/logout").status_code == 400


def test_a_sessions_pages_reuse_its_recent_token_and_no_other_session_can(app: Flask, read_back: ReadBack) -> None:
    """A session's CSRF token is signed once every few minutes, not on every page, and stays its own."""
    from webapp import csrf

    app.config["WTF_CSRF_ENABLED"] = True

    def signed_in() -> FlaskClient:
        client = app.test_client()
        login = {"name": "editor", "password": PASSWORDS["editor"], "csrf_token": csrf_of(client, "/login")}
        assert client.post("/login", data=login).status_code == 303
        csrf_of(client, "/admin/team/new")  # the session's first form gives it a secret
        return client

    first, second = signed_in(), signed_in()
    token = csrf_of(first, "/admin/team/new")
    listed = first.get("/admin/team/").get_data(as_text=True)  # the sign-out form of every page
    assert f'name="csrf_token" value="{token}"' in listed
    assert csrf_of(first, "/admin/team/new") == token
    assert csrf_of(second, "/admin/team/new") != token
    # Another session cannot use it, and writes nothing; its own session can.
    refused = second.post("/admin/team/new", data={"name": "Forged", "headquarters": "H", "csrf_token": token})
    assert refused.status_code == 400
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Forged'") == 0
    saved = first.post("/admin/team/new", data={"name": "Reused", "headquarters": "H", "csrf_token": token})
    assert saved.status_code == 303
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Reused'") == 1
    # A page never hands out a token older than a twelfth of its validity: with tokens good
    # for two seconds, the one reused so far has expired, and the page signs a good one.
    app.config["WTF_CSRF_TIME_LIMIT"] = 2
    time.sleep(3.1)  # itsdangerous counts whole seconds
    expired = first.post("/admin/team/new", data={"name": "Late", "headquarters": "H", "csrf_token": token})
    assert expired.status_code == 400
    fresh = csrf_of(first, "/admin/team/new")
    assert first.post("/admin/team/new", data={"name": "Fresh", "headquarters": "H", "csrf_token": fresh}).status_code == 303
    assert read_back("SELECT COUNT(*) FROM team WHERE name IN ('Late', 'Fresh')") == 1
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    # Signing out and in again leaves the old token worthless.
    assert first.post("/logout", data={"csrf_token": fresh}).status_code == 303
    again = {"name": "editor", "password": PASSWORDS["editor"], "csrf_token": csrf_of(first, "/login")}
    assert first.post("/login", data=again).status_code == 303
    assert csrf_of(first, "/admin/team/new") not in (token, fresh)
    stale = first.post("/admin/team/new", data={"name": "Stale", "headquarters": "H", "csrf_token": fresh})
    assert stale.status_code == 400
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Stale'") == 0


# --- cookies --------------------------------------------------------------------------


def test_the_session_cookie_is_http_only_and_same_site(anonymous_client: FlaskClient) -> None:
    response = anonymous_client.post("/login", data={"name": "editor", "password": PASSWORDS["editor"]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def remembered(client: FlaskClient) -> str:
    """The cookie of a session whose pages leave it as it is, sent (so checked) once more."""
    assert client.get("/admin/").status_code == 200  # the first page adds the CSRF secret
    cookie = session_cookie(client) or ""
    assert client.get("/admin/").status_code == 200
    assert session_cookie(client) == cookie
    return cookie


def test_a_cookie_changed_by_one_character_is_refused_after_the_real_one_was_taken(
    client: FlaskClient, app: Flask
) -> None:
    """A worker takes a cookie it has checked before at its word: only that exact cookie."""
    real = remembered(client)
    signature = real.rindex(".") + 1

    def changed(at: int) -> str:  # not a last character, whose low bits base64 may ignore
        return real[:at] + ("A" if real[at] != "A" else "B") + real[at + 1 :]

    forged = [changed(signature + 10), changed(5)]  # the signature, and the data it signs
    for cookie in forged:
        other = app.test_client()
        other.set_cookie("session", cookie)
        assert other.get("/admin/").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_cookie_taken_before_is_refused_once_it_is_too_old(client: FlaskClient, app: Flask) -> None:
    remembered(client)
    app.permanent_session_lifetime = dt.timedelta(seconds=0)
    time.sleep(1.1)  # itsdangerous counts whole seconds
    assert client.get("/admin/").status_code == 302


def test_a_new_secret_key_refuses_cookies_signed_with_the_old_one(client: FlaskClient, app: Flask) -> None:
    old = app.secret_key
    remembered(client)
    app.secret_key = "another secret key for this app"
    assert client.get("/admin/").status_code == 302
    app.config["SECRET_KEY_FALLBACKS"] = [old]  # Flask's way to retire a key gently
    assert client.get("/admin/").status_code == 200


def test_the_session_cookie_is_secure_over_https(app_with: Any) -> None:
    app = app_with(HTTPS=True)
    client = app.test_client()
    response = client.post(
        "/login", data={"name": "editor", "password": PASSWORDS["editor"]}, base_url="https://localhost"
    )
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- accounts in the admin ------------------------------------------------------------


def test_an_admin_adds_an_account_that_can_sign_in(admin_client: FlaskClient, app: Flask, read_back: ReadBack) -> None:
    form = {"name": "Carol", "role": "editor", "password": "carol-password", "confirm": "carol-password"}
    response = admin_client.post("/admin/-/accounts/new", data=form)
    assert response.status_code == 303
    stored = read_back("SELECT password_hash FROM accounts WHERE name = 'carol'")
    assert stored.startswith("scrypt:") and "carol-password" not in stored
    listing = admin_client.get("/admin/-/accounts/").get_data(as_text=True)
    assert "carol" in listing and "scrypt" not in listing
    carol = app.test_client()
    assert carol.post("/login", data={"name": "carol", "password": "carol-password"}).status_code == 303
    assert carol.get("/admin/hero/new").status_code == 200
    assert carol.get("/admin/-/accounts/").status_code == 403


@pytest.mark.parametrize(
    ("form", "sentence"),
    [
        ({"name": "editor", "password": "long-enough-1", "confirm": "long-enough-1"}, "already exists"),
        ({"name": "dave", "password": "short", "confirm": "short"}, "at least 10 characters"),
        ({"name": "dave", "password": "long-enough-1", "confirm": "long-enough-2"}, "The passwords differ."),
        ({"name": "da ve", "password": "long-enough-1", "confirm": "long-enough-1"}, "A name is"),
    ],
)
def test_a_bad_account_is_explained(admin_client: FlaskClient, read_back: ReadBack, form: dict[str, str], sentence: str) -> None:
    response = admin_client.post("/admin/-/accounts/new", data={"role": "viewer", **form})
    assert response.status_code == 422
    assert sentence in response.get_data(as_text=True)
    assert read_back("SELECT COUNT(*) FROM accounts") == 3


def test_an_admin_changes_a_role_and_a_password_signing_the_account_out(
    admin_client: FlaskClient, client_as: Any, read_back: ReadBack
) -> None:
    viewer = client_as("viewer")
    viewer_id = read_back("SELECT id FROM accounts WHERE name = 'viewer'")
    form = {"role": "editor", "password": "new-viewer-password", "confirm": "new-viewer-password"}
    assert admin_client.post(f"/admin/-/accounts/{viewer_id}/edit", data=form).status_code == 303
    assert read_back("SELECT role FROM accounts WHERE name = 'viewer'") == "editor"
    assert viewer.get("/admin/").status_code == 302  # a new password signs out its sessions


def test_an_admin_can_neither_demote_nor_delete_themselves(admin_client: FlaskClient, read_back: ReadBack) -> None:
    admin_id = read_back("SELECT id FROM accounts WHERE name = 'admin'")
    demoted = admin_client.post(f"/admin/-/accounts/{admin_id}/edit", data={"role": "viewer"})
    assert demoted.status_code == 422
    assert admin_client.post(f"/admin/-/accounts/{admin_id}/delete").status_code == 409
    assert read_back("SELECT role FROM accounts WHERE name = 'admin'") == "admin"


def test_deleting_an_account_signs_it_out(admin_client: FlaskClient, client_as: Any, read_back: ReadBack) -> None:
    editor = client_as("editor")
    editor_id = read_back("SELECT id FROM accounts WHERE name = 'editor'")
    assert admin_client.post(f"/admin/-/accounts/{editor_id}/delete").status_code == 303
    assert read_back("SELECT COUNT(*) FROM accounts WHERE name = 'editor'") == 0
    assert editor.get("/admin/").status_code == 302


def test_everyone_changes_their_own_password(client_as: Any, app: Flask) -> None:
    viewer = client_as("viewer")
    wrong = {"current": "not-it-at-all", "password": "brand-new-secret", "confirm": "brand-new-secret"}
    assert viewer.post("/admin/-/password", data=wrong).status_code == 422
    right = {**wrong, "current": PASSWORDS["viewer"]}
    assert viewer.post("/admin/-/password", data=right).status_code == 303
    assert viewer.get("/admin/").status_code == 200  # this session stays
    again = app.test_client()
    assert again.post("/login", data={"name": "viewer", "password": "brand-new-secret"}).status_code == 303


# --- the command line and the first run -----------------------------------------------


def invoke(app: Flask, *args: str, input: str | None = None) -> Result:
    """Run a ``flask`` command of ``app``."""
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_reads_the_password_from_standard_input(app: Flask, read_back: ReadBack) -> None:
    result = invoke(app, "create-user", "Erin", "--role", "admin", "--password-stdin", input="erin-password-1\n")
    assert result.exit_code == 0, result.output
    assert read_back("SELECT role FROM accounts WHERE name = 'erin'") == "admin"
    client = app.test_client()
    assert client.post("/login", data={"name": "erin", "password": "erin-password-1"}).status_code == 303


def test_create_user_prompts_for_the_password_twice(app: Flask, read_back: ReadBack) -> None:
    result = invoke(app, "create-user", "frank", input="frank-password\nfrank-password\n")
    assert result.exit_code == 0, result.output
    assert read_back("SELECT role FROM accounts WHERE name = 'frank'") == "viewer"


def test_create_user_refuses_a_short_password_and_a_taken_name(app: Flask) -> None:
    short = invoke(app, "create-user", "gina", "--password-stdin", input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    taken = invoke(app, "create-user", "editor", "--password-stdin", input="long-enough-pw\n")
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_a_fresh_database_gets_one_admin_with_a_password_printed_once(
    app: Flask, app_with: Any, database_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for table in ("account_sessions", "login_attempts", "audit_log", "accounts"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()
    capfd.readouterr()
    first = app_with(reset=False, SETUP_DATABASE=True)
    printed = capfd.readouterr().err
    match = re.search(r"password: (\S+)", printed)
    assert match, printed
    client = first.test_client()
    assert client.post("/login", data={"name": "admin", "password": match.group(1)}).status_code == 303
    assert client.get("/admin/-/accounts/").status_code == 200
    app_with(reset=False, SETUP_DATABASE=True)
    assert "password" not in capfd.readouterr().err
