"""The ledger as the desk shows it on a person's page: every sending of the person's information, newest first,
in words (which flow, which fields, to which unit, when, under which agreement version, named or under a study
number, approved by which role)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.tables import LedgerEntry, Report
from protocol.agreement import Agreement

SHOWN = 200  # a person's page lists at most this many sendings (a family in the programme for years has ~60)


@dataclass(frozen=True)
class Sending:
    entry: LedgerEntry
    report_ref: str
    unit_name: str
    flow_what: str
    field_labels: list[str]


def _labels(agreement: Agreement, flow_id: str, fields: list[str]) -> list[str]:
    try:
        holding = agreement.holding(agreement.flow(flow_id).holding)
    except KeyError:  # a flow since taken out of the agreement: its field names are all that is known
        return list(fields)
    return [holding.field(name).label if name in holding.field_names else name for name in fields]


def _text(agreement: Agreement, find, text_of, fallback: str) -> str:
    try:
        return agreement.text(text_of(find()), "en", "adult")
    except KeyError:
        return fallback


async def person_ledger(session: AsyncSession, agreement: Agreement, person_id: int) -> list[Sending]:
    """The person's ledger entries, newest first, ready for the `_ledger.html` partial."""
    rows = (await session.exec(
        orm_select(LedgerEntry, Report.ref).join(Report, Report.id == LedgerEntry.report_id)
        .where(LedgerEntry.person_id == person_id)
        .order_by(LedgerEntry.sent_at.desc(), LedgerEntry.id.desc()).limit(SHOWN))).all()
    return [Sending(entry, ref,
                    _text(agreement, lambda e=entry: agreement.unit(e.unit), lambda u: u.name, entry.unit),
                    _text(agreement, lambda e=entry: agreement.flow(e.flow), lambda f: f.what, entry.flow),
                    _labels(agreement, entry.flow, entry.fields))
            for entry, ref in rows]
