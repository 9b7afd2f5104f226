"""Many rows inserted at once (COPY on PostgreSQL, the driver's executemany on SQLite) read back exactly as
SQLAlchemy's own insert would have written them, and a refused row is said, not half-kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from agency.models import AgencyRecord, AgencyReport
from bulk import Refused, insert_rows
from tono import migrate
from tono.database import make_engine

MOMENT = datetime(2026, 12, 7, 3, 4, 5, 678901, tzinfo=UTC)


def _record(n: int, report_id: int) -> dict:
    return {"unit_id": "evaluation", "participant_id": f"S-{n:016d}", "study_numbered": n % 2 == 0,
            "report_id": report_id, "row_id": f"row-{n}", "values": {"stage": "start", "routines": n, "gone": None},
            "title": f"Survey {n}", "body": "Stage: start", "record_date": date(2026, 11, n % 28 + 1),
            "created_at": MOMENT}


@pytest.fixture
def migrated_url(database_url):
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture
async def connection(migrated_url):
    engine = make_engine(migrated_url)
    async with engine.begin() as conn:
        await conn.execute(insert(AgencyReport.__table__.metadata.tables["agency_unit"]),
                           [{"id": "evaluation", "name": "Evaluation team"}])
        report = (await conn.execute(insert(AgencyReport.__table__).returning(AgencyReport.__table__.c.id), [{
            "provider": "ccss", "ref": "RPT-x", "flow": "survey-answers", "unit_id": "evaluation", "period": "2026-11",
            "named": False, "agreement_version": "a" * 64, "parts": 1, "rows": 3, "received_on": date(2026, 12, 7),
            "received_at": MOMENT}])).scalar_one()
        yield conn, report
    await engine.dispose()


async def test_rows_inserted_in_bulk_read_back_as_the_orm_wrote_them(connection):
    conn, report = connection
    table = AgencyRecord.__table__

    await insert_rows(conn, table, [_record(n, report) for n in range(1, 4)])
    await conn.execute(insert(table), [_record(n, report) for n in range(4, 6)])  # SQLAlchemy's own way

    rows = (await conn.execute(select(table).order_by(table.c.id))).mappings().all()
    assert [row["values"] for row in rows] == [_record(n, report)["values"] for n in range(1, 6)]
    assert [row["study_numbered"] for row in rows] == [False, True, False, True, False]
    assert [row["record_date"] for row in rows] == [date(2026, 11, n % 28 + 1) for n in range(1, 6)]
    assert {row["created_at"] for row in rows} == {MOMENT}


async def test_a_row_the_database_refuses_is_said_as_refused(connection):
    conn, report = connection
    table = AgencyRecord.__table__
    await insert_rows(conn, table, [_record(1, report)])

    with pytest.raises(Refused):
        await insert_rows(conn, table, [_record(2, report), _record(1, report)])  # row-1 again: unique per unit
