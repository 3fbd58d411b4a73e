"""Bulk actions: preview, then all rows or none; a per-row report afterwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.admin_pages import html  # noqa: F401 (a fixture)
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import log_in
from tests.integration.raw_schema import rx_app  # noqa: F401 (a fixture)

Read = Callable[..., Any]


def test_a_bulk_delete_blocked_by_one_row_deletes_nothing(client: FlaskClient, html: Any, read_back: Read) -> None:
    for name in ("Travel", "Books"):
        assert client.post("/admin/categories/new", data={"name": name}).status_code == 303
    keys = [str(k) for k in (1, read_back("SELECT id FROM categories WHERE name = 'Travel'"),
                             read_back("SELECT id FROM categories WHERE name = 'Books'"))]
    preview = html(client.post("/admin/categories/bulk", data={"action": "delete", "key": keys}))
    assert preview.status == 200
    blocked = [row for row in preview.all("bulk-row") if row.attrs.get("data-blocked")]
    assert [row.attrs["data-key"] for row in blocked] == ["1"]
    assert "1 expense refers to it" in preview.texts("bulk-blocker")[0]
    assert not preview.all("bulk-confirm")
    refused = html(client.post("/admin/categories/bulk", data={"action": "delete", "key": keys, "confirm": "1"}))
    assert refused.status == 409
    assert "1 of the 3 categories is still referred to" in " ".join(refused.errors())
    assert read_back("SELECT COUNT(*) FROM categories") == 3


def test_a_bulk_delete_previews_dependents_then_reports_each_row(client: FlaskClient, html: Any, read_back: Read) -> None:
    preview = html(client.post("/admin/team/bulk", data={"action": "delete", "key": ["1", "2"]}))
    assert preview.status == 200
    assert preview.one("dependent-hero").attrs["data-action"] == "set null"
    data = preview.form_data("bulk-confirm-form")
    done = client.post("/admin/team/bulk", data={**data, "key": ["1", "2"]})
    assert done.status_code == 303
    report = html(client.get(done.headers["Location"]))
    assert [row.attrs["data-key"] for row in report.all("bulk-report-row")] == ["1", "2"]
    assert report.texts("bulk-outcome") == ["deleted", "deleted"]
    assert read_back("SELECT COUNT(*) FROM team") == 0
    assert read_back("SELECT COUNT(*) FROM hero WHERE team_id IS NOT NULL") == 0


def test_a_bulk_action_on_every_row_the_search_matches(client: FlaskClient, html: Any, read_back: Read) -> None:
    preview = html(client.post("/admin/hero/bulk?q=man", data={"action": "delete", "scope": "all"}))
    assert [row.attrs["data-key"] for row in preview.all("bulk-row")] == ["3"]
    done = client.post("/admin/hero/bulk?q=man", data={"action": "delete", "scope": "all", "confirm": "1"})
    assert done.status_code == 303
    assert read_back("SELECT COUNT(*) FROM hero") == 2
    assert read_back("SELECT COUNT(*) FROM hero WHERE name = 'Rusty-Man'") == 0


def test_a_bulk_set_is_validated_like_the_form(client: FlaskClient, html: Any, read_back: Read) -> None:
    keys = ["1", "2", "3"]
    invalid = html(client.post("/admin/hero/bulk", data={"action": "set", "column": "age", "value": "old", "key": keys, "confirm": "1"}))
    assert invalid.status == 422 and "Enter a whole number" in " ".join(invalid.errors())
    negative = html(client.post("/admin/hero/bulk", data={"action": "set", "column": "age", "value": "-1", "key": keys, "confirm": "1"}))
    assert negative.status == 409 and "Age cannot be negative" in " ".join(negative.errors())
    assert read_back("SELECT COUNT(*) FROM hero WHERE age IS NULL") == 2
    missing = html(client.post("/admin/hero/bulk", data={"action": "set", "column": "team_id", "value": "99", "key": keys, "confirm": "1"}))
    assert missing.status == 409
    duplicate = html(client.post("/admin/team/bulk", data={"action": "set", "column": "name", "value": "Same", "key": ["1", "2"], "confirm": "1"}))
    assert duplicate.status == 409
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Same'") == 0
    done = client.post("/admin/hero/bulk", data={"action": "set", "column": "age", "value": "30", "key": ["1", "3"], "confirm": "1"})
    assert done.status_code == 303
    report = html(client.get(done.headers["Location"]))
    assert report.texts("bulk-outcome") == ["— → 30", "48 → 30"]
    assert read_back("SELECT COUNT(*) FROM hero WHERE age = 30") == 2
    assert read_back("SELECT age FROM hero WHERE id = 2") is None


def test_wrong_bulk_requests_get_their_status(client: FlaskClient, read_back: Read) -> None:
    assert client.post("/admin/hero/bulk", data={"action": "delete"}).status_code == 422
    assert client.post("/admin/hero/bulk", data={"action": "explode", "key": ["1"]}).status_code == 422
    assert client.post("/admin/hero/bulk", data={"action": "set", "column": "id", "value": "9", "key": ["1"]}).status_code == 422
    assert client.post("/admin/hero/bulk", data={"action": "delete", "key": ["1", "999"], "confirm": "1"}).status_code == 409
    assert client.post("/admin/hero/bulk?sort=nope", data={"action": "delete", "scope": "all"}).status_code == 400
    assert client.get("/admin/hero/bulk/" + "x" * 22).status_code == 404
    assert read_back("SELECT COUNT(*) FROM hero") == 3


def test_bulk_actions_on_a_reflected_database(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    blocked = html(client.post("/admin/rx_employee/bulk", data={"action": "delete", "key": ["2", "3"], "confirm": "1"}))
    assert blocked.status == 409
    assert len(blocked.all("bulk-blocker")) == 2
    moved = client.post("/admin/rx_employee/bulk", data={"action": "set", "column": "region_code", "value": "N/W", "key": ["1", "3"], "confirm": "1"})
    assert moved.status_code == 303
    assert read_back("SELECT COUNT(*) FROM rx_employee WHERE region_code = 'N/W'") == 3
    assert client.post("/admin/rx_log/bulk", data={"action": "delete", "scope": "all"}).status_code == 403
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3


def test_the_report_of_a_bulk_action_is_shown_by_another_host(
    app: Flask, app_with: Callable[..., Flask], html: Any, tmp_path: Path
) -> None:
    app.instance_path = str(tmp_path / "host1")  # hosts share the database and nothing else
    second = app_with(reset=False)
    second.instance_path = str(tmp_path / "host2")
    done = log_in(app.test_client()).post(
        "/admin/hero/bulk?q=man", data={"action": "delete", "scope": "all", "confirm": "1"}
    )
    assert done.status_code == 303
    other = log_in(second.test_client(), "viewer")
    report = html(other.get(done.headers["Location"]))
    assert report.status == 200
    assert report.texts("bulk-outcome") == ["deleted"]
    assert other.get("/admin/team/bulk/" + done.headers["Location"].rsplit("/", 1)[1]).status_code == 404
