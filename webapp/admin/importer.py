"""CSV import: match headers, check every row like the form, then insert in one transaction.

The same pass serves the preview and the import. The preview inserts every valid row in a
transaction it rolls back (a dry run), so the database's own rules (unique, foreign key,
check) are tried on every row, including duplicates within the file; the import does the
same and commits only when no row failed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, BinaryIO

from sqlalchemy import Boolean
from werkzeug.datastructures import MultiDict
from wtforms import Form

from webapp import audit
from webapp.admin.export import unescape
from webapp.admin.forms import editable_type, field_for
from webapp.admin.integrity import classify, explain
from webapp.admin.introspect import ColumnInfo
from webapp.admin.registry import ModelAdmin
from webapp.extensions import WRITE_OPTION, db
from webapp.unit_of_work import DATA_ERRORS

BATCH = 500  # rows inserted per statement; a failing batch is retried row by row
MAX_REPORTED = 100  # errors kept for the page; all of them are counted
TRUE = frozenset({"true", "yes", "y", "1", "t", "on"})
FALSE = frozenset({"false", "no", "n", "0", "f", "off"})


@dataclass
class Report:
    """What a pass over the file found."""

    rows: int = 0  # data rows read
    passed: int = 0  # rows the form and the database accepted
    invalid: int = 0  # rows the form refused (the rest of the errors are the database's)
    error_count: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)
    file_errors: list[str] = field(default_factory=list)  # the file as a whole: encoding, headers

    @property
    def ok(self) -> bool:
        """Whether every row can be imported."""
        return not self.file_errors and not self.error_count and self.rows > 0

    def add(self, line: int, column: str, message: str) -> None:
        """Count an error on ``line``, keeping the first :data:`MAX_REPORTED` to show."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append((line, column, message))


Progress = Callable[[Report, float], None]  # the report so far and the share of the file read


def importable(entry: ModelAdmin) -> list[ColumnInfo]:
    """Columns a file may fill: every column the admin can edit, database-filled keys too."""
    return [info for info in entry.columns if editable_type(info)]


def match_headers(entry: ModelAdmin, headers: list[str]) -> tuple[list[ColumnInfo], list[str]]:
    """Map each header to a column by key, name or label (any case); list what is wrong."""
    lookup: dict[str, ColumnInfo] = {}
    for info in entry.columns:
        for name in (info.key, info.column.name, info.label):
            lookup.setdefault(name.strip().lower(), info)
    allowed = importable(entry)
    columns, problems, seen = [], [], set()
    for header in headers:
        info = lookup.get(header.strip().lower())
        if info is None:
            names = ", ".join(i.key for i in allowed)
            problems.append(f"Unknown column “{header}”: the columns of {entry.label_plural} are {names}.")
        elif info not in allowed:
            problems.append(f"Column “{header}” cannot be imported: the admin cannot edit its type. Remove it.")
        elif info.key in seen:
            problems.append(f"Column “{header}” appears twice.")
        else:
            seen.add(info.key)
            columns.append(info)
    for info in allowed:
        if info.required and info.key not in seen:
            problems.append(f"Missing column “{info.key}”: every {entry.label} needs a {info.label.lower()}.")
    return columns, problems


def row_form(columns: list[ColumnInfo]) -> type[Form]:
    """A form of the create form's fields for the file's columns (no CSRF: not a request)."""
    return type("ImportRowForm", (Form,), {info.key: field_for(info, True) for info in columns})


