"""The whole journey across the linked queue, without the desks' web pages: a family asks in the chat,
staff approve and relay, the agency fans out to its units, each answers, the family is told. On SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from agency import answering
from agency.models import AgencyRecord, AgencyRequest, Officer, Task
from bot.chat.conversation import Conversations
from bot.language.i18n import from_json, say
from bot.models import Notification, Request, UnitAnswer
from bot.requests import staff
from protocol.agreement import load_agreement
from tests.agency.desk.agency_world import family_plan, outcomes_are_sent
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.bot.family_asks import family_asks
from tono.database import make_engine, make_sessionmaker
from tono.link import Link


@pytest.fixture
async def world(seeded_url, tmp_path):
    engine = make_engine(seeded_url)
    sessions = make_sessionmaker(engine)
    agreement = load_agreement()
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: TODAY)
    conversations = Conversations(sessions, agreement, today=lambda: TODAY, outbox=link.provider)
    yield sessions, link, conversations, agreement
    await engine.dispose()


async def _family_asks(conversations, sessions, kind="access") -> FamilyChat:
    return await family_asks(conversations, sessions, kind=kind)


async def _staff_relay(sessions, link, agreement) -> None:
    async with sessions.begin() as session:
        request = (await session.exec(select(Request))).one()
        await staff.approve(session, request, "kaimahi", "known_in_person")
        await staff.relay(session, request, link.provider, agreement, "kaimahi", TODAY)


async def _told(sessions) -> list[str]:
    async with sessions() as session:
        rows = await session.exec(select(Notification).order_by(Notification.id))
        return [say(from_json(n.text), "en", "adult") for n in rows]


async def _officer_task(sessions, unit: str):
    async with sessions() as session:
        officer = (await session.exec(select(Officer).where(Officer.login == f"officer-{unit}"))).one()
        task = (await session.exec(select(Task).where(Task.unit_id == unit))).one()
        return officer, task


async def units_answer(sessions, link, give) -> None:
    """Each unit's officer claims its task and answers with `give(unit, records)`; then the queue settles."""
    async with sessions() as session:
        agency_request = (await session.exec(select(AgencyRequest))).one()
    for unit in ("evaluation", "service-reporting"):
        officer, task = await _officer_task(sessions, unit)
        async with sessions.begin() as session:
            task, officer = await session.get(Task, task.id), await session.get(Officer, officer.id)
            await answering.claim(session, task, officer)
            records = await answering.unit_records(session, task, agency_request)
            await answering.answer(session, task, officer, give(unit, records), link.agency, TODAY)
    await link.settle()


async def test_an_access_request_goes_to_two_units_and_comes_back_answered(world, tmp_path):
    sessions, link, conversations, agreement = world
    await outcomes_are_sent(sessions, link, agreement, tmp_path / "keys")  # Aroha's family plan reaches its unit
    await _family_asks(conversations, sessions)

    await _staff_relay(sessions, link, agreement)
    await link.settle()

    async with sessions() as session:
        request = (await session.exec(select(Request))).one()
        tasks = list(await session.exec(select(Task)))
        agency_request = (await session.exec(select(AgencyRequest))).one()
    assert (request.state, request.received_on, request.due_on) == ("received", TODAY, date(2026, 12, 23))
    assert sorted(t.unit_id for t in tasks) == ["evaluation", "service-reporting"]
    assert agency_request.provider_ref == request.ref

    held = {}
    for unit in ("evaluation", "service-reporting"):
        officer, task = await _officer_task(sessions, unit)
        async with sessions.begin() as session:
            task = await session.get(Task, task.id)
            officer = await session.get(Officer, officer.id)
            await answering.claim(session, task, officer)
            records = await answering.unit_records(session, task, agency_request)
            held[unit] = records
            plan = family_plan(records) if unit == "service-reporting" else None  # tells of her sister's affairs
            given = (answering.Answer(release=[r.id for r in records]) if plan is None else
                     answering.Answer(release=[r.id for r in records if r is not plan],
                                      withhold={plan.id: ("another_persons_affairs",
                                                          "It is mostly about another family member.")}))
            await answering.answer(session, task, officer, given, link.agency, TODAY)
    await link.settle()

    async with sessions() as session:
        request = (await session.exec(select(Request))).one()
        answers = {a.unit: a.body for a in await session.exec(select(UnitAnswer))}
    assert request.state == "answered"
    # the evaluation unit holds her consent form by name; her survey answers, under a study number, never show
    assert [r["title"] for r in answers["evaluation"]["released"]] == ["Evaluation consent: 4 September 2026"]
    assert [(w["title"], w["ground"]) for w in answers["service-reporting"]["withheld"]] == [
        (family_plan(held["service-reporting"]).title, "another_persons_affairs")]
    assert len(answers["service-reporting"]["released"]) == len(held["service-reporting"]) - 1
    told = await _told(sessions)
    assert any("passed your request" in t for t in told)
    assert any("must decide by 23 December 2026" in t for t in told)
    assert "has answered your request" in told[-1]


