"""Adding a report's rows to the unit's records as fast as the database allows, in the caller's transaction
(COPY on PostgreSQL, the driver's executemany on SQLite: see bulk/)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from agency.models import AgencyRecord
from bulk import Refused, insert_rows

RECORDS = AgencyRecord.__table__
COLUMNS = ("unit_id", "participant_id", "study_numbered", "report_id", "row_id", "values", "title", "body",
           "record_date", "created_at")


class RowAlreadyHeld(Exception):
    """The database refused a row: the unit already holds its row id (or the report or unit is gone)."""


async def insert_records(connection: AsyncConnection, records: list[dict]) -> None:
    """Insert the records (dicts of COLUMNS); RowAlreadyHeld if the database refuses one (then nothing of the
    transaction may be kept: the caller rolls it back)."""
    try:
        await insert_rows(connection, RECORDS, [{name: record[name] for name in COLUMNS} for record in records])
    except Refused as refused:
        raise RowAlreadyHeld(str(refused)) from None
