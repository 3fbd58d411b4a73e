"""How the admin shows the demo models."""

from __future__ import annotations

from webapp.admin.registry import Options
from webapp.models.demo import Category, Employee, Expense, Hero, Shift, Team, User, UserData

OPTIONS: dict[type, Options] = {
    Hero: Options(label_plural="heroes", default_order=("name", "id")),
    Team: Options(default_order=("name",)),
    User: Options(default_order=("email",)),
    Category: Options(label_plural="categories", default_order=("name",)),
    Expense: Options(default_order=("-date", "-id"), search_columns=("description",)),
    UserData: Options(label="user data", label_plural="user data"),
    Employee: Options(),
    Shift: Options(default_order=("employee_id", "weekday")),
}

MODELS: list[type] = list(OPTIONS)
