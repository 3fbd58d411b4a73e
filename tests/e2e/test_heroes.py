"""The first lesson in a browser: create three heroes through the form and see them listed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

HEROES = [
    # name, secret name, age
    ("Deadpond", "Dive Wilson", None),
    ("Spider-Boy", "Pedro Parqueador", None),
    ("Rusty-Man", "Tommy Sharp", 48),
]


def test_create_the_three_heroes_and_see_them_listed(page: Page, seeded, submit) -> None:
    # The demo data already holds these heroes; start from an empty hero table so every
    # row on the list below was made by this form.
    seeded.execute("DELETE FROM hero")
    page.goto("/admin/hero/")
    expect(page.get_by_test_id("list-empty")).to_have_text("No heroes yet.")

    for name, secret_name, age in HEROES:
        page.get_by_test_id("action-create").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add hero")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Secret name").fill(secret_name)
        if age is not None:
            page.get_by_label("Age").fill(str(age))
        assert submit(page) == 303
        expect(page.get_by_test_id("flash-success")).to_have_text(f"Created hero “{name}”.")
        expect(page.get_by_role("status")).to_have_text(f"Created hero “{name}”.")
        expect(page.get_by_test_id("value-name")).to_have_text(name)
        expect(page.get_by_test_id("value-secret_name")).to_have_text(secret_name)
        expect(page.get_by_test_id("value-age")).to_have_text("—" if age is None else str(age))
        page.get_by_test_id("nav-hero").click()

    expect(page.get_by_test_id("list-count")).to_have_text("3 heroes")
    rows = page.get_by_test_id("row")
    expect(rows.get_by_test_id("cell-name")).to_have_text(["Deadpond", "Rusty-Man", "Spider-Boy"])
    expect(rows.get_by_test_id("cell-secret_name")).to_have_text(["Dive Wilson", "Tommy Sharp", "Pedro Parqueador"])
    expect(rows.get_by_test_id("cell-age")).to_have_text(["", "48", ""])

    stored = seeded.rows("SELECT id, name, secret_name, age, team_id FROM hero ORDER BY id")
    assert [(r["name"], r["secret_name"], r["age"], r["team_id"]) for r in stored] == [
        (name, secret_name, age, None) for name, secret_name, age in HEROES
    ]
    # Each row's link on the list is the row the database holds under that key.
    expect(rows.first).to_have_attribute("data-key", str(stored[0]["id"]))
