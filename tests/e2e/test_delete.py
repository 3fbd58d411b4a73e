"""Deleting through the confirmation page: what depends on a row, and a delete it blocks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_delete_a_hero_from_the_list_through_the_confirmation(page: Page, base_url: str, seeded, submit) -> None:
    spider_boy = seeded.scalar("SELECT id FROM hero WHERE name = 'Spider-Boy'")
    page.goto("/admin/hero/")
    row = page.locator(f'[data-testid="row"][data-key="{spider_boy}"]')
    expect(row.get_by_test_id("cell-name")).to_have_text("Spider-Boy")
    row.get_by_test_id("action-delete").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Delete hero “Spider-Boy”?")
    expect(page.get_by_test_id("no-dependents")).to_have_text("Nothing else refers to this hero.")
    assert submit(page, "Delete") == 303

    expect(page).to_have_url(f"{base_url}/admin/hero/")
    expect(page.get_by_role("status")).to_have_text("Deleted hero “Spider-Boy”.")
    expect(page.get_by_test_id("list-count")).to_have_text("2 heroes")
    expect(page.get_by_test_id("row").get_by_test_id("cell-name")).to_have_text(["Deadpond", "Rusty-Man"])

    assert seeded.column("SELECT name FROM hero ORDER BY name") == ["Deadpond", "Rusty-Man"]


@pytest.mark.database_rules
def test_deleting_a_team_lists_its_heroes_and_leaves_them_without_a_team(page: Page, seeded, submit) -> None:
    z_force = seeded.scalar("SELECT id FROM team WHERE name = 'Z-Force'")
    page.goto(f"/admin/team/{z_force}/")
    page.get_by_test_id("action-delete").click()

    dependent = page.get_by_test_id("dependent-hero")
    expect(dependent).to_have_attribute("data-action", "set null")
    expect(dependent).to_contain_text("1 hero (by Team): will keep existing with Team left empty")
    assert submit(page, "Delete") == 303

    expect(page.get_by_role("status")).to_have_text("Deleted team “Z-Force”.")
    expect(page.get_by_test_id("row").get_by_test_id("cell-name")).to_have_text(["Preventers"])

    assert seeded.column("SELECT name FROM team") == ["Preventers"]
    assert seeded.scalar("SELECT team_id FROM hero WHERE name = 'Deadpond'") is None
    assert seeded.scalar("SELECT count(*) FROM hero") == 3


@pytest.mark.database_rules
def test_a_category_that_an_expense_uses_cannot_be_deleted(page: Page, seeded, submit) -> None:
    page.goto("/admin/categories/")
    row = page.get_by_test_id("row").filter(has=page.get_by_test_id("cell-name").get_by_text("Food", exact=True))
    row.get_by_test_id("action-delete").click()

    blocker = page.get_by_test_id("dependent-expenses")
    expect(blocker).to_have_attribute("data-action", "block")
    expect(blocker).to_contain_text("1 expense (by Category): block the delete")
    assert submit(page, "Delete") == 409

    sentence = "Cannot delete category “Food”: 1 expense refers to it."
    expect(page.get_by_role("alert")).to_have_text(sentence)
    expect(page.get_by_test_id("flash-success")).to_have_count(0)
    page.get_by_test_id("nav-categories").click()
    expect(page.get_by_test_id("row").get_by_test_id("cell-name")).to_have_text(["Food"])

    assert seeded.column("SELECT name FROM categories") == ["Food"]
    assert seeded.scalar("SELECT count(*) FROM expenses") == 1
