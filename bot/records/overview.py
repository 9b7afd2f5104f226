"""One person's programme data, as the desk's person page and the JSON API show it: each holding that has
fields, with the person's rows and each row's corrections, and each consent with its history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Person
from bot.records.consent import HOW, ConsentState, consent_states
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from protocol.agreement import Agreement, Holding


@dataclass(frozen=True)
class HoldingRows:
    holding: Holding
    rows: list[ProgrammeRecord]  # oldest first, as they were recorded
    corrections: dict[int, list[ProgrammeCorrection]]  # by record id, newest first


@dataclass(frozen=True)
class ProgrammeData:
    holdings: list[HoldingRows]
    consents: list[ConsentState]
    people: dict[int, Person]  # who gave a consent for the person, by id
    ways: tuple[str, ...] = HOW  # how a consent can be given, for the desk's form


def holdings_with_fields(agreement: Agreement) -> list[Holding]:
    return [holding for holding in agreement.provider_holds if holding.fields]


async def programme_data(session: AsyncSession, agreement: Agreement, person: Person) -> ProgrammeData:
    """Everything recorded for one person, in agreement order."""
    records = list(await session.exec(select(ProgrammeRecord).where(ProgrammeRecord.person_id == person.id)
                                      .order_by(ProgrammeRecord.id)))
    corrections: dict[int, list[ProgrammeCorrection]] = {}
    if records:
        for correction in await session.exec(select(ProgrammeCorrection).where(
                col(ProgrammeCorrection.record_id).in_([r.id for r in records]))
                .order_by(col(ProgrammeCorrection.id).desc())):
            corrections.setdefault(correction.record_id, []).append(correction)
    holdings = [HoldingRows(holding, [r for r in records if r.holding == holding.id], corrections)
                for holding in holdings_with_fields(agreement)]
    consents = await consent_states(session, agreement, person)
    by_ids = {e.by_person_id for state in consents for e in state.history if e.by_person_id}
    people = {p.id: p for p in await session.exec(select(Person).where(col(Person.id).in_(by_ids)))} if by_ids else {}
    return ProgrammeData(holdings, consents, people)
