"""webapp: a server-rendered web admin for SQL databases."""

from webapp.app import create_app

__all__ = ["create_app"]
