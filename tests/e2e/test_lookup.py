"""A foreign key to a large table: typed as a key, with suggestions from the lookup endpoint."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

MANY = 250  # more than forms.CHOICES_LIMIT, so users are no longer listed in a select


def test_typing_in_a_large_foreign_key_suggests_rows_and_saves_the_key(page: Page, seeded, submit) -> None:
    people = ", ".join(f"('e2e{i:03d}@example.com', 'Person {i:03d}')" for i in range(MANY))
    seeded.execute(f"INSERT INTO users (email, name) VALUES {people}")
    wanted = seeded.scalar("SELECT id FROM users WHERE name = 'Person 123'")

    page.goto("/admin/expenses/1/edit")
    expect(page.get_by_test_id("related-label-user_id")).to_have_text("Alice <alice@example.com>")
    field = page.locator("input[name=user_id]")
    field.fill("")
    field.press_sequentially("Person 12", delay=20)
    suggestions = page.locator("#user_id-options option")
    expect(suggestions).to_have_count(10)  # Person 120 to Person 129
    expect(suggestions.first).to_have_attribute("value", str(seeded.scalar("SELECT id FROM users WHERE name = 'Person 120'")))

    field.fill(str(wanted))
    assert submit(page) == 303
    expect(page.get_by_test_id("value-user_id")).to_have_text("Person 123 <e2e123@example.com>")
    assert seeded.scalar("SELECT user_id FROM expenses WHERE id = 1") == wanted


def test_a_list_filtered_by_a_typed_key_names_the_related_row(page: Page, seeded) -> None:
    page.goto("/admin/expenses/")
    page.locator("summary", has_text="Filters").click()
    page.get_by_test_id("filter-category_id").fill(str(seeded.scalar("SELECT id FROM categories WHERE name = 'Food'")))
    page.get_by_test_id("filter-submit").click()
    expect(page.get_by_test_id("active-filter")).to_have_text("Category is Food Remove this filter")
    expect(page.get_by_test_id("row")).to_have_count(1)
    page.get_by_test_id("remove-filter-category_id").click()
    expect(page.get_by_test_id("active-filter")).to_have_count(0)
