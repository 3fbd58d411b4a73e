"""The markup contract of the README: hooks, names, labels, buttons, and where errors are said."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient

ReadBack = Callable[..., Any]
TABLES = ["categories", "employee", "expenses", "hero", "shifts", "team", "userdata", "users"]


def test_navigation_and_dashboard(client: FlaskClient, html: Any) -> None:
    shown = html(client.get("/admin/"))
    assert shown.all("nav") and shown.all("nav-home") and shown.all("dashboard")
    for table in TABLES:
        assert shown.all(f"nav-{table}"), table
        assert shown.all(f"table-{table}"), table
        assert shown.text(f"count-{table}").isdigit(), table
        href = shown.one(f"action-create-{table}").attrs.get("href")
        assert href == f"/admin/{table}/new"


def test_the_menu_marks_the_table_of_each_page_and_none_on_the_dashboard(client: FlaskClient, html: Any) -> None:
    """The menu is rendered once per table (site.fixed): each page's still marks its own."""
    for url, current in [("/admin/", None), ("/admin/hero/", "hero"), ("/admin/team/", "team"),
                         ("/admin/hero/new", "hero"), ("/admin/", None), ("/admin/team/", "team")]:
        shown = html(client.get(url))
        marked = [f"nav-{table}" for table in TABLES if shown.one(f"nav-{table}").attrs.get("aria-current") == "page"]
        assert marked == ([f"nav-{current}"] if current else []), url
        assert [shown.one(f"nav-{table}").text for table in ("hero", "team")] == ["Heroes", "Teams"]


def test_list_hooks(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    shown = html(client.get("/admin/hero/"))
    assert shown.all("list-table") and shown.all("list-count") and shown.all("action-create")
    assert shown.all("search-form") and shown.all("search-input") and shown.all("search-submit")
    assert shown.all("sort-name") and shown.all("sort-secret_name")
    rows = shown.all("row")
    assert len(rows) == 3
    ids = sorted(str(read_back("SELECT id FROM hero WHERE name = :n", n=n)) for n in ("Deadpond", "Rusty-Man",
                                                                                      "Spider-Boy"))
    assert sorted(row.attrs.get("data-key") or "" for row in rows) == ids
    assert len(shown.all("action-view")) == len(shown.all("action-edit")) == len(shown.all("action-delete")) == 3
    assert len(shown.all("cell-secret_name")) == 3
    empty = html(client.get("/admin/hero/?q=nobody"))
    assert empty.all("list-empty") and empty.all("search-clear") and not empty.all("row")


def test_list_cells_show_markup_characters_as_typed(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    name, secret = """<b>Bold</b> & "Tom's" <script>alert(1)</script>""", "O'Neil & <i>Co</i>"
    created = client.post("/admin/hero/new", data={"name": name, "secret_name": secret})
    assert created.status_code == 303
    key = str(read_back("SELECT id FROM hero WHERE secret_name = :s", s=secret))
    shown = html(client.get("/admin/hero/"))
    row = next(row for row in shown.all("row") if row.attrs.get("data-key") == key)
    cell = {testid: [e for e in shown.all(testid) if e.inside(row)] for testid in ("cell-name", "cell-secret_name")}
    assert [e.text for e in cell["cell-name"]] == [name] and [e.text for e in cell["cell-secret_name"]] == [secret]
    box = [e for e in shown.all("select-row") if e.inside(row)]
    assert [e.attrs.get("aria-label") for e in box] == [f"Select {name}"]
    assert [e.text for e in shown.all("action-edit") if e.inside(row)] == [f"Edit {name}"]
    table = shown.one("list-table")
    assert not [e.tag for e in shown.elements if e.tag in ("b", "i", "script") and e.inside(table)]


def test_detail_and_form_hooks(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    hero = read_back("SELECT id FROM hero WHERE name = 'Rusty-Man'")
    detail = html(client.get(f"/admin/hero/{hero}/"))
    assert detail.all("detail")
    assert detail.text("value-secret_name") == "Tommy Sharp"
    assert detail.one("action-edit").attrs.get("href") == f"/admin/hero/{hero}/edit"
    assert detail.one("action-delete").attrs.get("href") == f"/admin/hero/{hero}/delete"

    form = html(client.get(f"/admin/hero/{hero}/edit"))
    assert form.all("row-form") and form.all("cancel")
    assert form.text("save") == "Save"
    assert form.text("value-id") == str(hero)  # read-only on the edit page
    for key, label in [("name", "Name"), ("secret_name", "Secret name"), ("age", "Age"), ("team_id", "Team")]:
        control = form.control(key)
        assert control.inside(form.one(f"field-{key}"))
        labels = [e for e in form.elements if e.tag == "label" and e.attrs.get("for") == control.attrs.get("id")]
        assert [e.text for e in labels] == [label]
    assert not form.all("error-name")  # no error before anything is wrong
    assert "aria-invalid" not in form.control("name").attrs


def test_delete_hooks(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    team = read_back("SELECT id FROM team WHERE name = 'Preventers'")
    shown = html(client.get(f"/admin/team/{team}/delete"))
    assert shown.all("delete-form") and shown.all("dependents") and shown.all("cancel")
    assert shown.text("confirm-delete") == "Delete"
    assert shown.one("dependent-hero").attrs.get("data-action") == "set null"


def test_every_field_error_is_tied_to_its_input(client: FlaskClient, html: Any) -> None:
    data = {"user_id": "", "category_id": "abc", "description": "x" * 201, "amount": "NaN", "date": "soon"}
    shown = html(client.post("/admin/expenses/new", data=data))
    assert shown.status == 422
    for key in data:
        control = shown.control(key)
        error = shown.one(f"error-{key}")
        assert control.attrs.get("aria-invalid") == "true", key
        assert control.attrs.get("aria-describedby") == error.attrs.get("id"), key
        assert error.inside(shown.one(f"field-{key}")), key
        assert error.text, key
    assert shown.one("flash-error").attrs.get("role") == "alert"


def test_flash_roles(client: FlaskClient, html: Any) -> None:
    done = html(client.post("/admin/categories/new", data={"name": "Books"}, follow_redirects=True))
    assert [(e.attrs.get("role"), e.text) for e in done.all("flash-success")] == [("status", "Created category “Books”.")]
    assert not done.all("flash-error")
    # A flash is said once: the next page does not repeat it.
    assert not html(client.get("/admin/categories/")).all("flash-success")


def test_error_page_hooks(client: FlaskClient, html: Any) -> None:
    shown = html(client.get("/admin/hero/?page=0"))
    assert shown.one("error-page").attrs.get("data-status") == "400"
    assert shown.text("error-message") == "The page must be a whole number from 1 to 1000000000."


@pytest.mark.parametrize(
    ("url", "data"),
    [("/admin/categories/new", {"name": "Forged"}), ("/admin/categories/1/delete", {})],
)
def test_a_post_without_csrf_token_is_400_and_writes_nothing(
    app: Flask, client: FlaskClient, html: Any, read_back: ReadBack, url: str, data: dict[str, str]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    before = read_back("SELECT count(*) FROM categories")
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert html(response).one("error-page").attrs.get("data-status") == "400"
    assert read_back("SELECT count(*) FROM categories") == before
