"""The models the admin shows, each with a few options checked against its mapper."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Text

from webapp.admin import introspect
from webapp.admin.introspect import ColumnInfo


class RegistryError(ValueError):
    """A model option names something the model does not have."""


@dataclass(frozen=True)
class Options:
    """What a developer may say about one model; everything has a sensible default."""

    slug: str | None = None  # defaults to the table name
    label: str | None = None  # one row, e.g. "expense"
    label_plural: str | None = None
    list_columns: tuple[str, ...] | None = None  # defaults to every column
    search_columns: tuple[str, ...] | None = None  # defaults to the shown text columns
    default_order: tuple[str, ...] | None = None  # "col" or "-col"; defaults to the primary key
    labels: Mapping[str, str] = field(default_factory=dict)  # attribute key -> field label
    read_only: str | None = None  # why rows cannot be written (a view, no primary key), shown on its pages


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so usable as a cache key
class ModelAdmin:
    """A registered model with its options resolved and validated."""

    model: type
    slug: str
    label: str
    label_plural: str
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    list_columns: tuple[str, ...]
    search_columns: tuple[str, ...]
    default_order: tuple[str, ...]
    read_only: str | None = None  # the reason, when rows can be read but not written
    # False for a table or view without a primary key of its own: the mapper keys its rows by
    # every column, and two rows can be identical, so no key names one row among them.
    unique_key: bool = True

    def column(self, key: str) -> ColumnInfo:
        """Return the column with attribute key ``key``."""
        for info in self.columns:
            if info.key == key:
                return info
        raise KeyError(key)

    def searched(self) -> dict[str, Any]:
        """The search columns by key, as table columns: a query of them needs no ORM."""
        return {key: self.column(key).column for key in self.search_columns}

    def key_values(self, row: Any) -> tuple[Any, ...]:
        """Return the primary key values of ``row``."""
        if len(self.primary_key) == 1:  # most tables, and every row of every list page
            return (getattr(row, self.primary_key[0]),)
        return tuple(getattr(row, key) for key in self.primary_key)


def build(model: type, options: Options | None = None) -> ModelAdmin:
    """Resolve ``options`` for ``model``, raising :class:`RegistryError` if one is wrong."""
    options = options or Options()
    table = introspect.table_of(model)
    primary_key = introspect.primary_key(model)
    if not primary_key:
        raise RegistryError(f"{model.__name__} has no primary key; the admin needs one to address rows")
    columns = tuple(
        _relabel(info, options.labels.get(info.key)) for info in introspect.columns(model)
    )
    known = [info.key for info in columns]
    _check(model, "labels", options.labels, known)
    list_columns = options.list_columns or tuple(known)
    _check(model, "list_columns", list_columns, known)
    text = [info.key for info in columns if isinstance(info.column.type, (String, Text)) and not info.relation]
    search_columns = options.search_columns if options.search_columns is not None else tuple(
        key for key in list_columns if key in text
    )
    _check(model, "search_columns", search_columns, text, "text columns")
    default_order = options.default_order or primary_key
    _check(model, "default_order", [key.lstrip("-") for key in default_order], known)
    label = options.label or introspect.humanize(model.__name__).lower()
    return ModelAdmin(
        model=model,
        # A plain str: the table's name is SQLAlchemy's quoted_name, whose __getattr__ raises
        # three AttributeErrors each time Jinja asks it for __html__ (once per menu item).
        slug=str(options.slug or table.name),
        label=label,
        label_plural=options.label_plural or _plural(label),
        columns=columns,
        primary_key=primary_key,
        list_columns=tuple(list_columns),
        search_columns=tuple(search_columns),
        default_order=tuple(default_order),
        read_only=options.read_only,
        unique_key=bool(table.primary_key.columns),
    )


def from_models(models: Iterable[type], options: Mapping[type, Options] | None = None) -> list[ModelAdmin]:
    """Register every model in ``models``, with ``options`` for those that have them."""
    options = options or {}
    unknown = [model.__name__ for model in options if model not in list(models)]
    if unknown:
        raise RegistryError(f"options given for unregistered models: {', '.join(unknown)}")
    entries = [build(model, options.get(model)) for model in models]
    slugs = [entry.slug for entry in entries]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise RegistryError(f"two models share the slug {', '.join(sorted(duplicates))}; set Options(slug=...)")
    return sorted(entries, key=lambda entry: entry.slug)


def models_of(base: Any) -> list[type]:
    """Every class mapped by the declarative ``base``, in a stable order."""
    return sorted((mapper.class_ for mapper in base.registry.mappers), key=lambda model: model.__name__)


def _check(model: type, option: str, given: Iterable[str], allowed: list[str], what: str = "columns") -> None:
    """Raise an actionable error for names in ``given`` that are not in ``allowed``."""
    wrong = [name for name in given if name not in allowed]
    if wrong:
        raise RegistryError(
            f"{model.__name__}: {option} names {', '.join(map(repr, wrong))}, "
            f"but its {what} are {', '.join(map(repr, allowed)) or 'none'}"
        )


def _relabel(info: ColumnInfo, label: str | None) -> ColumnInfo:
    """Return ``info`` with a developer-chosen label, if one is given."""
    if label is None:
        return info
    return ColumnInfo(info.key, info.column, label, info.relation, info.generated)


def _plural(word: str) -> str:
    """Return a plain English plural of ``word``."""
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"
