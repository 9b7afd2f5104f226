"""Inserting many rows at once as fast as the database allows, inside the caller's transaction.

A report brings tens of thousands of rows (80,000 for a month's attendance of 10,000 people). Through
SQLAlchemy's executemany each value passes through its column type's processor one at a time, which took most
of the time (8 s for 80,000 rows on PostgreSQL). Here PostgreSQL takes the rows by COPY and SQLite by the
driver's own executemany, on the transaction's own connection, with each value written as SQLAlchemy would
write it; any other database gets SQLAlchemy's executemany. Our own code because no library does this for
SQLAlchemy's async drivers: it imports only SQLAlchemy and the standard library (a contract says so), so both
organisations' sides may use it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection


def _integrity_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [IntegrityError, sqlite3.IntegrityError]
    try:
        from asyncpg.exceptions import IntegrityConstraintViolationError
        errors.append(IntegrityConstraintViolationError)
    except ImportError:  # a deployment on SQLite only
        pass
    return tuple(errors)


INTEGRITY_ERRORS = _integrity_errors()


class Refused(Exception):
    """The database refused a row (a unique or foreign key broken): nothing of the transaction may be kept."""


def sqlite_moment(moment: datetime) -> str:
    """A moment as SQLAlchemy keeps it in SQLite: UTC, without its zone, to the microsecond."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_writers(table: Table, columns: Sequence[str]) -> list[Callable[[object], object]]:
    """How SQLite takes each column's Python value (as SQLAlchemy would write it)."""
    writers = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, JSON):
            writers.append(_json)
        elif isinstance(kind, DateTime):
            cache: dict = {}  # a batch's rows usually share one moment: written out once
            writers.append(lambda v, cache=cache: None if v is None else cache.get(v) or cache.setdefault(
                v, sqlite_moment(v)))
        elif isinstance(kind, Date):
            writers.append(lambda v: None if v is None else v.isoformat())
        elif isinstance(kind, Boolean):
            writers.append(lambda v: None if v is None else int(v))
        else:
            writers.append(None)
    return writers


def _postgres_writers(table: Table, columns: Sequence[str]) -> list[Callable[[object], object] | None]:
    return [_json if isinstance(table.c[name].type, JSON) else None for name in columns]


def _rows(rows: Sequence[dict], columns: Sequence[str], writers) -> list[tuple]:
    pairs = list(zip(columns, writers, strict=True))
    return [tuple(row[name] if write is None else write(row[name]) for name, write in pairs) for row in rows]


async def insert_rows(connection: AsyncConnection, table: Table, rows: Sequence[dict]) -> None:
    """Insert the rows (dicts with the same keys, a value for each column given) into the table; Refused if the
    database refuses one."""
    if not rows:
        return
    columns = list(rows[0])
    dialect = connection.dialect
    try:
        if dialect.name == "postgresql" and dialect.driver == "asyncpg":
            driver = (await connection.get_raw_connection()).driver_connection
            await driver.copy_records_to_table(table.name, columns=columns,
                                               records=_rows(rows, columns, _postgres_writers(table, columns)))
        elif dialect.name == "sqlite" and dialect.driver == "aiosqlite":
            driver = (await connection.get_raw_connection()).driver_connection
            names = ", ".join(f'"{name}"' for name in columns)
            await driver.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                                     _rows(rows, columns, _sqlite_writers(table, columns)))
        else:
            await connection.execute(insert(table), list(rows))
    except INTEGRITY_ERRORS as refused:
        raise Refused(str(refused)) from None
