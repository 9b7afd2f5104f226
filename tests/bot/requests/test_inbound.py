"""What the agency's messages change at the provider (bot/requests/inbound.py): each moves the family's
request through the same lifecycle, tells the family, and refuses what it cannot apply."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.models import RequestEvent
from bot.requests import staff
from bot.requests.inbound import UnknownRequest, apply_agency_message
from protocol import deadlines
from protocol.agreement import load_agreement
from protocol.lifecycle import IllegalMove
from protocol.messages import new_message
from tests.bot.requests.requests_support import RecordingOutbox, family_told, sent_request, the_request

TODAY = date(2026, 11, 25)
UNITS = [unit.id for unit in load_agreement().units]


def from_agency(type: str, ref: str | None, body: dict):
    return new_message(type, "agency", "provider", ref, 1, body)


async def relayed(new_chat, sessions) -> str:
    ref = await sent_request(new_chat, sessions)
    async with sessions.begin() as session:
        request = await the_request(session, ref)
        await staff.approve(session, request, "kaimahi", "id_seen")
        await staff.relay(session, request, RecordingOutbox(), load_agreement(), "kaimahi", TODAY)
    return ref


async def apply(sessions, envelope) -> None:
    async with sessions.begin() as session:
        await apply_agency_message(session, envelope)


def received(ref: str):
    return from_agency("request.received", ref, {"received_on": TODAY.isoformat(),
                                                  "decision_due": deadlines.decision_due(TODAY).isoformat(),
                                                  "units": UNITS})


def answered(ref: str, unit: str):
    return from_agency("unit.answered", ref, {"unit": unit, "released": [], "withheld": [], "not_held": [],
                                              "answered_on": TODAY.isoformat()})


async def test_the_agency_s_receipt_starts_the_clock_and_tells_the_family_the_due_date(new_chat, sessions):
    ref = await relayed(new_chat, sessions)

    await apply(sessions, received(ref))

    async with sessions() as session:
        request = await the_request(session, ref)
        assert (request.state, request.due_on, request.units) == ("received", deadlines.decision_due(TODAY), UNITS)
    assert any("must decide by" in text for text in await family_told(sessions, ref))


async def test_a_request_is_answered_only_when_every_unit_has_answered(new_chat, sessions):
    ref = await relayed(new_chat, sessions)
    await apply(sessions, received(ref))

    await apply(sessions, answered(ref, UNITS[0]))
    async with sessions() as session:
        assert (await the_request(session, ref)).state == "received"
    await apply(sessions, answered(ref, UNITS[1]))

    async with sessions() as session:
        assert (await the_request(session, ref)).state == "answered"


async def test_a_unit_opening_the_records_joins_the_history_by_unit_never_by_name(new_chat, sessions):
    ref = await relayed(new_chat, sessions)

    await apply(sessions, from_agency("records.opened", ref, {"unit": UNITS[0], "opened_on": TODAY.isoformat()}))

    async with sessions() as session:
        request = await the_request(session, ref)
        opened = (await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id,
                                                                RequestEvent.trigger == "opened"))).one()
        assert (opened.actor_role, opened.detail["unit"], request.state) == ("officer", UNITS[0], "relayed")


async def test_the_role_of_the_officer_who_opened_the_records_joins_the_history(new_chat, sessions):
    ref = await relayed(new_chat, sessions)

    await apply(sessions, from_agency("records.opened", ref, {"unit": "evaluation", "role": "evaluation-lead",
                                                              "opened_on": TODAY.isoformat()}))

    async with sessions() as session:
        request = await the_request(session, ref)
        opened = (await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id,
                                                                RequestEvent.trigger == "opened"))).one()
    assert opened.detail["role"] == "evaluation-lead"


async def test_a_message_about_a_request_the_provider_does_not_have_is_refused(sessions):
    with pytest.raises(UnknownRequest):
        await apply(sessions, received("BFF-2026-999999"))


async def test_a_message_the_lifecycle_does_not_allow_changes_nothing(new_chat, sessions):
    ref = await sent_request(new_chat, sessions)  # submitted, never relayed

    with pytest.raises(IllegalMove):
        await apply(sessions, received(ref))

    async with sessions() as session:
        assert (await the_request(session, ref)).state == "submitted"


async def test_the_agency_acknowledging_again_as_before_changes_nothing_and_tells_the_family_once(new_chat, sessions):
    ref = await relayed(new_chat, sessions)
    await apply(sessions, received(ref))
    await apply(sessions, answered(ref, UNITS[0]))

    await apply(sessions, received(ref))  # the relay went again after a restore, and was acknowledged again

    async with sessions() as session:
        request = await the_request(session, ref)
    told = [text for text in await family_told(sessions, ref) if "must decide by" in text]
    assert (request.state, request.due_on) == ("received", deadlines.decision_due(TODAY))
    assert len(told) == 1


async def test_an_acknowledgement_with_other_days_for_an_acknowledged_request_is_refused(new_chat, sessions):
    ref = await relayed(new_chat, sessions)
    await apply(sessions, received(ref))
    later = date(2026, 11, 26)
    other = from_agency("request.received", ref, {"received_on": later.isoformat(),
                                                   "decision_due": deadlines.decision_due(later).isoformat(),
                                                   "units": UNITS})

    with pytest.raises(IllegalMove):
        await apply(sessions, other)


async def test_a_unit_answering_again_as_before_on_a_later_day_changes_nothing_and_tells_the_family_once(
        new_chat, sessions):
    from bot.models import UnitAnswer

    ref = await relayed(new_chat, sessions)
    await apply(sessions, received(ref))
    for unit in UNITS:
        await apply(sessions, answered(ref, unit))
    told_before = await family_told(sessions, ref)
    again = answered(ref, UNITS[0])
    again.body["answered_on"] = date(2026, 11, 30).isoformat()  # the agency restored, the officer answered anew

    await apply(sessions, again)

    async with sessions() as session:
        request = await the_request(session, ref)
        answers = (await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id))).all()
    assert request.state == "answered"
    assert sorted(a.unit for a in answers) == sorted(UNITS)
    assert await family_told(sessions, ref) == told_before


async def test_a_unit_answering_again_differently_is_refused_with_a_sentence_and_the_first_answer_stands(
        new_chat, sessions):
    from bot.models import UnitAnswer
    from bot.requests.repeats import ContradictingAnswer

    ref = await relayed(new_chat, sessions)
    await apply(sessions, received(ref))
    await apply(sessions, answered(ref, UNITS[0]))
    other = answered(ref, UNITS[0])
    other.body["not_held"] = [{"description": "Nothing about this person."}]

    with pytest.raises(ContradictingAnswer, match=f"{UNITS[0]} answered request {ref} again, differently"):
        await apply(sessions, other)

    async with sessions() as session:
        request = await the_request(session, ref)
        kept = (await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id))).one()
    assert kept.body["not_held"] == []
