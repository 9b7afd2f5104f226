"""The consent register (bot/records/consent.py) on SQLite and PostgreSQL: the newest event wins, a child's
consent is given by someone with authority over them, and `consented` answers for many people in one query."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, insert
from sqlmodel import select

from bot.models import Authority, Person
from bot.records.consent import consent_states, consented, record_consent
from bot.records.recording import RecordsProblem
from bot.records.tables import ConsentEvent
from protocol.clock import utcnow
from tests.bot.records.conftest import AGREEMENT

TODAY = date(2026, 3, 20)


async def record(db, ref, given=True, on=date(2026, 3, 1), how="form", by=None, consent="evaluation"):
    person = await db.person(ref)
    giver = await db.person(by) if by else None
    async with db.sessions.begin() as session:
        return await record_consent(session, AGREEMENT, person, consent, given=given, on=on, how=how,
                                    recorded_by="kaimahi", today=TODAY, by=giver)


async def consenting(db, person_ids=None) -> set[int]:
    async with db.sessions() as session:
        return await consented(session, "evaluation", person_ids)


async def test_a_consent_given_is_recorded_with_how_who_and_the_agreement_version(db):
    saved = await record(db, "P-0001", how="in person")

    assert (saved.person_id, saved.consent, saved.given, saved.on, saved.how, saved.by_person_id,
            saved.recorded_by, saved.agreement_version) == (
        db.ids["P-0001"], "evaluation", True, date(2026, 3, 1), "in person", None, "kaimahi", AGREEMENT.version)
    assert await consenting(db) == {db.ids["P-0001"]}


async def test_the_newest_event_wins_by_its_day_and_of_one_day_the_one_recorded_last(db):
    await record(db, "P-0001", given=True, on=date(2026, 3, 1))
    await record(db, "P-0001", given=False, on=date(2026, 3, 10))
    await record(db, "P-0001", given=True, on=date(2026, 2, 1))  # an old form, found and recorded late
    await record(db, "P-0003", given=False, on=date(2026, 3, 5))
    await record(db, "P-0003", given=True, on=date(2026, 3, 5))

    person = await db.person("P-0001")
    async with db.sessions() as session:
        [state] = await consent_states(session, AGREEMENT, person)

    assert await consenting(db) == {db.ids["P-0003"]}
    assert (state.consent.id, state.given, state.current.on) == ("evaluation", False, date(2026, 3, 10))
    assert [e.on for e in state.history] == [date(2026, 3, 10), date(2026, 3, 1), date(2026, 2, 1)]


async def test_consented_keeps_to_the_people_asked_about(db):
    await record(db, "P-0001")
    await record(db, "P-0003")

    assert await consenting(db, [db.ids["P-0003"], db.ids["P-0002"]]) == {db.ids["P-0003"]}
    assert await consenting(db, []) == set()


async def test_a_child_s_consent_given_by_a_parent_with_authority_names_the_parent(db):
    saved = await record(db, "P-0002", by="P-0001")

    assert saved.by_person_id == db.ids["P-0001"]
    assert await consenting(db) == {db.ids["P-0002"]}


async def test_someone_without_authority_over_the_child_cannot_give_it(db):
    with pytest.raises(RecordsProblem) as wrong:
        await record(db, "P-0002", by="P-0003")

    assert wrong.value.problems == ["Grace Smith (P-0003) has no recorded authority to act for Nikau Parata "
                                    "(P-0002): record the authority first, or leave who gave it empty."]
    assert await consenting(db) == set()


async def test_a_revoked_authority_no_longer_lets_a_parent_give_it(db):
    async with db.sessions.begin() as session:
        authority = (await session.exec(select(Authority))).one()
        authority.revoked_at = utcnow()
        session.add(authority)

    with pytest.raises(RecordsProblem):
        await record(db, "P-0002", by="P-0001")


async def test_an_unknown_consent_a_day_in_the_future_and_an_unknown_way_are_each_refused(db):
    with pytest.raises(RecordsProblem) as wrong:
        await record(db, "P-0001", consent="photos", on=date(2026, 3, 21), how="carrier pigeon")

    assert wrong.value.problems == [
        "The agreement lists no consent 'photos' (its consents are evaluation).",
        "The day 2026-03-21 is in the future; record a consent on or after the day it was given or withdrawn.",
        "How it was given must be one of: form, in person, phone, email (not 'carrier pigeon').",
    ]


async def test_consented_answers_for_10000_people_in_one_query(db):
    async with db.sessions.begin() as session:
        connection = await session.connection()
        await connection.execute(insert(Person.__table__), [
            {"ref": f"Q-{n:05d}", "participant_id": f"BFF-Q-{n}", "given_name": "Test", "family_name": f"P {n}",
             "is_young_person": False, "language": "en"} for n in range(10_000)])
        ids = [row[0] for row in await connection.exec_driver_sql(
            "SELECT id FROM provider_person WHERE ref LIKE 'Q-%' ORDER BY id")]
        await connection.execute(insert(ConsentEvent.__table__), [
            {"person_id": pid, "consent": "evaluation", "given": n % 3 != 0, "on": date(2026, 3, 1), "how": "form",
             "recorded_by": "import", "agreement_version": AGREEMENT.version, "recorded_at": utcnow()}
            for n, pid in enumerate(ids)])
    statements = []

    async with db.sessions() as session:
        engine = (await session.connection()).engine.sync_engine
        listen = lambda *args: statements.append(args[2])  # noqa: E731 (the statement each query sends)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            found = await consented(session, "evaluation", ids)
        finally:
            event.remove(engine, "before_cursor_execute", listen)

    assert len(found) == sum(1 for n in range(10_000) if n % 3 != 0)
    assert len(statements) == 1
