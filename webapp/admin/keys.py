"""Primary keys in URLs: any value, any number of columns, one path segment."""

from __future__ import annotations

import datetime as dt
import enum
import re
import string
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, Date, DateTime, Enum, Integer, Numeric, String

from webapp.admin.introspect import integer_range

# Everything else is written as ~XX per UTF-8 byte, so "/", "%", ".", "," and spaces
# never reach the router as themselves (Datasette's "tilde encoding").
SAFE = frozenset(string.ascii_letters + string.digits + "_-")
EMPTY = "~"
TILDE_RUN = re.compile(r"(?:~[0-9A-F]{2})+")
INTEGER = re.compile(r"-?[0-9]{1,20}")


def encode(values: tuple[Any, ...]) -> str:
    """Write primary key values as one URL path segment."""
    return ",".join(_encode_part(_text(value)) for value in values)


def decode(segment: str, key_columns: list[Column[Any]]) -> tuple[Any, ...] | None:
    """Read a segment back into typed values, or None if it names no possible row."""
    parts = segment.split(",")
    if len(parts) != len(key_columns):
        return None
    values = []
    for part, column in zip(parts, key_columns):
        text = _decode_part(part)
        if text is None:
            return None
        value = typed(text, column)
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def _text(value: Any) -> str:
    """Spell one key value as text."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return str(value)


def _encode_part(text: str) -> str:
    """Tilde-encode one value."""
    if text == "":
        return EMPTY
    return "".join(
        char if char in SAFE else "".join(f"~{byte:02X}" for byte in char.encode("utf-8")) for char in text
    )


def _decode_part(part: str) -> str | None:
    """Undo :func:`_encode_part`, or None for a malformed part."""
    if part == EMPTY:
        return ""
    if "~" not in part:
        return part  # nothing was encoded: most keys, dates and cursors
    try:
        text = TILDE_RUN.sub(lambda m: bytes.fromhex(m.group().replace("~", "")).decode("utf-8"), part)
    except UnicodeDecodeError:
        return None
    return None if "~" in TILDE_RUN.sub("", part) else text


def typed(text: str, column: Column[Any]) -> Any:
    """Convert key text to the column's Python type, or None if it cannot be one."""
    if "\x00" in text:
        return None  # no row holds NUL (forms refuse it), and PostgreSQL fails on it instead of not finding it
    kind = column.type
    if isinstance(kind, Enum):
        if kind.enum_class is not None:
            return kind.enum_class.__members__.get(text)
        return text if text in kind.enums else None
    if isinstance(kind, Integer):
        if not INTEGER.fullmatch(text):
            return None
        low, high = integer_range(kind)
        number = int(text)
        return number if low <= number <= high else None
    if isinstance(kind, Numeric):
        try:
            return Decimal(text) if text.isascii() else None
        except InvalidOperation:
            return None
    if isinstance(kind, DateTime):
        return _parse(dt.datetime.fromisoformat, text)
    if isinstance(kind, Date):
        return _parse(dt.date.fromisoformat, text)
    if isinstance(kind, String) and kind.length is not None and len(text) > kind.length:
        return None
    return text


def _parse(parser: Any, text: str) -> Any:
    """Apply an ISO parser, None on failure."""
    try:
        return parser(text)
    except ValueError:
        return None
