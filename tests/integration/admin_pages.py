"""Helpers for the integration suite: read pages by their data-testid hooks, read rows back.

Not a conftest.py: other test modules import the top-level conftest by name, which a
second conftest module would shadow. Test modules import these fixtures explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from webapp.extensions import db

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})


@dataclass
class Element:
    """One HTML element: its attributes and the text inside it."""

    tag: str
    attrs: dict[str, str | None]
    parent: Element | None = None
    parts: list[str] = field(default_factory=list)

    def inside(self, other: Element) -> bool:
        """Whether this element is a descendant of ``other``."""
        node = self.parent
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False

    @property
    def text(self) -> str:
        """The element's text with whitespace collapsed, as a reader sees it."""
        return " ".join("".join(self.parts).split())


class Page(HTMLParser):
    """A rendered page, searchable by the README's data-testid hooks."""

    def __init__(self, response: TestResponse) -> None:
        super().__init__(convert_charrefs=True)
        self.status = response.status_code
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(response.get_data(as_text=True))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), self._open[-1] if self._open else None)
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs), self._open[-1] if self._open else None))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.parts.append(data)

    def all(self, testid: str) -> list[Element]:
        """Every element with ``data-testid=testid``."""
        return [e for e in self.elements if e.attrs.get("data-testid") == testid]

    def one(self, testid: str) -> Element:
        """The single element with ``data-testid=testid``."""
        found = self.all(testid)
        assert len(found) == 1, f"expected one data-testid={testid!r}, found {len(found)}"
        return found[0]

    def text(self, testid: str) -> str:
        """The text of the single element with ``data-testid=testid``."""
        return self.one(testid).text

    def texts(self, testid: str) -> list[str]:
        """The texts of every element with ``data-testid=testid``."""
        return [e.text for e in self.all(testid)]

    def by_id(self, element_id: str) -> Element:
        """The element with ``id=element_id``."""
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one id={element_id!r}, found {len(found)}"
        return found[0]

    def control(self, name: str) -> Element:
        """The input, select or textarea named ``name``."""
        found = [e for e in self.elements if e.tag in ("input", "select", "textarea") and e.attrs.get("name") == name]
        assert len(found) == 1, f"expected one form control named {name!r}, found {len(found)}"
        return found[0]

    def form_data(self, testid: str) -> dict[str, str]:
        """What a browser submits from the form ``testid`` as it stands (without its buttons)."""
        form = self.one(testid)
        data: dict[str, str] = {}
        for element in self.elements:
            name = element.attrs.get("name")
            if name is None or not element.inside(form):
                continue
            kind = element.attrs.get("type", "text")
            if element.tag == "input" and kind not in ("submit", "button", "checkbox", "radio"):
                data[name] = element.attrs.get("value") or ""
            elif element.tag == "input" and "checked" in element.attrs:
                data[name] = element.attrs.get("value") or "on"
            elif element.tag == "textarea":
                data[name] = "".join(element.parts).removeprefix("\n")
            elif element.tag == "select":
                options = [e for e in self.elements if e.tag == "option" and e.parent is element]
                chosen = [o for o in options if "selected" in o.attrs] or options[:1]
                data[name] = (chosen[0].attrs.get("value") or "") if chosen else ""
        return data

    def errors(self) -> list[str]:
        """The error flashes (role=alert)."""
        return self.texts("flash-error")

    def successes(self) -> list[str]:
        """The success flashes (role=status)."""
        return self.texts("flash-success")


@pytest.fixture
def html() -> Callable[[TestResponse], Page]:
    """Parse a response into a :class:`Page`."""
    return Page


@pytest.fixture
def read_row(database_url: str) -> Iterator[Callable[[type, Any], dict[str, Any] | None]]:
    """Load one row by primary key in a fresh session on a new engine, as typed values."""
    engine = create_engine(database_url)

    def read(model: type, key: Any) -> dict[str, Any] | None:
        with Session(engine) as session:
            row = session.get(model, key)
            if row is None:
                return None
            return {attr.key: getattr(row, attr.key) for attr in inspect(model).column_attrs}

    yield read
    engine.dispose()


@pytest.fixture
def budget_table(app: Flask) -> Iterator[Callable[..., None]]:
    """Make a table the app's models do not know, with a foreign key to ``categories``.

    The admin counts only the references its models declare, so only the database can
    refuse a delete of a category this table refers to: at the DELETE, or at COMMIT when
    the key is declared deferred.
    """
    created: list[bool] = []

    def create(*category_ids: int, deferred: bool = False) -> None:
        timing = " DEFERRABLE INITIALLY DEFERRED" if deferred else ""
        with app.app_context():
            db.session.execute(text(
                "CREATE TABLE budget (id INTEGER NOT NULL PRIMARY KEY, category_id INTEGER NOT NULL,"
                f" CONSTRAINT fk_budget_category FOREIGN KEY (category_id) REFERENCES categories (id){timing})"
            ))
            created.append(True)
            for number, category in enumerate(category_ids, 1):
                db.session.execute(text("INSERT INTO budget (id, category_id) VALUES (:id, :c)"), {"id": number,
                                                                                                   "c": category})
            db.session.commit()

    yield create
    if created:  # before the next reset drops categories, which this table refers to
        with app.app_context():
            db.session.execute(text("DROP TABLE budget"))
            db.session.commit()
            db.session.remove()
