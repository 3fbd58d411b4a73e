"""Map the tables of a database the app did not create, so the admin can show them."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, MetaData, String, Table, inspect
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import registry as orm_registry

from webapp.admin.registry import Options
from webapp.models import Base

# A reflected row is labelled by its first text column with one of these names.
LABEL_COLUMNS = ("name", "title", "label", "email", "username", "code")
NO_KEY = "This table has no primary key, so a row cannot be addressed safely: it is shown read-only."
VIEW = "This is a database view: its rows are computed by the database, so they are shown read-only."


def reflect(engine: Engine, only: Iterable[str] | None = None, schema: str | None = None) -> list[tuple[type, Options]]:
    """Reflect the tables and views of ``engine`` and map each to a class with its options."""
    metadata = MetaData(schema=schema)
    if only is None:  # the admin's own tables (accounts, audit trail) are not the user's data
        own = {table.name for table in Base.metadata.tables.values() if table.info.get("internal")}
        only = [name for name in _names(engine, schema) if name not in own]
    with warnings.catch_warnings():
        # A column type SQLAlchemy does not know is still shown (read-only); don't stop for it.
        warnings.filterwarnings("ignore", "Did not recognize type", SAWarning)
        warnings.filterwarnings("ignore", ".*(?:expression-based|partial) index", SAWarning)
        metadata.reflect(engine, only=list(only) if only is not None else None, views=True, schema=schema)
    views = set(inspect(engine).get_view_names(schema=schema))
    mapper_registry = orm_registry(metadata=metadata)
    found = []
    for table in metadata.tables.values():
        reason = VIEW if table.name in views else (NO_KEY if not table.primary_key.columns else None)
        found.append((map_table(mapper_registry, table, reason is not None), Options(read_only=reason)))
    return found


def _names(engine: Engine, schema: str | None) -> list[str]:
    """Every table and view of the database."""
    inspector = inspect(engine)
    return [*inspector.get_table_names(schema=schema), *inspector.get_view_names(schema=schema)]


def map_table(mapper_registry: orm_registry, table: Table, keyless: bool) -> type:
    """Map ``table`` to a new class; a table without a key uses all its columns as one."""
    cls = type(table.name, (Reflected,), {"__table__": table, "__doc__": f"A row of {table.name}."})
    options: dict[str, Any] = {}
    if keyless:
        # Only for reading: identity needs a key, and the whole row is the best one there is.
        options["primary_key"] = list(table.columns)
    mapper = mapper_registry.map_imperatively(cls, table, **options)
    cls.label_column = label_column(table)
    cls.key_attributes = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
    return cls


def label_column(table: Table) -> str | None:
    """The attribute that names a row, or None to name it by its key."""
    text = {column.name.lower(): column.key for column in table.columns if isinstance(column.type, String)}
    for name in LABEL_COLUMNS:
        if name in text:
            return text[name]
    return None


class Reflected:
    """Base of the classes mapped to reflected tables: a readable ``__str__``."""

    __table__: Table
    label_column: str | None = None
    key_attributes: tuple[str, ...] = ()  # the primary key's attributes, which name a row without a label

    def __init__(self, **values: Any) -> None:
        for key, value in values.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        if self.label_column is not None:
            value = getattr(self, self.label_column, None)
            if value not in (None, ""):
                return str(value)
        values = [getattr(self, key) for key in self.key_attributes]
        return ", ".join("" if value is None else str(value) for value in values)


def user_models(module_name: str) -> list[tuple[type, Options]]:
    """The models of a user's module: its ``MODELS`` (and ``OPTIONS``), or every mapped class."""
    module = importlib.import_module(module_name)
    options = getattr(module, "OPTIONS", {})
    models = getattr(module, "MODELS", None)
    if models is None:
        models = [value for value in vars(module).values() if isinstance(value, type) and _is_mapped(value)]
        models = [model for model in models if model.__module__ == module.__name__] or models
    return [(model, options.get(model, Options())) for model in models]


def _is_mapped(value: type) -> bool:
    """Whether ``value`` is a mapped class (a declarative base is not)."""
    return inspect(value, raiseerr=False) is not None


def chosen_models(config: dict[str, Any], engine: Engine) -> list[tuple[type, Options]] | None:
    """The models ``MODELS`` or ``REFLECT`` ask for, or None for the demo models."""
    module, wanted = config.get("MODELS"), config.get("REFLECT")
    if module and wanted:
        raise ValueError("Set MODELS (your own models) or REFLECT (every table of the database), not both.")
    if module:
        return user_models(str(module))
    if wanted:
        only = [str(name) for name in wanted] if isinstance(wanted, (list, tuple)) else None
        return reflect(engine, only, config.get("REFLECT_SCHEMA"))
    return None
