"""Arranging reports tests: people, their programme records and consents, inserted as the records room would;
and reading what the provider's outbox holds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select

from bot.models import Person
from bot.records.tables import ConsentEvent, ProgrammeRecord
from bot.reports.core import run
from linkqueue.tables import QUEUE_TABLES
from protocol.clock import utcnow
from protocol.messages import Envelope
from protocol.signing import verify

KEY = bytes(range(32))
TODAY = date(2026, 12, 7)


async def add_people(session, count: int, start: int = 1) -> list[int]:
    """People P-0001… with participant ids BFF-P-1001…; returns their ids."""
    ids = []
    for n in range(start, start + count):
        person = Person(ref=f"P-{n:04d}", participant_id=f"BFF-P-{1000 + n}", given_name=f"Hine{n}",
                        family_name=f"Parata{n}", birth_date=date(1990, 1, 1 + n % 28))
        session.add(person)
        await session.flush()
        ids.append(person.id)
    return ids


async def add_records(session, holding: str, rows: list[tuple[int, dict, str]]) -> None:
    """(person id, values, row key) each, in one executemany."""
    await run(session, insert(ProgrammeRecord.__table__), [
        {"holding": holding, "person_id": person_id, "row_key": row_key, "values": values, "revision": 1,
         "recorded_by": "tests", "recorded_at": utcnow(), "updated_at": utcnow()}
        for person_id, values, row_key in rows])


async def consent(session, agreement, person_ids, given: bool = True, on: date = date(2026, 10, 1)) -> None:
    for person_id in person_ids:
        session.add(ConsentEvent(person_id=person_id, consent="evaluation", given=given, on=on, how="form",
                                 recorded_by="tests", agreement_version=agreement.version))
    await session.flush()


async def outbox_messages(sessions, keyring=None) -> list[Envelope]:
    """Every message in the provider's outbox, stream by stream in order; each signature checked if a key ring
    is given."""
    box = QUEUE_TABLES["provider"].outbox
    async with sessions() as session:
        rows = (await run(session, select(box.c.envelope).order_by(box.c.stream, box.c.sequence))).scalars()
        found = [Envelope.from_json(raw) for raw in rows]
    for envelope in found:
        if keyring is not None:
            verify(envelope, keyring)
    return found


def attendance(person_id: int, day: str, session: str = "group session", came: str = "yes"):
    return (person_id, {"session_date": day, "session": session, "attended": came}, f"{day}|{session}")
