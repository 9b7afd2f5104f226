"""The provider's deadline sweep, run periodically: tell a family honestly, once, when the agency is late,
and mark requests whose due date is near so staff see a reminder on the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import delete, select

from bot.language.i18n import Plain, _
from bot.models import Request, SeenUpdate
from bot.outbound.notify import notify
from protocol import deadlines, lifecycle
from protocol.agreement import Agreement
from protocol.clock import utcnow


@dataclass(frozen=True)
class Swept:
    told_late: int
    reminded: int


async def sweep(sessions: async_sessionmaker, agreement: Agreement, today: date) -> Swept:
    """One pass; each request is told or reminded once (the dates it happened are kept on the request)."""
    horizon = deadlines.add_working_days(today, agreement.service_levels.reminder_before_due_working_days)
    told = reminded = 0
    async with sessions.begin() as session:
        late = await session.exec(select(Request).where(
            Request.state.in_(lifecycle.AT_AGENCY), Request.due_on < today, Request.late_told_on.is_(None))
            .with_for_update())
        for request in late:
            request.late_told_on = today
            session.add(request)
            await notify(session, request, _(
                "Your request {ref} is late: the agency had to decide by {due}. We are asking them about it. You "
                "can also complain to the Privacy Commissioner (privacy.org.nz or 0800 803 909).",
                ref=Plain(request.ref), due=request.due_on))
            told += 1
        near = await session.exec(select(Request).where(
            Request.state.in_(lifecycle.AT_AGENCY), Request.due_on >= today, Request.due_on <= horizon,
            Request.reminded_on.is_(None)).with_for_update())
        for request in near:
            request.reminded_on = today
            session.add(request)
            reminded += 1
        # Updates seen more than two days ago cannot come again (Telegram keeps them for a day at most).
        await session.exec(delete(SeenUpdate).where(SeenUpdate.seen_at < utcnow() - timedelta(days=2)))
    return Swept(told, reminded)
