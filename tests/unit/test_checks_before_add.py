"""Unique and foreign key rules are checked before a row is added, with the error on its field."""

from __future__ import annotations

from flask import Flask
from tests.unit.sample_models import Sample
from sqlalchemy import select

from webapp.admin import introspect
from webapp.admin.checks import conflicts
from webapp.admin.integrity import Problem
from webapp.admin.registry import ModelAdmin
from webapp.extensions import db
from webapp.models import Hero, Team, User


def test_unique_sets_are_read_from_the_model() -> None:
    assert set(introspect.unique_sets(Sample)) == {("code", "small"), ("code",)}
    assert introspect.unique_sets(Hero) == (("name", "secret_name"),)
    assert introspect.unique_sets(User) == (("email",),)


def test_a_unique_column_taken_by_another_row(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    found = conflicts(entries["team"], {"name": "Preventers", "headquarters": "x"}, None)
    assert found == [Problem("A team with name “Preventers” already exists.", "name")]
    assert conflicts(entries["team"], {"name": "Avengers", "headquarters": "x"}, None) == []


def test_a_composite_unique_constraint(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    taken = {"name": "Deadpond", "secret_name": "Dive Wilson", "age": None, "team_id": None}
    found = conflicts(entries["hero"], taken, None)
    assert found == [Problem("A hero with name “Deadpond” and secret name “Dive Wilson” already exists.", "name")]
    assert conflicts(entries["hero"], {**taken, "secret_name": "Someone else"}, None) == []


def test_every_unique_rule_is_checked(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    found = conflicts(entries["unit_sample"], {"code": "TAKEN", "small": 1}, None)
    assert [problem.field for problem in found] == ["code", "code"]  # (code, small) and code alone
    assert "A sample with code “TAKEN” already exists." in [problem.message for problem in found]


def test_nulls_never_collide(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    assert conflicts(entries["unit_sample"], {"code": None, "small": None}, None) == []


def test_a_natural_key_must_be_new_on_create(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    found = conflicts(entries["userdata"], {"user_id": "Brad", "user_data": None}, None)
    assert found == [Problem("User data with user id “Brad” already exists.", "user_id")]


def test_editing_a_row_does_not_collide_with_itself(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    preventers = db.session.scalar(select(Team).where(Team.name == "Preventers"))
    assert conflicts(entries["team"], {"name": "Preventers", "headquarters": "New"}, preventers) == []
    found = conflicts(entries["team"], {"name": "Z-Force", "headquarters": "New"}, preventers)
    assert found == [Problem("A team with name “Z-Force” already exists.", "name")]


def test_a_missing_related_row(in_request: Flask, entries: dict[str, ModelAdmin]) -> None:
    values = {"name": "New", "secret_name": "N", "age": None, "team_id": 9999}
    assert conflicts(entries["hero"], values, None) == [Problem("Team 9999 does not exist.", "team_id")]
    team = db.session.scalar(select(Team.id))
    assert conflicts(entries["hero"], {**values, "team_id": team}, None) == []
    assert conflicts(entries["hero"], {**values, "team_id": None}, None) == []
