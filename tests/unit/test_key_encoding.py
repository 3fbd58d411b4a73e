"""Primary key values written as one URL path segment and read back typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, Column, Date, DateTime, Enum, Integer, Numeric, SmallInteger, String

from webapp.admin.keys import decode, encode
from webapp.models import Weekday

TEXT = Column("text", String(40))
INT = Column("int", Integer)
BIG = Column("big", BigInteger)
SMALL = Column("small", SmallInteger)
DAY = Column("day", Enum(Weekday, native_enum=False))
WHEN = Column("when", DateTime)
DATE = Column("date", Date)
AMOUNT = Column("amount", Numeric(10, 2))


@pytest.mark.parametrize(
    "text",
    ["plain", "a/b", "a,b", "50%", "why?", "two  spaces", " edge ", "Zoë 東京 🦄", "~", "~7E", "", ".", "..",
     "a+b&c=d#e", "line\nbreak", "-_", "\\", "'\""],
)
def test_any_text_round_trips_as_one_safe_segment(text: str) -> None:
    segment = encode((text,))
    assert all(char.isascii() and (char.isalnum() or char in "_-~") for char in segment), segment
    assert decode(segment, [TEXT]) == (text,)


@pytest.mark.parametrize(
    ("values", "columns"),
    [
        ((1, Weekday.monday), [INT, DAY]),
        (("a,b", "c,d"), [TEXT, TEXT]),
        ((2**63 - 1, -(2**63)), [BIG, BIG]),
        ((dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 2, 29)), [WHEN, DATE]),
        ((Decimal("12.50"),), [AMOUNT]),
    ],
)
def test_composite_and_typed_keys_round_trip(values: tuple[Any, ...], columns: list[Column[Any]]) -> None:
    assert decode(encode(values), columns) == values


def test_the_documented_spelling() -> None:
    assert encode(("a/b",)) == "a~2Fb"
    assert encode(("",)) == "~"
    assert encode((1, Weekday.monday)) == "1,monday"
    assert encode(("é",)) == "~C3~A9"


@pytest.mark.parametrize(
    ("segment", "columns"),
    [
        (str(2**31), [INT]), (str(2**63), [BIG]), (str(2**15), [SMALL]), ("9" * 30, [BIG]), ("1.0", [INT]),
        ("abc", [INT]), ("١", [INT]), ("+1", [INT]), ("1,2", [INT]), ("1", [INT, DAY]), ("1,funday", [INT, DAY]),
        ("1,Monday", [INT, DAY]), ("~ZZ", [TEXT]), ("~C3", [TEXT]), ("~ED~A0~80", [TEXT]), ("a~", [TEXT]),
        ("x" * 41, [TEXT]), ("~00", [TEXT]), ("2024-13-01", [DATE]), ("soon", [WHEN]), ("abc", [AMOUNT]),
        ("١", [AMOUNT]),
    ],
)
def test_a_segment_that_names_no_possible_row(segment: str, columns: list[Column[Any]]) -> None:
    assert decode(segment, columns) is None
