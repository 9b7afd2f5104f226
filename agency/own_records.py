"""The unit's own records: what a unit adds from its own systems (by desk upload or its JSON API), beside
what the provider's reports bring. Each belongs to the one unit that added it, names its person by
participant id, and comes from no report, so the desk says it came from the unit's own systems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from agency.models import AgencyRecord


@dataclass(frozen=True)
class OwnRecord:
    """One record as a unit's system gives it, already checked (agency/desk/inputs.py OwnRecordIn)."""

    participant_id: str
    title: str
    body: str
    record_date: date


async def add_own_records(session: AsyncSession, unit_id: str, records: list[OwnRecord]) -> list[AgencyRecord]:
    """Add the records to the unit, in the caller's transaction: all of them, or (if it fails) none."""
    added = [AgencyRecord(unit_id=unit_id, participant_id=r.participant_id, study_numbered=False, title=r.title,
                          body=r.body, record_date=r.record_date) for r in records]
    session.add_all(added)
    await session.flush()
    return added
