"""The list page: paging, sorting and searching from the query string; bad parameters are a 400."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask import Flask
from flask.testing import FlaskClient


def names(html: Any, client: FlaskClient, url: str) -> list[str]:
    """The hero names listed at ``url``, in order."""
    response = client.get(url)
    assert response.status_code == 200, url
    return html(response).texts("cell-name")


def test_rows_carry_their_key_and_cells(client: FlaskClient, html: Any) -> None:
    shown = html(client.get("/admin/categories/"))
    rows = shown.all("row")
    assert len(rows) == 1 and rows[0].attrs.get("data-key")
    assert shown.texts("cell-name") == ["Food"]
    assert shown.all("list-table") and shown.all("action-create")
    assert "1" in shown.text("list-count")


def test_default_order_and_sorting(client: FlaskClient, html: Any) -> None:
    assert names(html, client, "/admin/hero/") == ["Deadpond", "Rusty-Man", "Spider-Boy"]
    assert names(html, client, "/admin/hero/?sort=-name") == ["Spider-Boy", "Rusty-Man", "Deadpond"]
    assert names(html, client, "/admin/hero/?sort=secret_name") == ["Deadpond", "Spider-Boy", "Rusty-Man"]
    # The sort links lead to the sorted view.
    link = html(client.get("/admin/hero/")).one("sort-secret_name").attrs["href"]
    assert names(html, client, link or "") == ["Deadpond", "Spider-Boy", "Rusty-Man"]


def test_paging(app: Flask, client: FlaskClient, html: Any) -> None:
    app.config["PER_PAGE"] = 2
    first = html(client.get("/admin/hero/"))
    assert first.texts("cell-name") == ["Deadpond", "Rusty-Man"]
    assert first.all("pager") and not first.all("page-prev")
    assert names(html, client, first.one("page-next").attrs["href"] or "") == ["Spider-Boy"]
    assert names(html, client, "/admin/hero/?page=2") == ["Spider-Boy"]
    assert names(html, client, "/admin/hero/?page=2&sort=-name") == ["Deadpond"]
    past = client.get("/admin/hero/?page=99")
    assert past.status_code == 200 and not html(past).all("row")


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("man", ["Rusty-Man"]),
        ("DEAD", ["Deadpond"]),
        ("-", ["Rusty-Man", "Spider-Boy"]),
        ("%", []),
        ("_", []),
        ("nobody", []),
        ("", ["Deadpond", "Rusty-Man", "Spider-Boy"]),
    ],
)
def test_search(client: FlaskClient, html: Any, q: str, found: list[str]) -> None:
    response = client.get("/admin/hero/", query_string={"q": q})
    shown = html(response)
    assert shown.texts("cell-name") == found
    assert bool(shown.all("list-empty")) == (not found)


MALFORMED = [
    {"page": "abc"}, {"page": "0"}, {"page": "-1"}, {"page": "1.5"}, {"page": "1e3"}, {"page": "٣"},
    {"page": "99999999999999999999999"}, {"page": "\x00"}, {"sort": "nope"}, {"sort": "-"},
    {"sort": "name;drop table hero"}, {"sort": "\x00"}, {"sort": "name,nope"}, {"q": "\x00"},
]


def test_malformed_parameters_are_400(client: FlaskClient, html: Any) -> None:
    for query in MALFORMED:
        response = client.get("/admin/hero/", query_string=query)
        assert response.status_code == 400, query
        shown = html(response)
        assert shown.one("error-page").attrs.get("data-status") == "400"
        assert shown.text("error-message"), query
