"""Searching, sorting and paging a list, on a server that shows two rows a page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PER_PAGE = 2


@pytest.fixture(scope="module")
def paging_server(start_server: Callable[..., Any]) -> Iterator[Any]:
    """The app with WEBAPP_PER_PAGE=2, so the six user data rows span three pages."""
    server = start_server(per_page=PER_PAGE)
    yield server
    server.stop()


@pytest.fixture
def server(paging_server: Any) -> Any:
    """Every page of this module comes from the paging server."""
    return paging_server


def user_ids(page: Page) -> list[str]:
    """The keys of the rows the list shows, top to bottom."""
    return page.get_by_test_id("row").get_by_test_id("cell-user_id").all_inner_texts()


def test_sort_by_a_column_and_page_through_the_list(page: Page, seeded) -> None:
    everyone = seeded.column("SELECT user_id FROM userdata ORDER BY user_id")
    assert len(everyone) == 6

    page.goto("/admin/userdata/")
    expect(page.get_by_test_id("list-count")).to_have_text("6 user data")
    expect(page.get_by_test_id("row")).to_have_count(PER_PAGE)
    expect(page.get_by_test_id("page-prev")).to_have_count(0)

    page.get_by_test_id("sort-user_id").click()
    header = page.get_by_role("columnheader").filter(has=page.get_by_test_id("sort-user_id"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(everyone[0:2])

    page.get_by_test_id("page-next").click()
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(everyone[2:4])
    expect(header).to_have_attribute("aria-sort", "ascending")  # the sort travels with the pages
    page.get_by_test_id("page-next").click()
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(everyone[4:6])
    expect(page.get_by_test_id("page-next")).to_have_count(0)
    page.get_by_test_id("page-prev").click()
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(everyone[2:4])

    page.get_by_test_id("sort-user_id").click()  # again: descending, from the first page
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(everyone[::-1][0:2])
    expect(page.get_by_test_id("page-prev")).to_have_count(0)


def test_the_plain_list_links_back_to_its_first_page(page: Page, seeded) -> None:
    # Page 1 of a list with no sort, search or filter has an empty query string: its First
    # and Previous links were taken for absent, so page 2 offered no way back but the menu.
    first = seeded.column("SELECT user_id FROM userdata ORDER BY user_id")[0:2]
    page.goto("/admin/userdata/")
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(first)
    page.get_by_test_id("page-next").click()
    expect(page.get_by_test_id("page-info")).to_have_text("Page 2 of 3")
    page.get_by_test_id("page-prev").click()
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(first)
    expect(page).to_have_url(re.compile(r"/admin/userdata/$"))
    page.get_by_test_id("page-last").click()
    expect(page.get_by_test_id("page-info")).to_have_text("Page 3 of 3")
    page.get_by_test_id("page-first").click()
    expect(page.get_by_test_id("page-info")).to_have_text("Page 1 of 3")
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(first)


def test_search_narrows_the_list_and_clear_restores_it(page: Page, seeded) -> None:
    page.goto("/admin/userdata/?sort=user_id")
    page.get_by_test_id("search-input").fill("about J")
    page.get_by_test_id("search-submit").click()

    expect(page.get_by_test_id("list-count")).to_have_text("2 user data matching “about J”")
    expect(page.get_by_test_id("row").get_by_test_id("cell-user_id")).to_have_text(["Jane", "Jessa"])
    expect(page.get_by_test_id("pager")).to_have_count(0)
    expect(page.get_by_test_id("search-input")).to_have_value("about J")
    assert seeded.column(
        "SELECT user_id FROM userdata WHERE user_data LIKE :pattern ORDER BY user_id", pattern="%about J%"
    ) == ["Jane", "Jessa"]

    page.get_by_test_id("search-input").fill("nobody by that name")
    page.get_by_test_id("search-submit").click()
    expect(page.get_by_test_id("list-empty")).to_have_text("No user data match your search.")

    page.get_by_test_id("search-clear").click()
    expect(page.get_by_test_id("list-count")).to_have_text("6 user data")
    expect(page.get_by_test_id("search-input")).to_have_value("")
    assert user_ids(page) == ["Barbra", "Brad"]
