"""A database the app never created: every table and view reflected and given the same pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.admin_pages import html  # noqa: F401 (a fixture)
from flask import Flask
from sqlalchemy import create_engine, inspect, text

from tests.integration.raw_schema import app_for, create, drop, rx_app  # noqa: F401 (rx_app is a fixture)
from webapp.extensions import db

Read = Callable[..., Any]


def test_every_table_and_view_is_on_the_dashboard(rx_app: Flask, html: Any) -> None:
    dashboard = html(rx_app.test_client().get("/admin/"))
    assert dashboard.text("count-rx_employee") == "3"
    assert dashboard.text("count-rx_assignment") == "3"
    assert dashboard.text("count-rx_staff") == "3"
    assert dashboard.all("action-create-rx_region")
    assert dashboard.one("read-only-rx_log") and dashboard.one("read-only-rx_staff")
    assert not dashboard.all("action-create-rx_log")


def test_a_foreign_key_without_relationship_is_a_choice_of_related_rows(rx_app: Flask, html: Any) -> None:
    form = html(rx_app.test_client().get("/admin/rx_employee/new"))
    assert form.status == 200
    region = form.control("region_code")
    assert region.tag == "select"
    options = {o.attrs["value"]: o.text for o in form.elements if o.tag == "option" and o.parent is region}
    assert options["N/W"] == "North-west" and options["EU"] == "Europe"
    manager = form.control("manager_id")  # the self-reference lists the table's own rows
    labels = {o.text for o in form.elements if o.tag == "option" and o.parent is manager}
    assert {"Ada", "Grace", "Linus"} <= labels
    assert form.text("field-region_code").startswith("Region code")


def test_create_and_edit_rows_of_a_reflected_table(rx_app: Flask, read_back: Read) -> None:
    client = rx_app.test_client()
    created = client.post(
        "/admin/rx_employee/new",
        data={"name": "Barbara", "email": "barbara@example.com", "region_code": "N/W", "manager_id": "2", "salary": "12.50"},
    )
    assert created.status_code == 303
    key = read_back("SELECT id FROM rx_employee WHERE name = 'Barbara'")
    assert created.headers["Location"].endswith(f"/admin/rx_employee/{key}/")
    edited = client.post(
        "/admin/rx_employee/3/edit", data={"name": "Linus", "region_code": "ASIA", "manager_id": "2", "salary": "3100"}
    )
    assert edited.status_code == 303
    assert read_back("SELECT manager_id FROM rx_employee WHERE id = 3") == 2
    assert read_back("SELECT region_code FROM rx_employee WHERE id = 3") == "ASIA"


def test_string_and_composite_keys_address_rows(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    region = html(client.get("/admin/rx_region/N~2FW/"))
    assert region.status == 200 and region.text("value-name") == "North-west"
    assignment = html(client.get("/admin/rx_assignment/2,1/"))
    assert assignment.status == 200 and assignment.text("value-role") == "dev"
    assert client.get("/admin/rx_assignment/9,9/").status_code == 404
    assert client.get("/admin/rx_assignment/2/").status_code == 404
    saved = client.post("/admin/rx_assignment/2,1/edit", data={"role": "reviewer"})
    assert saved.status_code == 303
    assert read_back("SELECT role FROM rx_assignment WHERE employee_id = 2 AND project_id = 1") == "reviewer"


def test_the_list_links_a_foreign_key_to_its_row(rx_app: Flask, html: Any) -> None:
    listing = html(rx_app.test_client().get("/admin/rx_employee/?sort=id"))
    rows = listing.all("row")
    assert [row.attrs["data-key"] for row in rows] == ["1", "2", "3"]
    links = [e for e in listing.elements if e.tag == "a" and e.attrs.get("href") == "/admin/rx_region/N~2FW/"]
    assert links


def test_tables_without_a_key_and_views_are_read_only(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    for slug in ("rx_log", "rx_staff"):
        listing = html(client.get(f"/admin/{slug}/"))
        assert listing.status == 200 and len(listing.all("row")) == 2 + (slug == "rx_staff")
        refused = html(client.post(f"/admin/{slug}/new", data={"message": "x"}))
        assert refused.status == 403
        assert "read-only" in refused.text("error-message")
        assert "read-only" in listing.text("read-only")
        assert not listing.all("action-create") and not listing.all("action-edit") and not listing.all("action-import")
        assert listing.one("action-export")
    assert "no primary key" in html(client.get("/admin/rx_log/new")).text("error-message")
    assert "view" in html(client.get("/admin/rx_staff/new")).text("error-message")
    assert read_back("SELECT COUNT(*) FROM rx_log") == 2


@pytest.fixture
def identical_rows(database_url: str, signing_in: Callable[[Flask], Flask]) -> Iterator[Flask]:
    """The app over the ``rx_`` tables, four rows a page; rx_log (no key) holds twelve rows, each one three times."""
    engine = create_engine(database_url)
    create(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rx_log"))
        triples = [{"at": f"2024-01-0{1 + i // 3}", "message": "same"} for i in range(12)]
        connection.execute(text("INSERT INTO rx_log (at, message) VALUES (:at, :message)"), triples)
    app = signing_in(app_for(database_url, PER_PAGE=4))
    yield app
    with app.app_context():
        db.engine.dispose()
    drop(engine)
    engine.dispose()


def test_identical_rows_of_a_table_without_a_key_are_each_shown_once(identical_rows: Flask, html: Any) -> None:
    """No key tells two identical rows apart: the pages are reached by number, never by a row's values."""
    client = identical_rows.test_client()
    for start in ("/admin/rx_log/?sort=at", "/admin/rx_log/?sort=at&q=same"):
        shown, url = [], start
        while url:
            page = html(client.get(url))
            assert page.status == 200
            shown += page.texts("cell-at")
            url = page.one("page-next").attrs["href"] if page.all("page-next") else ""
        assert shown == [f"2024-01-0{day}" for day in range(1, 5) for _ in range(3)], start  # pages split the triples
    middle = ["2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03"]
    assert html(client.get("/admin/rx_log/?sort=at&page=2")).texts("cell-at") == middle
    assert html(client.get("/admin/rx_log/?sort=at&last=2")).texts("cell-at") == middle
    previous = html(client.get("/admin/rx_log/?sort=at&page=3")).one("page-prev").attrs["href"]
    assert html(client.get(previous)).texts("cell-at") == middle


