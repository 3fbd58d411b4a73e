"""A value the database sets itself: userdata.time_stamp changes on every save."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.database_rules]  # a time stamp the database sets


def as_datetime(value: object) -> dt.datetime:
    """A stored time stamp as a datetime, whether the driver returns one or a string."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def test_editing_brads_user_data_moves_its_time_stamp_forward(page: Page, seeded, submit) -> None:
    before = as_datetime(seeded.scalar("SELECT time_stamp FROM userdata WHERE user_id = 'Brad'"))
    larry_before = seeded.scalar("SELECT time_stamp FROM userdata WHERE user_id = 'Larry'")

    page.goto("/admin/userdata/Brad/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit user data “Brad”")
    shown_before = page.get_by_test_id("value-time_stamp").inner_text()
    assert shown_before == before.isoformat(sep=" ", timespec="seconds")
    page.get_by_label("User data").fill("Brad moved to Lisbon")

    # The database stamps the row with its clock at second resolution (SQLite's
    # CURRENT_TIMESTAMP, MariaDB's DATETIME): the row was stamped when it was seeded a
    # moment ago, so save only once the clock is in a later second than that.
    time.sleep(1.05 - time.time() % 1)
    assert submit(page) == 303

    expect(page.get_by_role("status")).to_have_text("Saved user data “Brad”.")
    expect(page.get_by_test_id("value-user_data")).to_have_text("Brad moved to Lisbon")
    shown_after = page.get_by_test_id("value-time_stamp").inner_text()
    assert shown_after > shown_before  # "YYYY-MM-DD HH:MM:SS" sorts as time does

    after = as_datetime(seeded.scalar("SELECT time_stamp FROM userdata WHERE user_id = 'Brad'"))
    assert after > before
    assert shown_after == after.isoformat(sep=" ", timespec="seconds")
    assert seeded.scalar("SELECT user_data FROM userdata WHERE user_id = 'Brad'") == "Brad moved to Lisbon"
    # Only Brad's row was touched.
    assert seeded.scalar("SELECT time_stamp FROM userdata WHERE user_id = 'Larry'") == larry_before
    assert seeded.scalar("SELECT user_data FROM userdata WHERE user_id = 'Larry'") == "Notes about Larry"
