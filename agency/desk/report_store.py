"""What the agency desk reads about the reports a unit received, and where each of its records came from.
Every query is filtered by the officer's unit: another unit's report is never listed, counted or named."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from agency.desk.store import PAGE_SIZE
from agency.desk.views import record_view
from agency.models import AgencyRecord, AgencyReport


async def reports_page(session: AsyncSession, unit_id: str, page: int) -> tuple[list[AgencyReport], int]:
    """The reports the unit received, newest first; never another unit's."""
    where = AgencyReport.unit_id == unit_id
    total = (await session.exec(select(func.count()).select_from(AgencyReport).where(where))).one()
    rows = list(await session.exec(select(AgencyReport).where(where)
                                   .order_by(AgencyReport.received_at.desc(), AgencyReport.id.desc())
                                   .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return rows, total


async def record_sources(session: AsyncSession, unit_id: str, records: list[AgencyRecord]) -> dict[int, AgencyReport]:
    """The report each record came from, by report id (the unit's own reports only)."""
    ids = {r.report_id for r in records if r.report_id is not None}
    if not ids:
        return {}
    return {report.id: report for report in await session.exec(select(AgencyReport).where(
        AgencyReport.unit_id == unit_id, AgencyReport.id.in_(ids)))}


async def record_views(session: AsyncSession, unit_id: str, records: list[AgencyRecord]) -> list[dict]:
    sources = await record_sources(session, unit_id, records)
    return [record_view(r, sources.get(r.report_id)) for r in records]
