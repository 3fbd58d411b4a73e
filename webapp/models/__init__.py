"""The app's models: the shared base, the admin's own tables and the demo tables."""

from webapp.models.accounts import Account, AccountSession, AuditEntry, LoginAttempt
from webapp.models.base import Base
from webapp.models.demo import Category, Employee, Expense, Hero, Shift, Team, User, UserData, Weekday
from webapp.models.jobs import BulkReport, ImportJob

__all__ = [
    "Account",
    "AccountSession",
    "AuditEntry",
    "Base",
    "BulkReport",
    "Category",
    "Employee",
    "Expense",
    "Hero",
    "ImportJob",
    "LoginAttempt",
    "Shift",
    "Team",
    "User",
    "UserData",
    "Weekday",
]
