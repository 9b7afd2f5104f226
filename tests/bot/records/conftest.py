"""A migrated database (SQLite and PostgreSQL) with a small family of its own, so the programme's data starts
empty whatever the demo records: Aroha (P-0001, a parent), Nikau (P-0002, her child, for whom she may act),
Grace (P-0003, no authority over Nikau), and Hemi (P-0004, with no programme id yet)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.models import Authority, Family, Person
from protocol.agreement import load_agreement
from tono import migrate
from tono.database import make_engine, make_sessionmaker

AGREEMENT = load_agreement()
PEOPLE = [("P-0001", "BFF-P-1001", "Aroha", "Parata", date(1988, 3, 14), False),
          ("P-0002", "BFF-P-1002", "Nikau", "Parata", date(2013, 9, 2), True),
          ("P-0003", "BFF-P-1004", "Grace", "Smith", date(1961, 11, 30), False),
          ("P-0004", "", "Hemi", "Walker", None, False)]


@dataclass
class Db:
    url: str
    sessions: object
    ids: dict[str, int]  # person ref -> id

    async def person(self, ref: str) -> Person:
        async with self.sessions() as session:
            return await session.get(Person, self.ids[ref])


@pytest.fixture
def migrated_url(database_url) -> str:
    migrate.upgrade(database_url)  # it runs its own event loop, so not inside the async fixture below
    return database_url


@pytest.fixture
async def db(migrated_url):
    database_url = migrated_url
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        family = Family(ref="F-0001", name="Parata whānau")
        session.add(family)
        await session.flush()
        people = [Person(ref=ref, participant_id=pid, family_id=family.id, given_name=given, family_name=surname,
                         birth_date=born, is_young_person=young) for ref, pid, given, surname, born, young in PEOPLE]
        session.add_all(people)
        await session.flush()
        session.add(Authority(actor_id=people[0].id, subject_id=people[1].id, relationship="parent",
                              evidence="Birth certificate seen"))
        ids = {p.ref: p.id for p in people}
    yield Db(database_url, sessions, ids)
    await engine.dispose()
