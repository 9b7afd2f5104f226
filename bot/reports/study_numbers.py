"""Which units hold a person's data under a study number, and under which number: read from the ledger (the
sendings not named) and the rows those reports carried. The request service (bot.requests, a room below this
one) asks each of these units a study part of a family's request on its own (bot/requests/study_parts.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Request
from bot.reports.tables import LedgerEntry, ReportRow
from bot.requests import staff
from protocol.agreement import Agreement
from protocol.queue import Outbox


async def study_numbers(session: AsyncSession, person_id: int) -> dict[str, str]:
    """Unit -> the study number the ledger says the unit received this person's rows under (the newest sending's,
    should there ever be more than one)."""
    rows = await session.exec(
        select(LedgerEntry.unit, ReportRow.subject)
        .join(ReportRow, (ReportRow.report_id == LedgerEntry.report_id)
              & (ReportRow.person_id == LedgerEntry.person_id))
        .where(LedgerEntry.person_id == person_id, LedgerEntry.named.is_(False), ReportRow.held_back.is_(False))
        .order_by(LedgerEntry.sent_at, LedgerEntry.id))
    return {unit: subject for unit, subject in rows}


async def relay(session: AsyncSession, request: Request, outbox: Outbox, agreement: Agreement, staff_name: str,
                today: date) -> None:
    """Relay a request with its study parts: the named request, and one part per unit holding the person's data
    under a study number."""
    numbers = await study_numbers(session, request.subject_id) if request.subject_id is not None else {}
    await staff.relay(session, request, outbox, agreement, staff_name, today, study_numbers=numbers)
