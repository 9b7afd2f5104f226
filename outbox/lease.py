"""Leasing rows of an outbox table: a sender claims a waiting row for a while (its lease), so that two senders
never try the same row at once; a sender that dies holding one loses it when the lease runs out, and the row is
tried again. A failed attempt is counted and the row waits out a backoff before anyone may try it again.

Two ways to keep the lease, both used: in a column of its own (`claimed_until`, the notifier's, which also tells
a row whose sender died from one that merely failed), or as a `next_attempt_at` moved one lease ahead (the
linked queue's, whose receiver recognises a message it already has).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from outbox.backoff import Backoff

LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Leased:
    """Where an outbox table keeps a row's tries. Columns are SQLAlchemy Core columns or ORM attributes."""

    table: Any  # what UPDATE statements name: a Table, or a mapped class
    key: Any  # the column that names one row
    next_attempt_at: Any  # not tried before this time
    attempts: Any  # failed attempts so far
    last_error: Any  # why the last attempt failed
    claimed_until: Any = None  # the lease, in a column of its own; None: kept in next_attempt_at


@dataclass(frozen=True)
class Leasing:
    """The rules for one outbox table: how long a claim lasts, how long a failure waits."""

    columns: Leased
    lease: timedelta = LEASE
    backoff: Backoff = field(default_factory=Backoff)
    error_length: int = 1000  # the longest reason kept

    # --- what the rules say about a row ----------------------------------------------------------------

    def ready(self, now: datetime) -> ColumnElement[bool]:
        """In SQL: the row is due and nobody holds it."""
        c = self.columns
        due = c.next_attempt_at <= now
        return due if c.claimed_until is None else and_(due, or_(c.claimed_until.is_(None), c.claimed_until <= now))

    def ready_now(self, next_attempt_at: datetime, claimed_until: datetime | None, now: datetime) -> bool:
        """The same question asked of a row already read (a sender that must take a chat's oldest row or none)."""
        return next_attempt_at <= now and (claimed_until is None or claimed_until <= now)

    def taken(self, now: datetime) -> dict[str, Any]:
        """What a claim writes: the row held for one lease."""
        c = self.columns
        return {_name(c.next_attempt_at if c.claimed_until is None else c.claimed_until): now + self.lease}

    def given_back(self, now: datetime) -> dict[str, Any]:
        """What letting go of an untried claim writes: free again at once, and no attempt counted."""
        c = self.columns
        return {_name(c.next_attempt_at): now} if c.claimed_until is None else {_name(c.claimed_until): None}

    def failed(self, attempts: int, now: datetime, reason: str) -> dict[str, Any]:
        """What a failed attempt writes (`attempts` failed before it): counted, the reason kept, the claim let
        go, and the row left alone for the backoff's wait."""
        c = self.columns
        values = {_name(c.attempts): attempts + 1, _name(c.next_attempt_at): now + self.backoff.after(attempts + 1),
                  _name(c.last_error): reason[:self.error_length]}
        if c.claimed_until is not None:
            values[_name(c.claimed_until)] = None
        return values

    # --- the same, done on the database (inside the caller's transaction) --------------------------------

    async def claim(self, connection: AsyncConnection, query: Select, now: datetime) -> list[Row]:
        """The rows `query` selects that are ready now, each claimed for one lease. `query` must select the key.

        Rows another sender is claiming at this moment are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL;
        SQLite takes its write lock at BEGIN, so there the second sender waits and then sees them claimed).
        """
        rows = (await connection.execute(query.where(self.ready(now)).with_for_update(skip_locked=True))).all()
        if rows:
            key = self.columns.key
            await connection.execute(update(self.columns.table).where(key.in_([getattr(row, _name(key))
                                                                               for row in rows]))
                                     .values(**self.taken(now)))
        return rows

    async def give_back(self, connection: AsyncConnection, keys: list, now: datetime, *where: Any) -> None:
        """Let go of claims on rows that were not tried (and still match `where`), with no attempt counted."""
        if keys:
            await connection.execute(update(self.columns.table).where(self.columns.key.in_(keys), *where)
                                     .values(**self.given_back(now)))

    async def fail(self, connection: AsyncConnection, key: Any, now: datetime, reason: str) -> int:
        """Record a failed attempt on one row; returns how many attempts have now failed."""
        c = self.columns
        attempts = (await connection.execute(select(c.attempts).where(c.key == key))).scalar_one()
        await connection.execute(update(c.table).where(c.key == key).values(**self.failed(attempts, now, reason)))
        return attempts + 1


def _name(column: Any) -> str:
    """A column's name as UPDATE … VALUES takes it (a Core column's key, or a mapped attribute's)."""
    return column.key
