"""Refusals a user can cause in a form: a duplicate email, a form posted without its CSRF token."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


@pytest.mark.database_rules
def test_a_duplicate_email_is_explained_next_to_the_field_and_nothing_is_saved(page: Page, seeded, submit) -> None:
    page.goto("/admin/users/new")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Name", exact=True).fill("Another Alice")
    assert submit(page) == 409

    sentence = "A user with email “alice@example.com” already exists."
    error = page.get_by_test_id("error-email")
    expect(error).to_have_text(sentence)
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(sentence)
    expect(email).to_have_value("alice@example.com")
    expect(page.get_by_role("alert")).to_have_text(sentence)
    expect(page.get_by_test_id("flash-success")).to_have_count(0)

    assert seeded.column("SELECT name FROM users ORDER BY id") == ["Alice"]


def test_a_form_without_its_csrf_token_is_refused_with_a_sentence_and_nothing_is_written(
    page: Page, seeded, submit
) -> None:
    page.goto("/admin/users/new")
    page.get_by_label("Email").fill("mallory@example.com")
    page.get_by_label("Name", exact=True).fill("Mallory")
    removed = page.evaluate(
        """() => {
            const token = document.querySelector('[data-testid="row-form"] input[name="csrf_token"]');
            token.remove();
            return token.name;
        }"""
    )
    assert removed == "csrf_token"
    assert submit(page) == 400

    error_page = page.get_by_test_id("error-page")
    expect(error_page).to_have_attribute("data-status", "400")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bad request")
    expect(page.get_by_test_id("error-message")).to_have_text(
        "This form has expired or did not come from this site. Go back, reload the page and try again."
    )

    assert seeded.scalar("SELECT count(*) FROM users WHERE email = 'mallory@example.com'") == 0
    assert seeded.scalar("SELECT count(*) FROM users") == 1
