"""CSV export: the list's search and sort honoured, formulas defused, UTF-8, streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (a fixture)
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.raw_schema import rx_app  # noqa: F401 (a fixture)
from webapp.admin.export import cell, escape, unescape
from webapp.extensions import db
from webapp.models import Hero


def rows_of(body: bytes) -> list[list[str]]:
    """Parse a CSV body the way a spreadsheet would read it: UTF-8, quoted fields."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def test_export_streams_every_column_of_the_searched_and_sorted_list(client: FlaskClient) -> None:
    response = client.get("/admin/hero/export.csv?q=man&sort=-name")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response.get_data())
    assert rows[0] == ["id", "name", "secret_name", "age", "team_id"]
    assert [row[1] for row in rows[1:]] == ["Rusty-Man"]
    everyone = rows_of(client.get("/admin/hero/export.csv?sort=-name").get_data())
    assert [row[1] for row in everyone[1:]] == ["Spider-Boy", "Rusty-Man", "Deadpond"]


def test_cells_a_spreadsheet_would_run_are_escaped(app: Flask, client: FlaskClient) -> None:
    names = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tTab", "\rReturn", "Zoë 漢字"]
    with app.app_context():
        db.session.add_all(Hero(name=name, secret_name=f"s{index}", age=index) for index, name in enumerate(names))
        db.session.commit()
    rows = rows_of(client.get("/admin/hero/export.csv?sort=id").get_data())
    exported = [row[1] for row in rows[4:]]
    assert exported == ["'=1+2", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tTab", "'\rReturn", "Zoë 漢字"]


def test_escape_round_trips() -> None:
    for text in ["=x", "-5", "@", "'already", "'=x", "''+x", "plain", ""]:
        assert unescape(escape(text)) == text
    assert escape("'=x") == "''=x"
    assert cell(-5) == "-5" and cell(Decimal("-1.50")) == "-1.50"  # numbers are never formulas
    assert cell(True) == "true" and cell(None) == "" and cell(b"\x01\xff") == "01ff"


def test_the_export_closes_its_connection_even_when_the_client_leaves(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        pool = db.engine.pool
    response = client.get("/admin/hero/export.csv", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith(b"id,")
    next(chunks)  # the connection is open and streaming now
    response.close()
    assert pool.checkedout() == 0
    client.get("/admin/hero/export.csv").get_data()
    assert pool.checkedout() == 0


@pytest.mark.parametrize(
    ("url", "status"),
    [("/admin/nope/export.csv", 404), ("/admin/hero/export.csv?sort=nope", 400), ("/admin/hero/export.csv?page=x", 400)],
)
def test_bad_exports_are_refused_before_any_byte(client: FlaskClient, url: str, status: int) -> None:
    assert client.get(url).status_code == status


def test_a_reflected_table_and_view_export_with_their_filters(rx_app: Flask) -> None:
    client = rx_app.test_client()
    employees = rows_of(client.get("/admin/rx_employee/export.csv?q=example&sort=-name").get_data())
    assert employees[0][:6] == ["id", "name", "email", "region_code", "manager_id", "salary"]
    assert [(row[1], row[3], row[5]) for row in employees[1:]] == [("Grace", "N/W", "4000.00"), ("Ada", "EU", "5000.00")]
    log = rows_of(client.get("/admin/rx_log/export.csv?sort=at").get_data())
    assert log[1:] == [["2024-01-01", "started"], ["2024-01-02", "'=HYPERLINK(\"x\")"]]
    staff = rows_of(client.get("/admin/rx_staff/export.csv?sort=id").get_data())
    assert [row[2] for row in staff[1:]] == ["Europe", "North-west", "Europe"]


def test_the_export_honours_the_lists_filters(client: FlaskClient) -> None:
    heroes = rows_of(client.get("/admin/hero/export.csv?age__gte=40").get_data())
    assert [row[1] for row in heroes[1:]] == ["Rusty-Man"]
    teamless = rows_of(client.get("/admin/hero/export.csv?team_id__isnull=true").get_data())
    assert [row[1] for row in teamless[1:]] == ["Spider-Boy"]


def test_the_export_of_a_reflected_table_honours_its_filters(rx_app: Flask) -> None:
    rx = rx_app.test_client()
    europe = rows_of(rx.get("/admin/rx_employee/export.csv?region_code=EU&salary__gte=4000").get_data())
    assert [row[1] for row in europe[1:]] == ["Ada"]
    assert rx.get("/admin/rx_employee/export.csv?salary__gte=lots").status_code == 400


def test_the_list_links_to_an_export_of_what_it_shows(client: FlaskClient, html: Any) -> None:
    listing = html(client.get("/admin/hero/?q=man&age__gte=40&sort=-name"))
    link = listing.one("action-export").attrs["href"]
    assert link.startswith("/admin/hero/export.csv?")
    for part in ("q=man", "age__gte=40", "sort=-name"):
        assert part in link
    assert [row[1] for row in rows_of(client.get(link).get_data())[1:]] == ["Rusty-Man"]
    assert listing.one("action-import").attrs["href"] == "/admin/hero/import"
