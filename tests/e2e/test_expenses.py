"""Users, categories and expenses: related rows chosen in selects, and a related row that vanished."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from pytest_playwright.pytest_playwright import CreateContextCallback

pytestmark = [pytest.mark.e2e, pytest.mark.database_rules]  # foreign keys


def test_add_a_user_a_category_and_an_expense_and_read_them_back(page: Page, seeded, submit) -> None:
    page.goto("/admin/")
    page.get_by_test_id("action-create-users").click()
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_label("Name", exact=True).fill("Bob")
    assert submit(page) == 303
    expect(page.get_by_role("status")).to_have_text("Created user “Bob <bob@example.com>”.")

    page.goto("/admin/")
    page.get_by_test_id("action-create-categories").click()
    page.get_by_label("Name", exact=True).fill("Travel")
    assert submit(page) == 303
    expect(page.get_by_role("status")).to_have_text("Created category “Travel”.")

    page.goto("/admin/")
    page.get_by_test_id("action-create-expenses").click()
    page.get_by_label("User", exact=True).select_option(label="Bob <bob@example.com>")
    page.get_by_label("Category", exact=True).select_option(label="Travel")
    page.get_by_label("Description").fill("Train to the coast")
    page.get_by_label("Amount").fill("12.30")
    page.get_by_label("Date").fill("2024-02-03")
    assert submit(page) == 303

    expect(page.get_by_role("status")).to_have_text("Created expense “Train to the coast”.")
    expect(page.get_by_test_id("value-user_id")).to_have_text("Bob <bob@example.com>")
    expect(page.get_by_test_id("value-category_id")).to_have_text("Travel")
    expect(page.get_by_test_id("value-description")).to_have_text("Train to the coast")
    expect(page.get_by_test_id("value-amount")).to_have_text("12.30")
    expect(page.get_by_test_id("value-date")).to_have_text("2024-02-03")
    # The related rows are links to their own pages.
    page.get_by_test_id("value-user_id").get_by_role("link").click()
    expect(page.get_by_test_id("value-email")).to_have_text("bob@example.com")

    page.get_by_test_id("nav-expenses").click()
    expect(page.get_by_test_id("list-count")).to_have_text("2 expenses")
    rows = page.get_by_test_id("row")  # newest date first
    expect(rows.get_by_test_id("cell-description")).to_have_text(["Train to the coast", "Groceries"])
    expect(rows.get_by_test_id("cell-user_id")).to_have_text(["Bob <bob@example.com>", "Alice <alice@example.com>"])
    expect(rows.get_by_test_id("cell-category_id")).to_have_text(["Travel", "Food"])
    expect(rows.get_by_test_id("cell-amount")).to_have_text(["12.30", "52.50"])

    stored = seeded.rows(
        "SELECT u.email, u.name AS user_name, c.name AS category, e.description, e.amount, e.date"
        " FROM expenses e JOIN users u ON u.id = e.user_id JOIN categories c ON c.id = e.category_id"
        " WHERE e.description = :description",
        description="Train to the coast",
    )
    assert len(stored) == 1
    row = stored[0]
    assert (row["email"], row["user_name"], row["category"]) == ("bob@example.com", "Bob", "Travel")
    assert Decimal(str(row["amount"])) == Decimal("12.30")
    assert str(row["date"]) == "2024-02-03"


def test_an_expense_for_a_user_deleted_meanwhile_is_refused_and_nothing_is_saved(
    page: Page, new_context: CreateContextCallback, seeded, submit
) -> None:
    seeded.execute("INSERT INTO users (email, name) VALUES ('carol@example.com', 'Carol')")
    carol = seeded.scalar("SELECT id FROM users WHERE email = 'carol@example.com'")

    # One person opens the form and picks Carol...
    page.goto("/admin/expenses/new")
    page.get_by_label("User", exact=True).select_option(label="Carol <carol@example.com>")
    page.get_by_label("Category", exact=True).select_option(label="Food")
    page.get_by_label("Description").fill("Taxi")
    page.get_by_label("Amount").fill("20.00")
    page.get_by_label("Date").fill("2024-03-01")

    # ...while someone else, in their own browser, deletes Carol.
    other = new_context().new_page()
    other.goto(f"/admin/users/{carol}/delete")
    expect(other.get_by_test_id("no-dependents")).to_be_visible()
    assert submit(other, "Delete") == 303
    expect(other.get_by_role("status")).to_have_text("Deleted user “Carol <carol@example.com>”.")

    assert submit(page) == 409
    sentence = f"User {carol} does not exist."
    error = page.get_by_test_id("error-user_id")
    expect(error).to_have_text(sentence)
    user_field = page.get_by_test_id("field-user_id").get_by_role("combobox")
    expect(user_field).to_have_attribute("aria-invalid", "true")
    expect(user_field).to_have_attribute("aria-describedby", error.get_attribute("id") or "missing id")
    expect(user_field).to_have_accessible_description(sentence)
    expect(page.get_by_role("alert")).to_have_text(sentence)
    # What the user typed is still there to correct.
    expect(page.get_by_label("Description")).to_have_value("Taxi")
    expect(page.get_by_label("Amount")).to_have_value("20.00")

    assert seeded.scalar("SELECT count(*) FROM expenses") == 1
    assert seeded.scalar("SELECT count(*) FROM expenses WHERE description = 'Taxi'") == 0
    assert seeded.scalar("SELECT count(*) FROM users WHERE id = :id", id=carol) == 0
