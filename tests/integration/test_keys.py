"""Keys in URLs round-trip any value; a key that names no row is a 404, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (fixtures)
from flask.testing import FlaskClient

ReadBack = Callable[..., Any]

AWKWARD = ["a/b,c", "50% why?", "two  spaces ", "Zoë 東京/√", "~7E", "~", ".", "..", "#x&y=z+1"]


@pytest.mark.parametrize("user_id", AWKWARD)
def test_a_string_key_round_trips_through_every_page(
    client: FlaskClient, html: Any, read_back: ReadBack, user_id: str
) -> None:
    created = client.post("/admin/userdata/new", data={"user_id": user_id, "user_data": "x"})
    assert created.status_code == 303
    url = created.headers["Location"]
    assert url.startswith("/admin/userdata/") and url.count("/") == 4  # one path segment
    key = url.split("/")[3]

    detail = client.get(url)
    assert detail.status_code == 200
    # Stored exactly as typed (the text field trims only its ends, which these lack or keep).
    stored = user_id.strip()
    assert html(detail).text("value-user_id") == " ".join(stored.split())
    assert read_back("SELECT count(*) FROM userdata WHERE user_id = :id", id=stored) == 1

    listed = html(client.get("/admin/userdata/?q=" + quote(stored)))
    assert key in [row.attrs.get("data-key") for row in listed.all("row")]

    edited = client.post(url + "edit", data={"user_data": "changed"})
    assert edited.status_code == 303 and edited.headers["Location"] == url
    assert read_back("SELECT user_data FROM userdata WHERE user_id = :id", id=stored) == "changed"

    deleted = client.post(url + "delete")
    assert deleted.status_code == 303
    assert read_back("SELECT count(*) FROM userdata WHERE user_id = :id", id=stored) == 0
    assert client.get(url).status_code == 404


def test_a_composite_key(client: FlaskClient, html: Any, read_back: ReadBack) -> None:
    ann = read_back("SELECT id FROM employee WHERE name = 'Ann'")
    url = f"/admin/shifts/{ann},monday/"
    assert html(client.get(url)).text("value-weekday") == "Monday"
    assert [row.attrs.get("data-key") for row in html(client.get("/admin/shifts/")).all("row")] == [f"{ann},monday"]
    data = {"starts_at": "10:00", "ends_at": "18:00", "hourly_rate": ""}
    assert client.post(url + "edit", data=data).headers["Location"] == url
    assert str(read_back("SELECT starts_at FROM shifts WHERE employee_id = :id", id=ann)).startswith("10:00")


NO_HERO = ["9999", str(2**31), str(2**63), str(2**64), "9" * 30, "-1", "-" + str(2**63 + 1),
           "abc", "1.0", "1e3", "+1", "١", "~", "~ZZ", "~C3", "~00", "1,2", "~2F1"]
NO_SHIFT = ["1", "1,funday", "1,monday,x", "x,monday", f"{2**63},monday", "1,Monday", ",", "1,~00"]
NO_USERDATA = ["nobody", "~00", "a~00b", "~ED~A0~80", "x" * 33, "%25", "~FF", "Brad~"]


def test_an_integer_key_that_names_no_row_is_404(client: FlaskClient) -> None:
    # One app for the whole list: each request is independent of the ones before it.
    for key in NO_HERO:
        for url in (f"/admin/hero/{key}/", f"/admin/hero/{key}/edit", f"/admin/hero/{key}/delete"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/admin/hero/{key}/edit", data={"name": "x", "secret_name": "y"}).status_code == 404, key
        assert client.post(f"/admin/hero/{key}/delete").status_code == 404, key


def test_a_composite_key_that_names_no_row_is_404(client: FlaskClient) -> None:
    for key in NO_SHIFT:
        assert client.get(f"/admin/shifts/{key}/").status_code == 404, key
        assert client.post(f"/admin/shifts/{key}/delete").status_code == 404, key


def test_a_string_key_that_names_no_row_is_404(client: FlaskClient) -> None:
    for key in NO_USERDATA:
        assert client.get(f"/admin/userdata/{key}/").status_code == 404, key
        assert client.post(f"/admin/userdata/{key}/edit", data={"user_data": "x"}).status_code == 404, key


def test_the_404_page_explains(client: FlaskClient, html: Any) -> None:
    shown = html(client.get("/admin/hero/9999/"))
    assert shown.one("error-page").attrs.get("data-status") == "404"
    assert shown.text("error-message") == "There is no hero with the key “9999”."


@pytest.mark.parametrize("url", ["/admin/nope/", "/admin/nope/1/", "/admin/nope/new", "/admin/nope/1/edit",
                                 "/admin/hero/1/nope", "/admin/-/nope"])
def test_an_unknown_table_or_page_is_404(client: FlaskClient, html: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert html(response).one("error-page").attrs.get("data-status") == "404"
    assert client.post(url).status_code in (404, 405)
