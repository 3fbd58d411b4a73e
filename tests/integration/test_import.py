"""CSV import: a preview that checks every line, then one all-or-nothing insert."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (a fixture)
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.raw_schema import rx_app  # noqa: F401 (a fixture)

Read = Callable[..., Any]
HEADER = "name,email,region_code,manager_id,salary\n"
BAD = HEADER + (
    "Zed,zed@example.com,EU,1,10\n"  # line 2: fine
    "Yan,,EU,2,ten\n"  # line 3: the form refuses the salary
    "Xi,,XX,,1\n"  # line 4: no such region (only the database knows)
    "Wu,ada@example.com,ASIA,,1\n"  # line 5: the email is taken (only the database knows)
    "Vi,,EU,,-3\n"  # line 6: the database's check rule
)
GOOD = HEADER + "Zed,zed@example.com,EU,1,10\nYan,,EU,2,10.50\nXi,,N/W,,1\nWu,wu@example.com,ASIA,,1\nVi,,EU,,3\n"


def upload(client: FlaskClient, slug: str, text: str | bytes, filename: str = "rows.csv") -> Any:
    """Upload a file to ``slug``'s import and return the answer."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"/admin/{slug}/import", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def finished(client: FlaskClient, location: str, html: Any) -> Any:
    """Follow the job page until it stops refreshing, and return it parsed."""
    deadline = time.monotonic() + 60
    while True:
        page = html(client.get(location))
        if not page.all("import-progress"):
            return page
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.05)


def check(client: FlaskClient, slug: str, text: str | bytes, html: Any) -> tuple[str, Any]:
    """Upload ``text`` and wait for its preview."""
    response = upload(client, slug, text)
    assert response.status_code == 303
    return response.headers["Location"], finished(client, response.headers["Location"], html)


def errors_of(page: Any) -> list[tuple[int, str]]:
    """(line, column) of every error the preview lists."""
    return [(int(e.attrs["data-line"]), e.attrs["data-column"]) for e in page.all("import-error")]


