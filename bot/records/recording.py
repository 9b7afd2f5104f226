"""Recording one row of a holding for one person (the desk's forms and the JSON API; the CSV import does the
same for many rows at once in importing.py).

A row is found by its key (protocol.field_values.row_key): a new key adds a row; the same values again
change nothing; other values are a correction, kept with what the row said before, who changed it, when and
why, and the row's revision goes up. Reports send a correction on to every unit that had the old value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import Person
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from protocol.agreement import Agreement, Holding
from protocol.clock import utcnow
from protocol.field_values import key_in_words, read_row, row_key

Outcome = Literal["added", "unchanged", "corrected"]


class RecordsProblem(Exception):
    """What staff sent cannot be recorded: every problem as a sentence, and the HTTP status that fits (404 for
    a person, holding or row that does not exist, 422 for what was typed). Nothing was written."""

    def __init__(self, problems: list[str], status: int = 422) -> None:
        super().__init__(" ".join(problems))
        self.problems, self.status = problems, status


@dataclass(frozen=True)
class Recorded:
    outcome: Outcome
    record: ProgrammeRecord


def holding_with_fields(agreement: Agreement, holding_id: str) -> Holding:
    """The holding rows are recorded in, or RecordsProblem: an unknown id (404), a holding that lists no fields."""
    try:
        holding = agreement.holding(holding_id)
    except KeyError as unknown:
        raise RecordsProblem([unknown.args[0]], 404) from None
    if not holding.fields:
        with_fields = ", ".join(h.id for h in agreement.provider_holds if h.fields)
        raise RecordsProblem([f"The holding {holding.id!r} lists no fields in the agreement, so no rows can be "
                              f"recorded in it (rows go in {with_fields})."])
    return holding


def check_person(person: Person) -> None:
    """Programme data is kept only for a person with a programme id (the agency's key for named flows)."""
    if not person.participant_id.strip():
        raise RecordsProblem([f"{person.ref} has no programme id, so no programme data can be recorded for them: "
                              "give them one first."])


async def record_row(session: AsyncSession, agreement: Agreement, person: Person, holding_id: str,
                     typed: Mapping[str, object], *, by: str, reason: str = "",
                     now: datetime | None = None) -> Recorded:
    """Record one row for `person`: added, unchanged (nothing written), or corrected (the old values kept)."""
    holding = holding_with_fields(agreement, holding_id)
    check_person(person)
    values, problems = read_row(holding, typed)
    if problems:
        raise RecordsProblem(problems)
    key = row_key(holding, values)
    record = (await session.exec(select(ProgrammeRecord).where(
        ProgrammeRecord.holding == holding.id, ProgrammeRecord.person_id == person.id,
        ProgrammeRecord.row_key == key).with_for_update())).first()
    now = now or utcnow()
    if record is None:
        record = ProgrammeRecord(holding=holding.id, person_id=person.id, row_key=key, values=values,
                                 recorded_by=by, recorded_at=now, updated_at=now)
        session.add(record)
        await session.flush()
        return Recorded("added", record)
    return _corrected(session, record, values, key, by=by, reason=reason, now=now)


async def correct_row(session: AsyncSession, agreement: Agreement, person: Person, holding_id: str,
                      record_id: int, typed: Mapping[str, object], *, by: str, reason: str = "",
                      now: datetime | None = None) -> Recorded:
    """Correct one known row (the desk's edit form): its key fields may change too, unless the person already
    has a row with the new key."""
    holding = holding_with_fields(agreement, holding_id)
    record = await session.get(ProgrammeRecord, record_id, with_for_update=True)
    if record is None or record.person_id != person.id or record.holding != holding.id:
        raise RecordsProblem([f"{person.ref} has no row {record_id} in {holding.id}."], 404)
    values, problems = read_row(holding, typed)
    if problems:
        raise RecordsProblem(problems)
    key = row_key(holding, values)
    if key != record.row_key and (await session.exec(select(ProgrammeRecord.id).where(
            ProgrammeRecord.holding == holding.id, ProgrammeRecord.person_id == person.id,
            ProgrammeRecord.row_key == key))).first() is not None:
        raise RecordsProblem([f"{person.ref} already has a row in {holding.id} for "
                              f"{key_in_words(holding, values)}: correct that row instead."], 409)
    return _corrected(session, record, values, key, by=by, reason=reason, now=now or utcnow())


def _corrected(session: AsyncSession, record: ProgrammeRecord, values: dict, key: str, *, by: str, reason: str,
               now: datetime) -> Recorded:
    if record.values == values and record.row_key == key:
        return Recorded("unchanged", record)
    old = dict(record.values)
    record.values, record.row_key = values, key
    record.revision += 1
    record.updated_at = now
    session.add(record)
    session.add(ProgrammeCorrection(record_id=record.id, revision=record.revision, old_values=old,
                                    new_values=values, reason=reason.strip(), changed_by=by, changed_at=now))
    return Recorded("corrected", record)
