"""Answering a unit's part of a request (agency/answering.py): only the unit's own officers, only its own
records, every withholding with a ground and a sentence, the request answered when every unit has."""

from __future__ import annotations

import pytest
from sqlmodel import select

from agency import answering
from agency.models import AgencyRequest, Task
from protocol.statemachine import IllegalMove
from tests.agency.desk.agency_world import TODAY, what_the_agency_has
from tests.bot.requests.requests_support import RecordingOutbox


async def _claimed(world, unit: str):
    found = await what_the_agency_has(world)
    async with world.sessions.begin() as session:
        task = await session.get(Task, found.tasks[unit].id)
        await answering.claim(session, task, found.officers[unit])
    return found


async def _answer(world, found, unit: str, given: answering.Answer, outbox=None):
    async with world.sessions.begin() as session:
        task = await session.get(Task, found.tasks[unit].id)
        return await answering.answer(session, task, found.officers[unit], given, outbox or RecordingOutbox(), TODAY)


def _units(found) -> tuple[str, str]:
    first, second = sorted(found.tasks)
    return first, second


async def test_an_officer_cannot_claim_another_unit_s_task(world):
    found = await what_the_agency_has(world)
    mine, theirs = _units(found)

    with pytest.raises(answering.NotYourUnit):
        async with world.sessions.begin() as session:
            await answering.claim(session, await session.get(Task, found.tasks[theirs].id), found.officers[mine])


async def test_an_answer_releasing_the_unit_s_records_is_sent_to_the_provider(world):
    unit = _units(await what_the_agency_has(world))[0]
    found = await _claimed(world, unit)
    outbox = RecordingOutbox()
    ids = [record.id for record in found.records[unit]]

    body = await _answer(world, found, unit, answering.Answer(release=ids), outbox)

    (message,) = outbox.sent
    assert message["type"] == "unit.answered" and message["body"] == body
    assert [item["item_id"] for item in body["released"]] == [str(i) for i in ids]


async def test_a_withheld_record_needs_a_ground_of_the_act_and_a_sentence_for_the_family(world):
    unit = _units(await what_the_agency_has(world))[0]
    found = await _claimed(world, unit)
    record = found.records[unit][0].id

    with pytest.raises(answering.AnswerError, match="not grounds"):
        await _answer(world, found, unit, answering.Answer(withhold={record: ("because", "A reason.")}))
    with pytest.raises(answering.AnswerError, match="Explain each withheld record"):
        await _answer(world, found, unit, answering.Answer(withhold={record: ("another_persons_affairs", " ")}))


async def test_another_unit_s_records_cannot_be_released_in_this_unit_s_answer(world):
    mine, theirs = _units(await what_the_agency_has(world))
    found = await _claimed(world, mine)

    with pytest.raises(answering.AnswerError, match="not this unit's records"):
        await _answer(world, found, mine, answering.Answer(release=[found.records[theirs][0].id]))


async def test_only_the_officer_holding_a_task_answers_it(world):
    unit = _units(await what_the_agency_has(world))[0]
    found = await what_the_agency_has(world)  # nobody has claimed it

    with pytest.raises(IllegalMove):
        await _answer(world, found, unit, answering.Answer(not_held=["Nothing else."]))


async def test_the_request_is_answered_when_the_last_unit_answers(world):
    first, second = _units(await what_the_agency_has(world))
    for unit in (first, second):
        found = await _claimed(world, unit)
        await _answer(world, found, unit, answering.Answer(not_held=["Nothing about this."]))

    async with world.sessions() as session:
        request = (await session.exec(select(AgencyRequest))).one()
        assert request.state == "answered"
