"""The app's models: the shared base, the admin's own tables and the demo tables."""

from webapp.models.accounts import Account, AccountSession, AuditEntry, LoginAttempt
from webapp.models.base import Base
from webapp.models.demo import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday

__all__ = [
    "Account",
    "AccountSession",
    "AuditEntry",
    "Base",
    "Category",
    "Employee",
    "Expense",
    "Hero",
    "LoginAttempt",
    "Shift",
    "Team",
    "User",
    "UserData",
    "Weekday",
]
