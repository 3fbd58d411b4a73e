"""CSV import: a preview that checks every line, then one all-or-nothing insert."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (a fixture)
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, insert, make_url, update

from tests.integration.raw_schema import rx_app  # noqa: F401 (a fixture)
from webapp.admin import importer, jobs
from webapp.extensions import db
from webapp.models import ImportJob
from webapp.models.accounts import utcnow

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
    token = "t" * 22
    job = {"token": token, "slug": "rx_employee", "stage": "checking", "filename": "big.csv", "share": 0.42,
           "report": json.dumps({"rows": 4200}), "updated": utcnow()}
    with rx_app.app_context():
        db.session.execute(insert(ImportJob).values(job))
        db.session.commit()
    response = client.get(f"/admin/rx_employee/import/{token}")
    running = html(response)
    assert running.status == 200 and "4200 lines read (42 %)" in running.text("import-progress")
    assert '<meta http-equiv="refresh"' in response.get_data(as_text=True)
    with rx_app.app_context():
        db.session.execute(update(ImportJob).values(updated=utcnow() - dt.timedelta(hours=1)))
        db.session.commit()
    assert html(client.get(f"/admin/rx_employee/import/{token}")).one("import-stopped")
    assert client.get(f"/admin/rx_region/import/{token}").status_code == 404  # another table's job
    with rx_app.app_context():
        db.session.execute(delete(ImportJob))
        db.session.commit()


def test_another_host_follows_and_confirms_an_upload(
    app: Flask,
    app_with: Callable[..., Flask],
    signing_in: Callable[[Flask], Flask],
    html: Any,
    read_back: Read,
    tmp_path: Path,
) -> None:
    """Hosts share only the database: the job is there, never in the instance folder."""
    hosts = signing_in(app), signing_in(app_with(reset=False))
    for index, host in enumerate(hosts):
        host.instance_path = str(tmp_path / f"host{index}")  # no folder in common
    first, second = (host.test_client() for host in hosts)
    count = read_back("SELECT COUNT(*) FROM hero")
    lines = 3 * importer.BATCH + 1  # long enough to report progress between batches
    text = "name,secret_name,age\n" + "".join(f"Hero {n},Secret {n},{n % 90}\n" for n in range(lines))
    response = upload(first, "hero", text)
    assert response.status_code == 303
    location = response.headers["Location"]
    preview = finished(second, location, html)
    assert preview.status == 200 and f"All {lines} lines" in preview.text("import-ready")
    confirmed = second.post(location)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == location
    assert f"Imported {lines} heroes" in finished(first, location, html).text("import-done")
    assert read_back("SELECT COUNT(*) FROM hero") == count + lines
    assert read_back("SELECT COUNT(*) FROM audit_log WHERE table_name = 'hero' AND account = 'editor'") == lines
    assert read_back("SELECT COUNT(*) FROM import_jobs WHERE data IS NOT NULL") == 0  # the file went with the import
    assert not list(tmp_path.rglob("*"))  # nothing was written outside the database


def test_a_job_that_holds_the_sqlite_write_lock_is_still_running(
    rx_app: Flask, html: Any, backend: str, database_url: str
) -> None:
    """On SQLite a job reports only at its end; meanwhile its write lock says it is alive."""
    if backend != "sqlite":
        pytest.skip("only on SQLite does a running job stop reporting")
    token = "s" * 22
    job = {"token": token, "slug": "rx_employee", "stage": "importing", "filename": "big.csv", "share": 0.0,
           "report": "{}", "updated": utcnow() - dt.timedelta(hours=1)}
    with rx_app.app_context():
        db.session.execute(insert(ImportJob).values(job))
        db.session.commit()
    client = rx_app.test_client()
    writer = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # as a running import holds it
        assert html(client.get(f"/admin/rx_employee/import/{token}")).one("import-progress")
        writer.execute("ROLLBACK")  # as when its process dies
        assert html(client.get(f"/admin/rx_employee/import/{token}")).one("import-stopped")
    finally:
        writer.close()


def test_a_file_larger_than_mariadb_takes_is_refused_before_it_is_sent(
    client: FlaskClient, html: Any, backend: str, read_back: Read
) -> None:
    if backend != "mariadb":
        pytest.skip("only MariaDB limits a statement to max_allowed_packet")
    packet = read_back("SELECT @@max_allowed_packet")
    # Encoded by hand: the test client spools a body this large to a file it never closes.
    body = b"".join([
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n',
        HEADER.encode(), b"#" * packet, b"\r\n--b--\r\n",
    ])
    refused = html(client.post("/admin/hero/import", data=body, content_type="multipart/form-data; boundary=b"))
    assert refused.status == 413 and "larger than the database accepts" in refused.text("flash-error")
    assert read_back("SELECT COUNT(*) FROM import_jobs") == 0


def test_wrong_requests_get_their_status(rx_app: Flask, html: Any) -> None:
    client = rx_app.test_client()
    assert client.get("/admin/rx_employee/import").status_code == 200
    assert client.post("/admin/rx_employee/import", data={}).status_code == 422
    assert client.get("/admin/rx_employee/import/nope").status_code == 404
    assert client.get("/admin/rx_employee/import/" + "a" * 22).status_code == 404
    assert client.get("/admin/rx_log/import").status_code == 403  # no primary key: read-only
    assert client.get("/admin/nope/import").status_code == 404


def test_the_stored_file_is_read_back_a_chunk_at_a_time(app: Flask) -> None:
    lines = [f"{n},{'é' * (n % 7)},row {n}\r\n" for n in range(120_000)]  # about 2.6 MiB, past two chunks
    data = "".join(lines).encode("utf-8")
    assert len(data) > 2 * jobs.CHUNK
    with app.app_context():
        jobs.create("c" * 22, "hero", "big.csv", data)
        db.session.commit()
        stored = jobs.stored_file("c" * 22)
        assert stored.seek(0, io.SEEK_END) == len(data)
        stored.seek(0)
        assert stored.read(10) == data[:10] and stored.tell() == 10
        stored.seek(jobs.CHUNK - 3)
        assert stored.read(6) == data[jobs.CHUNK - 3 : jobs.CHUNK + 3]  # across a chunk boundary
        stored.seek(0)
        text = io.TextIOWrapper(stored, encoding="utf-8", newline="")
        assert text.read() == "".join(lines)
        db.session.execute(delete(ImportJob).where(ImportJob.token == "c" * 22))
        db.session.commit()
