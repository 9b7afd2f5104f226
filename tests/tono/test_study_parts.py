"""[reporting] item 6: a request never re-identifies a family at the agency. The part of a request about what a
unit holds under a study number goes on its own, with only the study number and a reference of its own, to the
roles that see study-numbered data; the family is told that they answered without learning who asked. On SQLite
and PostgreSQL, over the seeded demo (whose questionnaire reports already reached the evaluators under study
numbers)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from agency import answering
from agency.desk import store as agency_store
from agency.models import AgencyRecord, AgencyRequest, Officer, Task
from bot.copies.explain import explanation
from bot.copies.items import answer_items
from bot.language.i18n import say
from bot.models import Authority, Person, Request, StudyPart
from bot.reports import study_numbers
from bot.reports.tables import LedgerEntry
from linkqueue.tables import QUEUE_TABLES
from protocol.messages import Envelope
from tests.agency.desk.agency_world import family_asks, staff_relay, tono_app
from tests.bot.chat_driver import TODAY

VERSIONS = [("en", "adult"), ("en", "child"), ("mi", "adult"), ("mi", "child")]
# What the family is told, in each version, about the part answered under a study number.
WITHOUT_LEARNING = {("en", "adult"): "answered this part without learning who asked",
                    ("en", "child"): "answered without knowing who asked",
                    ("mi", "adult"): "me te kore e mōhio ko wai i pātai",
                    ("mi", "child"): "me te kore e mōhio ko wai i pātai"}


@pytest.fixture
async def world(seeded_url, tmp_path):
    made = tono_app(seeded_url, tmp_path)
    yield made
    await made.engine.dispose()


async def _sent_to_agency(world) -> list[Envelope]:
    box = QUEUE_TABLES["provider"].outbox
    async with world.sessions() as session:
        return [Envelope.from_json(raw) for raw in (await session.exec(select(box.c.envelope))).all()]


def _names_of(person: Person) -> list[str]:
    said = [person.participant_id, person.given_name, person.family_name]
    return [value for value in said if value] + ([person.birth_date.isoformat()] if person.birth_date else [])


async def test_no_message_for_a_request_hands_a_unit_both_a_name_and_a_study_number_over_every_flow(world):
    agreement = world.agreement
    study_flows = [flow for flow in agreement.flows if not flow.identifiable]
    assert study_flows  # the demo's questionnaire
    async with world.sessions() as session:
        sent_under_numbers = {(e.person_id, e.unit) for e in await session.exec(select(LedgerEntry).where(
            LedgerEntry.flow.in_([flow.id for flow in study_flows]), LedgerEntry.named.is_(False)))}
        people = {p.id: p for p in await session.exec(select(Person))}
        parents = {a.subject_id: a.actor_id for a in await session.exec(select(Authority))}
        every_number = {unit: {} for unit in (u.id for u in agreement.units)}
        for person_id in people:
            for unit, number in (await study_numbers.study_numbers(session, person_id)).items():
                every_number[unit][person_id] = number
    assert len({person for person, _ in sent_under_numbers}) >= 25

    asked: list[tuple[Request, Person]] = []
    async with world.sessions.begin() as session:
        for person_id in sorted({person for person, _ in sent_under_numbers}):
            person = people[person_id]
            for kind in ("access", "correction"):
                request = Request(ref=f"R-{person.ref}-{kind}", kind=kind, state="approved", subject_id=person.id,
                                  requester_id=parents.get(person.id, person.id), scope="both",
                                  identity_checked="id_seen", correction_what="My answers",
                                  correction_should_say="Other answers")
                session.add(request)
                await session.flush()
                await study_numbers.relay(session, request, world.link.provider, agreement, "kaimahi", TODAY)
                asked.append((request, person))
    async with world.sessions() as session:
        parts = {p.ref: p for p in await session.exec(select(StudyPart))}
    messages = await _sent_to_agency(world)
    by_stream: dict[str, list[Envelope]] = {}
    for message in messages:
        by_stream.setdefault(message.request, []).append(message)

    all_numbers = {number for numbers in every_number.values() for number in numbers.values()}
    for request, person in asked:
        (named,) = by_stream[request.ref]
        carried = json.dumps(named.body, ensure_ascii=False)
        assert named.type == "request.relayed" and person.participant_id in carried
        assert not any(number in carried for number in all_numbers)  # named, so no study number at all
        mine = [p for p in parts.values() if p.request_id == request.id]
        # One part for each unit the ledger says holds the person's data under a study number, and no other.
        assert {(p.unit, p.study_number) for p in mine} == {
            (unit, every_number[unit][person.id]) for unit in every_number if person.id in every_number[unit]}
        for part in mine:
            (message,) = by_stream[part.ref]
            carried = json.dumps(message.body, ensure_ascii=False)
            assert message.type == "study_part.relayed" and message.body["study_number"] == part.study_number
            assert message.body["unit"] == part.unit and message.recipient == agreement.agency.id
            assert set(message.body) <= {"kind", "unit", "study_number", "scope", "relayed_on", "correction"}
            # Nothing that names anyone: the person, the requester, any participant id; no shared reference.
            assert not any(value in carried for value in _names_of(person))
            assert not any(value in carried for value in _names_of(people[request.requester_id]))
            assert "BFF-P-" not in carried
            assert request.ref not in message.request and request.ref not in carried
            assert person.ref not in message.request

    # At the agency: each request's named part and study parts are tasks no one role sees together.
    await world.link.settle()
    async with world.sessions() as session:
        tasks = list(await session.exec(select(Task, AgencyRequest).join(AgencyRequest,
                                                                        AgencyRequest.id == Task.request_id)))
    assert {t.study_numbered for t, _ in tasks} == {True, False}
    for task, request in tasks:
        assert task.study_numbered == request.study_numbered
        if request.study_numbered:
            assert request.participant_id.startswith("S-") and "subject" not in request.relayed
    for unit in agreement.units:
        kinds = {t.study_numbered for t, _ in tasks if t.unit_id == unit.id}
        for role in unit.seen_by:
            assert len(kinds & unit.sight(role.id)) <= 1, (unit.id, role.id)


async def test_a_familys_access_request_returns_the_survey_answers_from_the_evaluators_without_naming_anyone(world):
    await family_asks(world, person="P-0001", key="aroha-study")
    await staff_relay(world, study_parts=True)

    async with world.sessions.begin() as session:
        named = (await session.exec(select(AgencyRequest).where(AgencyRequest.study_numbered.is_(False)))).one()
        study = (await session.exec(select(AgencyRequest).where(AgencyRequest.study_numbered.is_(True)))).one()
        part = (await session.exec(select(StudyPart))).one()
        assert (study.provider_ref, study.participant_id) == (part.ref, part.study_number)
        assert named.participant_id == "BFF-P-1001" and named.provider_ref not in study.provider_ref
        study_task = (await session.exec(select(Task).where(Task.request_id == study.id))).one()
        assert (study_task.unit_id, study_task.study_numbered) == ("evaluation", True)
        lead = (await session.exec(select(Officer).where(Officer.unit_id == "evaluation",
                                                         Officer.role == "evaluation-lead"))).one()
        evaluator = (await session.exec(select(Officer).where(Officer.login == "evaluator"))).one()  # the demo's
        assert evaluator.role == "evaluator"

        # The lead, who keeps the consent forms, sees the named part only; the evaluator the study part only.
        def queue_of(officer):
            return agency_store.queue_page(session, "evaluation", "todo", TODAY,
                                           sight=answering.sight(world.agreement, officer))
        assert [row.request.id for row in (await queue_of(lead)).rows] == [named.id]
        assert [row.request.id for row in (await queue_of(evaluator)).rows] == [study.id]
        with pytest.raises(agency_store.NotFound):
            await agency_store.unit_task(session, lead, study_task.id, sight=answering.sight(world.agreement, lead))

        for task in await session.exec(select(Task).where(Task.request_id == named.id)):
            officer = (await session.exec(select(Officer).where(Officer.unit_id == task.unit_id,
                                                                Officer.role != "evaluator"))).one()
            await answering.claim(session, task, officer)
            held = await answering.unit_records(session, task, named)
            assert not any(r.study_numbered for r in held)
            given = (answering.Answer(release=[r.id for r in held]) if held
                     else answering.Answer(not_held=["Nothing else about you."]))
            await answering.answer(session, task, officer, given, world.link.agency, TODAY)
    await world.link.settle()
    async with world.sessions() as session:  # every named unit has answered: the study part has not yet
        request = (await session.exec(select(Request).where(Request.ref == named.provider_ref))).one()
        part = (await session.exec(select(StudyPart))).one()
    assert (request.state, part.state) == ("received", "received")

    async with world.sessions.begin() as session:
        study_task = await session.get(Task, study_task.id)
        evaluator = (await session.exec(select(Officer).where(Officer.login == "evaluator"))).one()
        records = await answering.unit_records(session, study_task, study)
        assert records and all(r.study_numbered and r.participant_id == study.participant_id for r in records)
        await answering.claim(session, study_task, evaluator)
        await answering.answer(session, study_task, evaluator, answering.Answer(release=[r.id for r in records]),
                               world.link.agency, TODAY)
        survey_titles = {r.title for r in records}
    await world.link.settle()

    async with world.sessions() as session:
        request = (await session.exec(select(Request).where(Request.ref == named.provider_ref))).one()
        part = (await session.exec(select(StudyPart))).one()
        items = await answer_items(session, request)
    assert (request.state, part.state) == ("answered", "answered")
    from_the_evaluators = [i for i in items if i.study_numbered]
    assert {i.title for i in from_the_evaluators} == survey_titles
    assert all(i.holder == "evaluation" and i.kind == "released" for i in from_the_evaluators)
    for language, register in VERSIONS:
        told = "\n".join(say(text, language, register) for text in explanation(
            world.agreement, request.ref, items, language, register, TODAY))
        assert WITHOUT_LEARNING[(language, register)] in told, (language, register)
        evaluators = world.agreement.text(world.agreement.unit("evaluation").seen_by[0].name, language, register)
        assert evaluators in told


async def test_withdrawing_a_request_withdraws_its_study_parts_at_the_agency(world):
    chat = await family_asks(world, person="P-0001", key="aroha-withdraws")
    await staff_relay(world, study_parts=True)
    await chat.command("status")
    await chat.press("Withdraw")
    await chat.press("Yes, withdraw it")
    await world.link.settle()

    async with world.sessions() as session:
        part = (await session.exec(select(StudyPart))).one()
        study = (await session.exec(select(AgencyRequest).where(AgencyRequest.study_numbered.is_(True)))).one()
        task = (await session.exec(select(Task).where(Task.request_id == study.id))).one()
    assert (part.state, study.state, task.state) == ("withdrawn", "withdrawn", "withdrawn")


async def test_a_study_part_cannot_ask_the_family_a_question_or_be_transferred(world):
    await family_asks(world, person="P-0001", key="aroha-asks")
    await staff_relay(world, study_parts=True)
    async with world.sessions.begin() as session:
        study = (await session.exec(select(AgencyRequest).where(AgencyRequest.study_numbered.is_(True)))).one()
        task = (await session.exec(select(Task).where(Task.request_id == study.id))).one()
        evaluator = (await session.exec(select(Officer).where(Officer.login == "evaluator"))).one()  # the demo's
        with pytest.raises(answering.AnswerError, match="only a study number"):
            await answering.ask_clarification(session, task, evaluator, "Which survey?", world.link.agency)
        with pytest.raises(answering.AnswerError, match="only a study number"):
            await answering.transfer(session, task, evaluator, "Another agency", "Not ours", world.link.agency,
                                     date(2026, 12, 7))


async def test_every_study_numbered_record_at_the_evaluators_is_one_no_named_request_shows(world):
    await family_asks(world, person="P-0001", key="aroha-named")
    await staff_relay(world, study_parts=True)
    async with world.sessions() as session:
        named = (await session.exec(select(AgencyRequest).where(AgencyRequest.study_numbered.is_(False)))).one()
        shown = []
        for task in await session.exec(select(Task).where(Task.request_id == named.id)):
            shown += await answering.unit_records(session, task, named)
        numbered = (await session.exec(select(AgencyRecord).where(AgencyRecord.study_numbered.is_(True)))).all()
    assert numbered and not {r.id for r in shown} & {r.id for r in numbered}


async def test_a_statement_of_correction_about_a_survey_answer_goes_in_the_study_parts_stream_and_is_attached(world):
    from bot.models import CorrectionStatement
    from bot.requests import delivery
    from bot.requests.moves import move

    chat = await family_asks(world, kind="correction", person="P-0001", key="aroha-statement")
    await staff_relay(world, study_parts=True)
    async with world.sessions.begin() as session:
        for task in list(await session.exec(select(Task).where(Task.state == "open"))):
            request = await session.get(AgencyRequest, task.request_id)
            if task.study_numbered:
                officer = (await session.exec(select(Officer).where(Officer.login == "evaluator"))).one()
                survey = (await answering.unit_records(session, task, request))[0]
                given = answering.Answer(not_corrected={survey.id: "The answer is as the family gave it."})
            else:
                officer = (await session.exec(select(Officer).where(Officer.login == f"officer-{task.unit_id}"))).one()
                given = answering.Answer(not_held=["Nothing of this is held here."])
            await answering.claim(session, task, officer)
            await answering.answer(session, task, officer, given, world.link.agency, TODAY)
    await world.link.settle()
    async with world.sessions.begin() as session:
        request = (await session.exec(select(Request).where(Request.kind == "correction"))).one()
        part = (await session.exec(select(StudyPart).where(StudyPart.request_id == request.id))).one()
        await move(session, request, "prepare", "staff", actor_label="kaimahi")
        await delivery.deliver(session, request, "kaimahi")
    await chat.press_action(f"copies:{request.ref}", screen=0)
    attach = next(b.action for r in chat.said.replies for row in r.buttons for b in row
                  if b.action.startswith("statement:"))
    await chat.press_action(attach, screen=0)
    await chat.send("I answered that question about my son, not about me.")
    await world.link.settle()

    sent = [m for m in await _sent_to_agency(world) if m.type == "correction.statement"]
    async with world.sessions() as session:
        held = await session.get(AgencyRecord, survey.id)
        kept = (await session.exec(select(CorrectionStatement).where(
            CorrectionStatement.request_id == request.id))).one()
        letters = QUEUE_TABLES["agency"].dead_letter
        refused = (await session.exec(select(letters.c.id).where(letters.c.handled_at.is_(None),
                                                                 letters.c.junk.is_(False)))).all()
    assert [(m.request, m.body["item_id"]) for m in sent] == [(part.ref, str(survey.id))]  # its stream, its id only
    assert held.statement_of_correction == "I answered that question about my son, not about me."
    assert kept.attached_on is not None
    assert refused == []
    async with world.sessions() as session:
        from bot.language.i18n import from_json
        from bot.models import Notification

        news = [say(from_json(n.text), "en", "adult") for n in await session.exec(
            select(Notification).where(Notification.request_id == request.id))]
    assert any(text.startswith("Your statement is now attached to the record") for text in news)
