"""The provider's ledger as a family reads it: every sending of a person's information to the agency, for
the chat's person and the children they may act for (answers FamilyPort.sendings)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.ports import Sending
from bot.models import Person
from bot.reports.tables import LedgerEntry
from protocol.clock import nz_today

NEWEST_PER_PERSON = 200  # more than a family reads; the chat shows the newest and counts the rest


async def sendings_about(session: AsyncSession, person_ids: list[int]) -> list[Sending]:
    """Each person's sendings, newest first, the people in the order given."""
    found: list[Sending] = []
    for person_id in person_ids:
        rows = await session.exec(
            select(LedgerEntry, Person.given_name).join(Person, Person.id == LedgerEntry.person_id)
            .where(LedgerEntry.person_id == person_id)
            .order_by(LedgerEntry.sent_at.desc(), LedgerEntry.id.desc()).limit(NEWEST_PER_PERSON))
        found += [Sending(person_id=entry.person_id, given_name=given_name, day=nz_today(entry.sent_at),
                          flow=entry.flow, unit=entry.unit, named=entry.named, correction=entry.correction)
                  for entry, given_name in rows]
    return found
