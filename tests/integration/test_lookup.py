"""Choosing a related row by searching: the lookup endpoint, and forms that never list a big table."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert

from webapp.admin import forms
from webapp.extensions import db
from webapp.models import Category, User


@pytest.fixture
def users(app: Flask) -> None:
    """Add 30 users: «Person 00» … «Person 29», one of them «Zelda Rare»."""
    with app.app_context():
        rows = [{"id": 100 + i, "email": f"p{i:02d}@example.com", "name": f"Person {i:02d}"} for i in range(30)]
        rows[17]["name"] = "Zelda Rare"
        db.session.execute(insert(User), rows)
        db.session.execute(insert(Category), [{"id": 100 + i, "name": f"Cat {i}"} for i in range(3)])
        db.session.commit()
        db.session.remove()


def lookup(client: FlaskClient, query: str) -> dict[str, Any]:
    """GET the users lookup and return its JSON."""
    response = client.get(f"/admin/users/lookup.json?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_lookup_finds_rows_by_text_and_by_key(client: FlaskClient, users: None) -> None:
    found = lookup(client, "q=zelda")
    assert found["results"] == [{"key": "117", "label": "Zelda Rare <p17@example.com>"}]
    assert found["more"] is False
    assert lookup(client, "q=105")["results"][0] == {"key": "105", "label": "Person 05 <p05@example.com>"}
    assert lookup(client, "q=")["results"] == []
    assert lookup(client, "q=nobody-at-all")["results"] == []


def test_lookup_answers_a_bounded_number_of_suggestions(client: FlaskClient, users: None) -> None:
    found = lookup(client, "q=person")
    assert len(found["results"]) == 20 and found["more"] is True


def test_lookup_can_return_another_column_and_refuses_nonsense(client: FlaskClient, users: None) -> None:
    found = lookup(client, "q=zelda&field=email")
    assert found["results"][0]["key"] == "p17@example.com"
    assert client.get("/admin/users/lookup.json?q=a&field=nope").status_code == 400
    assert client.get("/admin/users/lookup.json?q=a%00b").status_code == 400
    assert client.get("/admin/shifts/lookup.json?q=a").status_code == 400  # a composite key must name its field
    assert client.get("/admin/nope/lookup.json?q=a").status_code == 404


def test_a_large_related_table_is_typed_with_suggestions(
    client: FlaskClient, users: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "CHOICES_LIMIT", 10)  # 31 users is "large", 4 categories is not
    body = client.get("/admin/expenses/1/edit").get_data(as_text=True)
    user = re.search(r'<input [^>]*name="user_id"[^>]*>', body)
    assert user is not None
    assert 'data-lookup="/admin/users/lookup.json?field=id"' in user.group(0) and 'value="1"' in user.group(0)
    assert re.search(r'data-testid="related-label-user_id">Alice &lt;alice@example.com&gt;<', body)
    assert re.search(r'<select [^>]*name="category_id"', body)  # small: still a choice


def test_a_typed_key_is_checked(client: FlaskClient, users: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms, "CHOICES_LIMIT", 10)
    data = {"user_id": "9999", "category_id": "1", "description": "Tea", "amount": "2.50", "date": "2024-02-01"}
    response = client.post("/admin/expenses/new", data=data)
    assert response.status_code == 409
    assert "9999" in response.get_data(as_text=True)
    response = client.post("/admin/expenses/new", data={**data, "user_id": "117"})
    assert response.status_code == 303


def test_the_form_reads_no_more_rows_with_a_big_related_table(
    app: Flask, client: FlaskClient, users: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "CHOICES_LIMIT", 10)
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "users" in statement and "account" not in statement:
            statements.append(statement)

    event.listen(engine, "after_cursor_execute", record)
    try:
        assert client.get("/admin/expenses/1/edit").status_code == 200
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert 1 <= len(statements) <= 2  # a bounded count of users, and the current user's label
