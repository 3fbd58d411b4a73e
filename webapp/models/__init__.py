"""The app's models: the shared base and the demo tables."""

from webapp.models.base import Base
from webapp.models.demo import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday

__all__ = ["Base", "Category", "Employee", "Expense", "Hero", "Shift", "Team", "User", "UserData", "Weekday"]