async def test_a_correction_is_answered_with_a_corrected_record(world):
    sessions, link, conversations, agreement = world
    await _family_asks(conversations, sessions, kind="correction")
    await _staff_relay(sessions, link, agreement)
    await link.settle()

    session_record = "Attendance: 8 September 2026, group session"  # from the demo's September attendance report
    new_text = "Date: 8 September 2026\nSession: group session\nCame: yes (Aroha came to 8 of 8 sessions)"
    await units_answer(sessions, link, lambda unit, records: (
        answering.Answer(corrected={r.id: new_text for r in records if r.title == session_record})
        if unit == "service-reporting" else answering.Answer(not_held=["No attendance records."])))

    async with sessions() as session:
        request = (await session.exec(select(Request))).one()
        record = (await session.exec(select(AgencyRecord).where(AgencyRecord.title == session_record,
                                                                AgencyRecord.participant_id == "BFF-P-1001"))).one()
        corrected = (await session.exec(select(UnitAnswer).where(UnitAnswer.unit == "service-reporting"))).one()
    assert (request.kind, request.state) == ("correction", "answered")
    assert record.body == new_text
    assert [(c["title"], c["new_text"]) for c in corrected.body["corrected"]] == [(session_record, new_text)]


async def test_a_clarification_goes_to_the_family_and_their_answer_back_to_the_agency(world):
    sessions, link, conversations, agreement = world
    chat = await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    officer, task = await _officer_task(sessions, "evaluation")
    async with sessions.begin() as session:
        task, officer = await session.get(Task, task.id), await session.get(Officer, officer.id)
        await answering.ask_clarification(session, task, officer, "Which term do you mean?", link.agency)
    await link.settle()

    async with sessions() as session:
        assert (await session.exec(select(Request))).one().state == "clarifying"
        notice = (await session.exec(select(Notification).order_by(Notification.id.desc()))).first()
    assert "Which term do you mean?" in say(from_json(notice.text), "en", "adult")
    [[[_label, action]]] = notice.buttons  # rows of buttons
    await chat.press_action(action, screen=0)
    await chat.send("Term 1 this year")
    await link.settle()

    async with sessions() as session:
        assert (await session.exec(select(Request))).one().state == "received"
        agency_request = (await session.exec(select(AgencyRequest))).one()
    assert (agency_request.state, agency_request.clarification_answer) == ("received", "Term 1 this year")
    assert "Your answer has gone to the agency" in chat.all_text


async def test_an_officer_cannot_answer_another_units_task(world):
    sessions, link, conversations, agreement = world
    await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()

    evaluation_officer, _ = await _officer_task(sessions, "evaluation")
    _, reporting_task = await _officer_task(sessions, "service-reporting")
    async with sessions.begin() as session:
        with pytest.raises(answering.NotYourUnit):
            await answering.claim(session, await session.get(Task, reporting_task.id),
                                  await session.get(Officer, evaluation_officer.id))
