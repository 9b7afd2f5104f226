"""What the database did for a query: the statements a code path ran, and each one's plan, so a full scan
of a table that grows is named rather than guessed (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# Tables that grow with the years; a full scan of a small one (units, officers, staff) costs nothing.
GROWING = frozenset({
    "provider_family", "provider_person", "provider_authority", "provider_chat_link", "provider_conversation",
    "provider_request", "provider_request_event", "provider_contact_request", "provider_notification",
    "provider_seen_update", "agency_request", "agency_task", "agency_event", "agency_record",
})
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)")
_POSTGRES_SCAN = re.compile(r"Seq Scan on (\w+)")
_EXPLAINABLE = ("SELECT", "WITH", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Plan:
    statement: str
    lines: list[str]
    full_scans: list[str]  # growing tables read from end to end


class Recorder:
    """Keeps the statements an engine runs while recording (the app's own engine, so nothing is re-typed)."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement: str, parameters: Any, _context, executemany: bool) -> None:
        if self.on and not executemany and statement.lstrip().upper().startswith(_EXPLAINABLE):
            self.statements.append((statement, parameters))

    @contextmanager
    def recording(self) -> Iterator[None]:
        self.statements, self.on = [], True
        try:
            yield
        finally:
            self.on = False

    async def plans(self, large: set[str]) -> list[Plan]:
        """The plan of each distinct statement recorded last (run after the timing, so it costs no time);
        full scans are named only for `large` tables: reading a table of a few rows whole is the right plan."""
        seen, plans = set(), []
        for statement, parameters in self.statements:
            if statement in seen:
                continue
            seen.add(statement)
            plans.append(await explain(self.engine, statement, parameters, large))
        return plans


async def explain(engine: AsyncEngine, statement: str, parameters: Any, large: set[str]) -> Plan:
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as conn:
        try:
            result = await conn.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement,
                                                parameters)
            rows = result.all()
        except Exception as error:  # a plan we cannot get is reported, not fatal: the timing still stands
            return Plan(statement, [f"(no plan: {type(error).__name__}: {error})"], [])
        finally:
            await conn.rollback()
    lines = [row[3] if sqlite else row[0] for row in rows]
    pattern = _SQLITE_SCAN if sqlite else _POSTGRES_SCAN
    scans = [m[1] for line in lines if (m := pattern.search(line.strip())) and m[1] in GROWING & large]
    return Plan(" ".join(statement.split()), lines, scans)