def test_a_file_with_bad_lines_lists_them_and_imports_nothing(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    location, preview = check(client, "rx_employee", BAD, html)
    assert preview.status == 422
    assert errors_of(preview) == [(3, "salary"), (4, "region_code"), (5, "email"), (6, "")]
    texts = preview.texts("import-error")
    assert "XX does not exist" in texts[1] and "ada@example.com" in texts[2]
    assert not preview.all("import-confirm")
    assert client.post(location).status_code == 409  # confirming a failed preview is refused
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3


def test_the_corrected_file_imports_every_line(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    location, preview = check(client, "rx_employee", GOOD, html)
    assert preview.status == 200 and preview.one("import-confirm")
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3  # the preview wrote nothing
    confirmed = client.post(location)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == location
    result = finished(client, location, html)
    assert result.status == 200 and "Imported 5 rx employees" in result.text("import-done")
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 8
    assert read_back("SELECT manager_id FROM rx_employee WHERE name = 'Yan'") == 2
    assert Decimal(str(read_back("SELECT salary FROM rx_employee WHERE name = 'Yan'"))) == Decimal("10.50")


def test_a_duplicate_only_the_database_finds_is_reported_in_the_preview(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    text = HEADER + "Zed,same@example.com,EU,,1\nZoe,same@example.com,EU,,2\n"  # each line alone is valid
    _, preview = check(client, "rx_employee", text, html)
    assert preview.status == 409
    assert errors_of(preview) == [(3, "email")]
    assert "same@example.com" in preview.text("import-error")
    composite = "employee_id,project_id,role\n3,1,dev\n1,1,again\n"  # (1, 1) exists: a composite key
    _, preview = check(client, "rx_assignment", composite, html)
    assert errors_of(preview) == [(3, "employee_id")]
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3
    assert read_back("SELECT COUNT(*) FROM rx_assignment") == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nom,email,region_code\nA,,EU\n", "Unknown column “nom”"),
        ("email,region_code\n,EU\n", "Missing column “name”"),
        ("name,name,region_code\nA,B,EU\n", "appears twice"),
        ("name,region_code,photo\nA,EU,00\n", "cannot be imported"),
        ("", "The file is empty"),
        ("name,region_code\n", "no rows"),
        ("name,region_code\nJos\xe9,EU\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_files_that_do_not_fit_the_table_are_refused_with_a_reason(
    rx_app: Flask, html: Any, read_back: Read, text: str | bytes, message: str
) -> None:
    _, preview = check(rx_app.test_client(), "rx_employee", text, html)
    assert preview.status == 422
    assert message in preview.text("import-file-errors")
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3


def test_headers_match_by_key_column_name_or_label_and_blank_lines_are_skipped(rx_app: Flask, html: Any) -> None:
    client = rx_app.test_client()
    location, preview = check(client, "rx_employee", "Name , Region code,SALARY\r\nA,EU,1\r\n\r\nB,ASIA,2\r\n", html)
    assert preview.status == 200, preview.texts("import-error")
    assert "All 2 lines" in preview.text("import-ready")


def test_an_export_imports_back_unchanged(client: FlaskClient, html: Any, read_back: Read) -> None:
    client.post("/admin/hero/new", data={"name": "=Hero+2", "secret_name": "Formula", "age": "7"})
    exported = client.get("/admin/hero/export.csv?q=e&sort=id").get_data()
    assert b"'=Hero+2" in exported
    count = read_back("SELECT COUNT(*) FROM hero")
    ids = [line.split(b",")[0] for line in exported.splitlines()[1:]]
    with_ids = read_back("SELECT COUNT(*) FROM hero WHERE name = '=Hero+2'")
    assert with_ids == 1
    for key in ids:
        assert client.post(f"/admin/hero/{key.decode()}/delete", data={"delete": "1"}).status_code == 303
    location, preview = check(client, "hero", exported, html)
    assert preview.status == 200, preview.texts("import-error")
    client.post(location)
    assert finished(client, location, html).one("import-done")
    assert read_back("SELECT COUNT(*) FROM hero") == count
    assert read_back("SELECT secret_name FROM hero WHERE name = '=Hero+2'") == "Formula"


def test_booleans_enums_and_times_are_read_like_the_form(client: FlaskClient, html: Any, read_back: Read) -> None:
    text = "employee_id,weekday,starts_at,ends_at,remote,hourly_rate\n1,tuesday,09:00,17:00,Yes,12.5\n2,friday,08:00,12:00,maybe,\n"
    _, preview = check(client, "shifts", text, html)
    assert errors_of(preview) == [(3, "remote")]
    fixed = text.replace("maybe", "0")
    location, preview = check(client, "shifts", fixed, html)
    assert preview.status == 200, preview.texts("import-error")
    client.post(location)
    finished(client, location, html)
    assert read_back("SELECT COUNT(*) FROM shifts WHERE weekday = 'tuesday' AND remote = :yes", yes=True) == 1


def test_progress_is_shown_while_a_job_runs_and_a_dead_job_says_so(rx_app: Flask, html: Any) -> None:
    client = rx_app.test_client()
    folder = Path(rx_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    token = "t" * 22
    job = {"slug": "rx_employee", "stage": "checking", "filename": "big.csv", "share": 0.42, "rows": 4200,
           "updated": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(job))
    response = client.get(f"/admin/rx_employee/import/{token}")
    running = html(response)
    assert running.status == 200 and "4200 lines read (42 %)" in running.text("import-progress")
    assert '<meta http-equiv="refresh"' in response.get_data(as_text=True)
    (folder / f"{token}.json").write_text(json.dumps({**job, "updated": time.time() - 3600}))
    assert html(client.get(f"/admin/rx_employee/import/{token}")).one("import-stopped")
    assert client.get(f"/admin/rx_region/import/{token}").status_code == 404  # another table's job
    (folder / f"{token}.json").unlink()


def test_wrong_requests_get_their_status(rx_app: Flask, html: Any) -> None:
    client = rx_app.test_client()
    assert client.get("/admin/rx_employee/import").status_code == 200
    assert client.post("/admin/rx_employee/import", data={}).status_code == 422
    assert client.get("/admin/rx_employee/import/nope").status_code == 404
    assert client.get("/admin/rx_employee/import/" + "a" * 22).status_code == 404
    assert client.get("/admin/rx_log/import").status_code == 403  # no primary key: read-only
    assert client.get("/admin/nope/import").status_code == 404
