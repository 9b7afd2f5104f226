"""The provider applies what the agency says about its reports: `report.received` marks a sent report received,
on the day the unit applied every part."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.tables import Report
from protocol.messages import Envelope


class UnknownReport(LookupError):
    """The agency wrote about a report the provider never sent."""


async def apply_report_message(session: AsyncSession, envelope: Envelope) -> None:
    """The provider's queue handler for report.* messages: one message, applied once."""
    if envelope.type != "report.received":
        raise ValueError(f"The provider does not apply {envelope.type} messages; it only sends them.")
    report = (await session.exec(select(Report).where(Report.ref == envelope.request)
                                 .with_for_update())).first()
    if report is None or report.state not in ("sent", "received"):
        raise UnknownReport(f"no sent report {envelope.request!r} here")
    if report.unit != envelope.body["unit"]:
        raise UnknownReport(f"{envelope.request} went to {report.unit}, not to {envelope.body['unit']}")
    report.state, report.received_on = "received", date.fromisoformat(envelope.body["received_on"])
