"""The audit trail: one row per change, exactly what changed, in the same transaction as the change."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tests.integration.admin_pages import html  # noqa: F401 (a fixture)

ReadBack = Callable[..., Any]
Trail = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def trail(database_url: str) -> Iterator[Trail]:
    """The audit rows (optionally of one table), oldest first, read on a fresh connection."""
    engine = create_engine(database_url)

    def read(table: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT account, table_name, row_key, action, old_values, new_values FROM audit_log"
        sql += " WHERE table_name = :table" if table else ""
        with engine.connect() as connection:
            rows = connection.execute(text(sql + " ORDER BY id"), {"table": table}).mappings().all()
        return [
            {
                **{key: row[key] for key in ("account", "table_name", "row_key", "action")},
                "before": json.loads(row["old_values"]) if row["old_values"] else None,
                "after": json.loads(row["new_values"]) if row["new_values"] else None,
            }
            for row in rows
        ]

    yield read
    engine.dispose()


def test_a_create_records_every_value_given(client: FlaskClient, read_back: ReadBack, trail: Trail) -> None:
    response = client.post("/admin/hero/new", data={"name": "Tarantula", "secret_name": "Natalia", "age": "32", "team_id": "1"})
    assert response.status_code == 303
    new_id = read_back("SELECT id FROM hero WHERE name = 'Tarantula'")
    assert trail() == [
        {
            "account": "editor",
            "table_name": "hero",
            "row_key": str(new_id),
            "action": "create",
            "before": None,
            "after": {"id": new_id, "name": "Tarantula", "secret_name": "Natalia", "age": 32, "team_id": 1},
        }
    ]


def edit_form(client: FlaskClient, html: Any, url: str, **changes: str) -> dict[str, str]:
    """What a browser submits from the edit form at ``url`` after typing ``changes``."""
    return {**html(client.get(url)).form_data("row-form"), **changes}


def test_an_update_records_only_the_changed_columns(client: FlaskClient, html: Any, trail: Trail) -> None:
    form = edit_form(client, html, "/admin/hero/3/edit", age="49")
    assert client.post("/admin/hero/3/edit", data=form).status_code == 303
    assert trail() == [
        {"account": "editor", "table_name": "hero", "row_key": "3", "action": "update",
         "before": {"age": 48}, "after": {"age": 49}}
    ]


def test_saving_without_a_change_records_nothing(client: FlaskClient, html: Any, trail: Trail) -> None:
    form = edit_form(client, html, "/admin/team/1/edit")
    assert client.post("/admin/team/1/edit", data=form).status_code == 303
    assert trail() == []


def test_a_delete_records_every_value_it_had(client: FlaskClient, trail: Trail) -> None:
    assert client.post("/admin/categories/1/delete").status_code == 409  # an expense refers to it
    assert trail() == []
    assert client.post("/admin/userdata/Brad/delete").status_code == 303
    [entry] = trail()
    assert entry["action"] == "delete" and entry["row_key"] == "Brad" and entry["after"] is None
    assert entry["before"]["user_id"] == "Brad" and entry["before"]["user_data"] == "Notes about Brad"
    assert "time_stamp" in entry["before"]


def test_what_the_database_cascades_is_recorded_too(client: FlaskClient, trail: Trail, read_back: ReadBack) -> None:
    deadpond = read_back("SELECT id FROM hero WHERE name = 'Deadpond'")
    team = read_back("SELECT team_id FROM hero WHERE name = 'Deadpond'")
    assert client.post(f"/admin/team/{team}/delete").status_code == 303  # Deadpond's team: set to NULL
    assert read_back("SELECT team_id FROM hero WHERE name = 'Deadpond'") is None
    actions = [(e["table_name"], e["row_key"], e["action"], e["before"], e["after"]) for e in trail()]
    assert ("hero", str(deadpond), "update", {"team_id": team}, {"team_id": None}) in actions
    assert [a[:3] for a in actions if a[0] == "team"] == [("team", str(team), "delete")]
    assert client.post("/admin/employee/1/delete").status_code == 303  # Ann's shift is deleted with her
    shifts = trail("shifts")
    assert [(e["row_key"], e["action"]) for e in shifts] == [("1,monday", "delete")]
    assert shifts[0]["before"]["starts_at"] == "09:00:00"


def test_a_refused_change_records_nothing(client: FlaskClient, trail: Trail) -> None:
    assert client.post("/admin/team/new", data={"name": "Preventers", "headquarters": "x"}).status_code == 409
    assert client.post("/admin/hero/new", data={"name": "", "secret_name": ""}).status_code == 422
    assert trail() == []


def test_a_change_whose_audit_cannot_be_written_leaves_nothing(
    client: FlaskClient, html: Any, read_back: ReadBack, database_url: str
) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE audit_log"))
    engine.dispose()
    created = client.post("/admin/team/new", data={"name": "Avengers", "headquarters": "Tower"})
    assert created.status_code == 500
    assert "audit record could not be written" in created.get_data(as_text=True)
    assert read_back("SELECT COUNT(*) FROM team WHERE name = 'Avengers'") == 0
    name = read_back("SELECT name FROM team WHERE id = 1")
    form = edit_form(client, html, "/admin/team/1/edit", name="Renamed")
    assert client.post("/admin/team/1/edit", data=form).status_code == 500
    assert read_back("SELECT name FROM team WHERE id = 1") == name
    assert client.post("/admin/userdata/Ed/delete").status_code == 500
    assert read_back("SELECT COUNT(*) FROM userdata WHERE user_id = 'Ed'") == 1
    assert client.get("/admin/").status_code == 200  # the next request starts clean


def test_the_history_of_a_row(client: FlaskClient) -> None:
    client.post("/admin/userdata/new", data={"user_id": "a/b c", "user_data": "first"})
    client.post("/admin/userdata/a~2Fb~20c/delete")
    page = client.get("/admin/userdata/a~2Fb~20c/history")
    assert page.status_code == 200  # a deleted row keeps its history
    text_ = page.get_data(as_text=True)
    assert text_.count('data-testid="change"') == 2
    assert "no longer exists" in text_
    assert client.get("/admin/userdata/Brad/history").status_code == 200  # no changes yet, but the row exists
    assert client.get("/admin/userdata/nobody/history").status_code == 404
    assert client.get("/admin/nope/1/history").status_code == 404
    assert 'data-testid="action-history"' in client.get("/admin/userdata/Brad/").get_data(as_text=True)


def test_recent_changes_filtered_by_account_and_table(client: FlaskClient, admin_client: FlaskClient) -> None:
    client.post("/admin/team/new", data={"name": "Avengers", "headquarters": "Tower"})
    admin_client.post("/admin/categories/new", data={"name": "Travel"})
    everything = client.get("/admin/-/changes").get_data(as_text=True)
    assert everything.count('data-testid="change"') == 2
    by_admin = client.get("/admin/-/changes?account=admin").get_data(as_text=True)
    assert by_admin.count('data-testid="change"') == 1 and "Travel" in by_admin
    teams = client.get("/admin/-/changes?table=team").get_data(as_text=True)
    assert teams.count('data-testid="change"') == 1 and "Avengers" in teams
    assert client.get("/admin/-/changes?table=nope").status_code == 400
    assert client.get("/admin/-/changes?before=x").status_code == 400


def test_account_changes_are_recorded_without_the_password_hash(admin_client: FlaskClient, client: FlaskClient, trail: Trail) -> None:
    form = {"name": "hank", "role": "viewer", "password": "hank-password", "confirm": "hank-password"}
    assert admin_client.post("/admin/-/accounts/new", data=form).status_code == 303
    [entry] = trail("accounts")
    assert entry["account"] == "admin" and entry["after"]["role"] == "viewer"
    assert entry["after"]["password_hash"] == "(changed)"
    assert "scrypt" not in admin_client.get("/admin/-/changes").get_data(as_text=True)
    assert "hank" not in client.get("/admin/-/changes").get_data(as_text=True)  # editors do not see accounts


def test_the_changes_page_pages(client: FlaskClient, app: Any) -> None:
    app.config["PER_PAGE"] = 2
    for name in ("A", "B", "C"):
        client.post("/admin/categories/new", data={"name": name})
    first = client.get("/admin/-/changes").get_data(as_text=True)
    assert first.count('data-testid="change"') == 2
    older = re.search(r'href="([^"]+)" rel="next" data-testid="page-older"', first)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('data-testid="change"') == 1


def test_an_import_records_every_row_it_creates(client: FlaskClient, html: Any, trail: Trail, read_back: ReadBack) -> None:
    csv = b"name,headquarters\nAvengers,Tower\nDefenders,Hell's Kitchen\n"
    response = client.post(
        "/admin/team/import", data={"file": (io.BytesIO(csv), "teams.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    wait_for_job(client, html, location)
    assert trail() == []  # the preview is a rolled-back dry run
    assert client.post(location).status_code == 303
    wait_for_job(client, html, location)
    ids = {name: read_back("SELECT id FROM team WHERE name = :name", name=name) for name in ("Avengers", "Defenders")}
    assert trail() == [
        {"account": "editor", "table_name": "team", "row_key": str(ids[name]), "action": "create", "before": None,
         "after": {"id": ids[name], "name": name, "headquarters": hq}}
        for name, hq in (("Avengers", "Tower"), ("Defenders", "Hell's Kitchen"))
    ]


def wait_for_job(client: FlaskClient, html: Any, location: str) -> None:
    """Follow an import's page until it stops running."""
    deadline = time.monotonic() + 60
    while html(client.get(location)).all("import-progress"):
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.05)


def test_bulk_actions_record_every_row(client: FlaskClient, trail: Trail) -> None:
    done = client.post("/admin/hero/bulk", data={"action": "set", "column": "age", "value": "40", "key": ["1", "2"], "confirm": "1"})
    assert done.status_code == 303
    assert sorted((e["row_key"], e["action"], e["before"], e["after"]) for e in trail("hero")) == [
        ("1", "update", {"age": None}, {"age": 40}),
        ("2", "update", {"age": None}, {"age": 40}),
    ]
    assert client.post("/admin/userdata/bulk", data={"action": "delete", "key": ["Ed", "Jane"], "confirm": "1"}).status_code == 303
    assert sorted((e["row_key"], e["action"]) for e in trail("userdata")) == [("Ed", "delete"), ("Jane", "delete")]