def test_columns_of_unknown_types_are_shown_read_only(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    detail = html(client.get("/admin/rx_employee/1/"))
    assert detail.one("value-photo") and detail.one("value-extra")
    form = html(client.get("/admin/rx_employee/1/edit"))
    assert form.status == 200
    assert not [e for e in form.elements if e.attrs.get("name") in ("photo", "extra")]
    saved = client.post("/admin/rx_employee/1/edit", data={"name": "Ada L", "region_code": "EU", "salary": "5000"})
    assert saved.status_code == 303
    assert read_back("SELECT name FROM rx_employee WHERE id = 1") == "Ada L"


def test_database_rules_are_explained_and_nothing_is_written(rx_app: Flask, html: Any, read_back: Read) -> None:
    client = rx_app.test_client()
    duplicate = html(client.post("/admin/rx_employee/new", data={"name": "A", "email": "ada@example.com", "region_code": "EU"}))
    assert duplicate.status == 409
    assert "ada@example.com" in " ".join(duplicate.errors())
    negative = html(client.post("/admin/rx_employee/new", data={"name": "B", "region_code": "EU", "salary": "-1"}))
    assert negative.status == 409
    missing = html(client.post("/admin/rx_employee/new", data={"name": "C", "region_code": "XX"}))
    assert missing.status in (409, 422)
    assert read_back("SELECT COUNT(*) FROM rx_employee") == 3


def test_reflecting_everything_creates_no_demo_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'theirs.sqlite'}"
    engine = create_engine(url)
    create(engine)
    app = app_for(url, REFLECT=True, SETUP_DATABASE=True)
    with app.app_context():
        slugs = {entry.slug for entry in app.extensions["webapp.admin"].values()}
        db.engine.dispose()
    assert slugs == {"rx_region", "rx_employee", "rx_project", "rx_assignment", "rx_log", "rx_staff"}
    assert "hero" not in inspect(engine).get_table_names()
    drop(engine)
    engine.dispose()


def test_models_names_a_module_of_the_users_own_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mine.sqlite'}"
    app = app_for(url, REFLECT=False, MODELS="tests.integration.my_models", SETUP_DATABASE=True)
    with app.app_context():
        slugs = {entry.slug for entry in app.extensions["webapp.admin"].values()}
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
    assert slugs == {"rx_note", "rx_tag"}
    assert "hero" not in tables


def test_a_row_labelled_through_a_relationship_the_list_does_not_show(
    tmp_path: Path, signing_in: Callable[[Flask], Flask], html: Any
) -> None:
    # The list reads plain records; a label that needs the ORM makes it read ORM objects instead.
    from tests.integration import my_models
    from webapp.admin import records

    app = signing_in(app_for(f"sqlite:///{tmp_path / 'mine.sqlite'}", REFLECT=False,
                             MODELS="tests.integration.my_models", SETUP_DATABASE=True))
    with app.app_context():
        my_models.Base.metadata.create_all(db.engine)  # the user's own tables: theirs to create
        db.session.add(my_models.Tag(id=1, name="urgent", note=my_models.Note(id=1, text="Call Ada")))
        db.session.commit()
    records.NEEDS_ORM.discard(my_models.Tag)
    client = app.test_client()
    for _ in range(2):  # found out on the first page; the second goes straight to ORM objects
        listing = html(client.get("/admin/rx_tag/"))
        assert listing.status == 200
        [checkbox] = listing.all("select-row")
        assert checkbox.attrs["aria-label"] == "Select urgent on Call Ada"
        assert my_models.Tag in records.NEEDS_ORM
    notes = html(client.get("/admin/rx_note/"))  # its own label needs no ORM: records
    assert notes.one("select-row").attrs["aria-label"] == "Select Call Ada"
    assert my_models.Note not in records.NEEDS_ORM
    with app.app_context():
        db.engine.dispose()


def test_models_and_reflect_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        app_for(f"sqlite:///{tmp_path / 'x.sqlite'}", REFLECT=True, MODELS="tests.integration.my_models")
