"""Two people edit the same hero in two browsers: the second save meets a conflict page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.database_rules]


@pytest.fixture
def colleague(browser: Browser, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """A second person's browser, signed in the same way, with its own cookies."""
    context = browser.new_context(**browser_context_args)
    yield context.new_page()
    context.close()


def hero_edit_url(seeded: Any, name: str) -> str:
    return f"/admin/hero/{seeded.scalar('SELECT id FROM hero WHERE name = :n', n=name)}/edit"


def test_the_second_save_shows_both_values_and_saving_again_loses_nothing(
    page: Page, colleague: Page, seeded: Any, submit: Any
) -> None:
    url = hero_edit_url(seeded, "Rusty-Man")
    page.goto(url)
    colleague.goto(url)

    colleague.get_by_label("Secret name").fill("Tony Sharp")
    assert submit(colleague) == 303
    expect(colleague.get_by_role("status")).to_have_text("Saved hero “Rusty-Man”.")

    page.get_by_label("Age").fill("49")
    assert submit(page) == 409
    expect(page.get_by_role("alert")).to_contain_text("Someone else changed this hero after you opened this page.")
    expect(page.get_by_test_id("conflict-theirs-secret_name")).to_have_text("Tony Sharp")
    expect(page.get_by_test_id("conflict-yours-secret_name")).to_contain_text("theirs is kept")
    expect(page.get_by_label("Secret name")).to_have_value("Tony Sharp")
    expect(page.get_by_label("Age")).to_have_value("49")
    assert seeded.scalar("SELECT age FROM hero WHERE name = 'Rusty-Man'") == 48  # nothing of mine yet

    assert submit(page) == 303
    expect(page.get_by_test_id("value-secret_name")).to_have_text("Tony Sharp")
    expect(page.get_by_test_id("value-age")).to_have_text("49")
    row = seeded.rows("SELECT secret_name, age FROM hero WHERE name = 'Rusty-Man'")[0]
    assert (row["secret_name"], row["age"]) == ("Tony Sharp", 49)


def test_both_changing_the_same_field_shows_their_value_and_mine(
    page: Page, colleague: Page, seeded: Any, submit: Any
) -> None:
    url = hero_edit_url(seeded, "Rusty-Man")
    page.goto(url)
    colleague.goto(url)
    colleague.get_by_label("Age").fill("50")
    assert submit(colleague) == 303

    page.get_by_label("Age").fill("51")
    assert submit(page) == 409
    expect(page.get_by_test_id("conflict-theirs-age")).to_have_text("50")
    expect(page.get_by_test_id("conflict-yours-age")).to_have_text("51")
    assert seeded.scalar("SELECT age FROM hero WHERE name = 'Rusty-Man'") == 50

    page.get_by_test_id("conflict-discard").click()  # drop mine, start from theirs
    expect(page.get_by_label("Age")).to_have_value("50")
