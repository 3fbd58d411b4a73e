"""The admin's record of CSV imports: the uploaded file and how far its check or import got."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, LargeBinary, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.accounts import INTERNAL, utcnow
from webapp.models.base import Base

# MariaDB's TEXT and BLOB stop at 64 KiB; a report of 100 errors or an upload needs more.
REPORT_TEXT = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
FILE_BYTES = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class ImportJob(Base):
    """One uploaded CSV file, checked and then imported by a background thread of any host."""

    __tablename__ = "import_jobs"
    __table_args__ = {"info": INTERNAL}

    token: Mapped[str] = mapped_column(String(22), primary_key=True)  # unguessable: it is the job's URL
    slug: Mapped[str] = mapped_column(String(100))  # the table it imports into
    stage: Mapped[str] = mapped_column(String(10))  # checking, checked, importing, imported, failed
    filename: Mapped[str] = mapped_column(String(255))
    share: Mapped[float] = mapped_column(Float, default=0.0)  # of the file read so far
    report: Mapped[str] = mapped_column(REPORT_TEXT, default="{}")  # JSON: counts, errors by line
    account: Mapped[str | None] = mapped_column(String(100))  # who confirmed the import, for the audit trail
    updated: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    data: Mapped[bytes | None] = mapped_column(FILE_BYTES)  # the file, until it is imported or cannot be


class BulkReport(Base):
    """The row-by-row outcome of a bulk action, shown by any host after the redirect."""

    __tablename__ = "bulk_reports"
    __table_args__ = {"info": INTERNAL}

    token: Mapped[str] = mapped_column(String(22), primary_key=True)  # unguessable: it is the report's URL
    slug: Mapped[str] = mapped_column(String(100))  # the table the action changed
    body: Mapped[str] = mapped_column(REPORT_TEXT)  # JSON: action, message, rows
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