def run(entry: ModelAdmin, raw: BinaryIO, commit: bool, progress: Progress) -> Report:
    """Check (and, with ``commit``, import) the CSV file read from ``raw``; roll back unless all passed."""
    report = Report()
    size = max(raw.seek(0, io.SEEK_END), 1)
    raw.seek(0)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        _pass(entry, csv.reader(text), report, lambda: progress(report, raw.tell() / size))
    except UnicodeDecodeError:
        report.file_errors.append("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
    except csv.Error as exc:
        report.file_errors.append(f"The file is not valid CSV: {exc}.")
    finally:
        if commit and report.ok:
            db.session.commit()
        else:
            db.session.rollback()  # the dry run, or an import with a failed row: nothing stays
    progress(report, 1.0)
    return report


def _pass(entry: ModelAdmin, reader: Any, report: Report, tick: Callable[[], None]) -> None:
    """Read, validate and insert every row, a batch at a time."""
    headers = next(reader, None)
    if not headers:
        report.file_errors.append("The file is empty: its first line must name the columns.")
        return
    columns, problems = match_headers(entry, headers)
    if problems:
        report.file_errors.extend(problems)
        return
    form = row_form(columns)
    db.session.connection(execution_options={WRITE_OPTION: True})  # SQLite: take the write lock now
    batch: list[tuple[int, dict[str, Any]]] = []
    for line, cells in numbered(reader):
        report.rows += 1
        values = validate(form, columns, cells, line, report)
        if values is not None:
            batch.append((line, values))
        if len(batch) >= BATCH:
            insert_batch(entry, batch, report)
            batch = []
            tick()
    insert_batch(entry, batch, report)
    if not report.rows:
        report.file_errors.append("The file has no rows under its first line.")


def numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank record with the line it starts on."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def validate(form: type[Form], columns: list[ColumnInfo], cells: list[str], line: int, report: Report) -> dict[str, Any] | None:
    """The row's values checked as the form checks them, or None after reporting its errors."""
    if len(cells) != len(columns):
        report.invalid += 1
        report.add(line, "", f"This line has {len(cells)} values, but the file has {len(columns)} columns.")
        return None
    data: MultiDict[str, str] = MultiDict()
    failed = False
    for info, cell in zip(columns, cells):
        text = unescape(cell)
        if isinstance(info.column.type, Boolean):
            text, ok = boolean(text)
            if not ok:
                report.add(line, info.key, "Enter true or false.")
                failed = True
        data[info.key] = text
    checked = form(formdata=data)
    if not checked.validate() or failed:
        report.invalid += 1
        for key, messages in checked.errors.items():
            report.add(line, key, " ".join(str(message) for message in messages))
        return None
    return {info.key: checked[info.key].data for info in columns}


def boolean(text: str) -> tuple[str, bool]:
    """Spell yes/no, 1/0, true/false the way the form's boolean fields read them."""
    word = text.strip().lower()
    if word in TRUE:
        return "true", True
    if word in FALSE:
        return "false", True
    return "", word == ""


def insert_batch(entry: ModelAdmin, batch: list[tuple[int, dict[str, Any]]], report: Report) -> None:
    """Insert ``batch`` under a savepoint; if it fails, find the failing rows one by one."""
    if not batch:
        return
    try:
        with db.session.begin_nested():
            for params in groups(entry, [values for _, values in batch]):
                audit.insert_rows(entry.model, params)  # each row's audit row in the same transaction
        report.passed += len(batch)
        return
    except DATA_ERRORS:
        pass  # some row broke a rule: retry each row alone to name it
    for line, values in batch:
        try:
            with db.session.begin_nested():
                audit.insert_rows(entry.model, groups(entry, [values])[0])
            report.passed += 1
        except DATA_ERRORS as exc:
            violation = classify(exc)
            if violation is None:
                raise
            problem = explain(violation, entry, SimpleNamespace(**{i.key: values.get(i.key) for i in entry.columns}))
            report.add(line, problem.field or "", problem.message)


def groups(entry: ModelAdmin, rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Insert parameters by column key, grouped so rows in one statement name the same columns.

    An empty value of a column with a default is left out, so the default fills it.
    """
    grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in rows:
        params = {}
        for key, value in values.items():
            info = entry.column(key)
            if value is None and (info.generated or info.column.default is not None):
                continue
            params[info.column.key] = value
        grouped.setdefault(tuple(params), []).append(params)
    return list(grouped.values())
