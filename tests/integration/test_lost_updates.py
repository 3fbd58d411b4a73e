"""Two people editing one row: the second save sees a conflict instead of silently winning."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

VERSION = re.compile(r'name="_version" value="([^"]*)"')
HERO = "/admin/hero/{id}/"


def opened(client: FlaskClient, url: str) -> str:
    """Open a form page and return the version it carries."""
    page = client.get(url).get_data(as_text=True)
    match = VERSION.search(page)
    assert match, f"{url} carries no version"
    return html.unescape(match.group(1))


def hero_id(read_back: Callable[..., Any], name: str) -> int:
    return int(read_back("SELECT id FROM hero WHERE name = :name", name=name))


def save_hero(client: FlaskClient, hid: int, version: str, **changes: Any) -> Any:
    fields = {"name": "Rusty-Man", "secret_name": "Tommy Sharp", "age": "48", "team_id": "", **changes}
    return client.post(HERO.format(id=hid) + "edit", data={**fields, "_version": version})


def test_second_save_of_a_stale_form_is_a_conflict_showing_both_values(
    client_as: Callable[[str], FlaskClient], client: FlaskClient, read_back: Callable[..., Any]
) -> None:
    hid = hero_id(read_back, "Rusty-Man")
    team = read_back("SELECT team_id FROM hero WHERE id = :id", id=hid)
    mine = opened(client, HERO.format(id=hid) + "edit")
    colleague = client_as("editor")  # a second person, signed in on their own
    theirs = opened(colleague, HERO.format(id=hid) + "edit")

    assert save_hero(colleague, hid, theirs, age="49", team_id=str(team)).status_code == 303
    response = save_hero(client, hid, mine, age="50", team_id=str(team))

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this hero after you opened this page." in page
    assert re.search(r'data-testid="conflict-theirs-age">49<', page)
    assert re.search(r'data-testid="conflict-yours-age">50<', page)
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hid) == 49  # nothing lost

    # Saving again from the conflict page applies mine on top, knowingly.
    again = VERSION.search(page)
    assert again
    response = save_hero(client, hid, html.unescape(again.group(1)), age="50", team_id=str(team))
    assert response.status_code == 303
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hid) == 50


def test_a_failed_save_keeps_the_version_the_form_was_opened_with(
    client_as: Callable[[str], FlaskClient], client: FlaskClient, read_back: Callable[..., Any]
) -> None:
    hid = hero_id(read_back, "Spider-Boy")
    mine = opened(client, HERO.format(id=hid) + "edit")
    invalid = client.post(
        HERO.format(id=hid) + "edit",
        data={"name": "", "secret_name": "Pedro Parqueador", "age": "", "team_id": "", "_version": mine},
    )
    assert invalid.status_code == 422
    carried = VERSION.search(invalid.get_data(as_text=True))
    assert carried and html.unescape(carried.group(1)) == mine

    colleague = client_as("editor")  # a second person, signed in on their own
    theirs = opened(colleague, HERO.format(id=hid) + "edit")
    fields = {"name": "Spider-Boy", "secret_name": "Peter", "age": "", "team_id": ""}
    assert colleague.post(HERO.format(id=hid) + "edit", data={**fields, "_version": theirs}).status_code == 303

    fixed = {"name": "Spider-Boy", "secret_name": "Pedro Parqueador", "age": "16", "team_id": ""}
    response = client.post(HERO.format(id=hid) + "edit", data={**fixed, "_version": mine})
    assert response.status_code == 409
    assert read_back("SELECT secret_name FROM hero WHERE id = :id", id=hid) == "Peter"
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hid) is None


def test_deleting_a_row_that_changed_since_the_confirmation_is_refused(
    client_as: Callable[[str], FlaskClient], client: FlaskClient, read_back: Callable[..., Any]
) -> None:
    hid = hero_id(read_back, "Deadpond")
    confirm = opened(client, HERO.format(id=hid) + "delete")
    colleague = client_as("editor")  # a second person, signed in on their own
    theirs = opened(colleague, HERO.format(id=hid) + "edit")
    fields = {"name": "Deadpond", "secret_name": "Dive Wilson", "age": "30", "team_id": ""}
    assert colleague.post(HERO.format(id=hid) + "edit", data={**fields, "_version": theirs}).status_code == 303

    response = client.post(HERO.format(id=hid) + "delete", data={"_version": confirm})
    assert response.status_code == 409
    assert "Someone else changed this hero" in response.get_data(as_text=True)
    assert read_back("SELECT count(*) FROM hero WHERE id = :id", id=hid) == 1

    fresh = VERSION.search(response.get_data(as_text=True))
    assert fresh
    assert client.post(HERO.format(id=hid) + "delete", data={"_version": html.unescape(fresh.group(1))}).status_code == 303
    assert read_back("SELECT count(*) FROM hero WHERE id = :id", id=hid) == 0


def test_a_damaged_version_is_a_bad_request_and_saves_nothing(
    client: FlaskClient, read_back: Callable[..., Any]
) -> None:
    hid = hero_id(read_back, "Rusty-Man")
    response = save_hero(client, hid, "{not json", age="1")
    assert response.status_code == 400
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hid) == 48


def test_their_change_to_a_field_i_left_alone_is_kept_when_i_save_again(
    client_as: Callable[[str], FlaskClient], client: FlaskClient, read_back: Callable[..., Any]
) -> None:
    hid = hero_id(read_back, "Rusty-Man")
    team = str(read_back("SELECT team_id FROM hero WHERE id = :id", id=hid))
    mine = opened(client, HERO.format(id=hid) + "edit")
    colleague = client_as("editor")
    theirs = opened(colleague, HERO.format(id=hid) + "edit")
    assert save_hero(colleague, hid, theirs, secret_name="Tony Sharp", team_id=team).status_code == 303

    response = save_hero(client, hid, mine, age="49", team_id=team)  # I only changed the age
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(r'data-testid="conflict-theirs-secret_name">Tony Sharp<', page)
    assert "unchanged by you: theirs is kept" in page
    assert re.search(r'name="secret_name"[^>]*value="Tony Sharp"', page)  # the form now holds theirs
    assert re.search(r'name="age"[^>]*value="49"', page)  # and still mine

    again = VERSION.search(page)
    assert again
    response = save_hero(client, hid, html.unescape(again.group(1)), secret_name="Tony Sharp", age="49", team_id=team)
    assert response.status_code == 303
    assert read_back("SELECT secret_name FROM hero WHERE id = :id", id=hid) == "Tony Sharp"
    assert read_back("SELECT age FROM hero WHERE id = :id", id=hid) == 49
