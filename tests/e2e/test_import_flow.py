"""Data in and out in a browser: export what was filtered, import a spreadsheet line-checked first."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HEADER = "name,secret_name,age,team_id\n"
BAD = HEADER + "Squirrel Girl,Doreen Green,20,\nNo Secret,,30,\nOld One,Ancient,old,\nLost,Nobody,40,999\n"
GOOD = HEADER + "Squirrel Girl,Doreen Green,20,\nNo Secret,Has One,30,\nOld One,Ancient,99,\nFound,Somebody,40,1\n"


def test_export_the_filtered_list(page: Page) -> None:
    page.goto("/admin/hero/?q=man")
    expect(page.get_by_test_id("list-count")).to_contain_text("1 hero")
    with page.expect_download() as download:
        page.get_by_test_id("action-export").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"), newline="")))
    assert rows[0] == ["id", "name", "secret_name", "age", "team_id"]
    assert [row[1] for row in rows[1:]] == ["Rusty-Man"]


def test_upload_see_errors_by_line_then_import_the_corrected_file(page: Page, seeded) -> None:
    page.goto("/admin/hero/")
    page.get_by_test_id("action-import").click()
    page.get_by_test_id("import-file").set_input_files({"name": "heroes.csv", "mimeType": "text/csv", "buffer": BAD.encode()})
    page.get_by_test_id("import-upload").click()

    expect(page.get_by_test_id("import-summary")).to_contain_text("3 errors", timeout=20_000)
    errors = page.get_by_test_id("import-error")
    expect(errors).to_have_count(3)
    assert [(e.get_attribute("data-line"), e.get_attribute("data-column")) for e in errors.all()] == [
        ("3", "secret_name"),
        ("4", "age"),
        ("5", "team_id"),
    ]
    expect(errors.nth(2)).to_contain_text("999 does not exist")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    assert seeded.scalar("SELECT COUNT(*) FROM hero") == 3  # the check wrote nothing

    page.get_by_test_id("import-again").click()
    page.get_by_test_id("import-file").set_input_files({"name": "heroes.csv", "mimeType": "text/csv", "buffer": GOOD.encode()})
    page.get_by_test_id("import-upload").click()
    expect(page.get_by_test_id("import-ready")).to_contain_text("All 4 lines", timeout=20_000)
    assert seeded.scalar("SELECT COUNT(*) FROM hero") == 3

    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("import-done")).to_have_text("Imported 4 heroes from “heroes.csv”.", timeout=20_000)
    page.get_by_test_id("import-list").click()
    expect(page.get_by_test_id("list-count")).to_contain_text("7 heroes")
    names = seeded.column("SELECT name FROM hero ORDER BY name")
    assert names == sorted(["Deadpond", "Spider-Boy", "Rusty-Man", "Squirrel Girl", "No Secret", "Old One", "Found"])
    assert seeded.scalar("SELECT team_id FROM hero WHERE name = 'Found'") == 1


def test_tick_rows_preview_and_set_a_column_in_bulk(page: Page, seeded) -> None:
    page.goto("/admin/hero/?sort=id")
    page.get_by_test_id("select-row").nth(0).check()
    page.get_by_test_id("select-row").nth(1).check()
    page.get_by_test_id("bulk-action").select_option("set")
    page.get_by_test_id("bulk-column").select_option("age")
    page.get_by_test_id("bulk-value").fill("33")
    page.get_by_test_id("bulk-submit").click()
    expect(page.get_by_test_id("bulk-row")).to_have_count(2)
    assert seeded.scalar("SELECT COUNT(*) FROM hero WHERE age = 33") == 0  # the preview changed nothing
    page.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_test_id("bulk-outcome")).to_have_text(["— → 33", "— → 33"])
    expect(page.get_by_test_id("flash-success")).to_have_text("Set age on 2 heroes.")
    assert seeded.scalar("SELECT COUNT(*) FROM hero WHERE age = 33") == 2
