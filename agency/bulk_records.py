"""Adding a report's rows to the unit's records as fast as the database allows, in the caller's transaction.

A report may bring 80,000 rows. Through SQLAlchemy's executemany each row's values pass through its type
processors one at a time, which took most of the time (8 s on PostgreSQL); here PostgreSQL takes the rows by
COPY, and SQLite by the driver's own executemany, on the transaction's own connection, with the values
written as SQLAlchemy would write them. Any other database gets SQLAlchemy's executemany.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from agency.models import AgencyRecord

RECORDS = AgencyRecord.__table__
COLUMNS = ("unit_id", "participant_id", "study_numbered", "report_id", "row_id", "values", "title", "body",
           "record_date", "created_at")


class RowAlreadyHeld(Exception):
    """The database refused a row: the unit already holds its row id (or the report or unit is gone)."""


def _integrity_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [IntegrityError, sqlite3.IntegrityError]
    try:
        from asyncpg.exceptions import IntegrityConstraintViolationError
        errors.append(IntegrityConstraintViolationError)
    except ImportError:  # a deployment on SQLite only
        pass
    return tuple(errors)


INTEGRITY_ERRORS = _integrity_errors()


async def insert_records(connection: AsyncConnection, records: list[dict]) -> None:
    """Insert the records (dicts of COLUMNS); RowAlreadyHeld if the database refuses one (then nothing of the
    transaction may be kept: the caller rolls it back)."""
    if not records:
        return
    dialect = connection.dialect
    try:
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            driver = (await connection.get_raw_connection()).driver_connection
            await driver.copy_records_to_table(RECORDS.name, columns=COLUMNS, records=[
                (r["unit_id"], r["participant_id"], r["study_numbered"], r["report_id"], r["row_id"],
                 json.dumps(r["values"]), r["title"], r["body"], r["record_date"], r["created_at"])
                for r in records])
        elif dialect.name == "sqlite" and dialect.driver == "aiosqlite":
            driver = (await connection.get_raw_connection()).driver_connection
            columns = ", ".join(f'"{name}"' for name in COLUMNS)
            moments: dict = {}  # a report's records share one moment: written out once, not 80,000 times
            await driver.executemany(
                f"INSERT INTO {RECORDS.name} ({columns}) VALUES ({', '.join('?' * len(COLUMNS))})", [
                    (r["unit_id"], r["participant_id"], int(r["study_numbered"]), r["report_id"], r["row_id"],
                     json.dumps(r["values"]), r["title"], r["body"], r["record_date"].isoformat(),
                     moments.get(r["created_at"]) or moments.setdefault(r["created_at"],
                                                                        _sqlite_moment(r["created_at"])))
                    for r in records])
        else:
            await connection.execute(insert(RECORDS), records)
    except INTEGRITY_ERRORS as refused:
        raise RowAlreadyHeld(str(refused)) from None


def _sqlite_moment(moment) -> str:
    """A moment as SQLAlchemy keeps it in SQLite: UTC, without its zone, to the microsecond."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
