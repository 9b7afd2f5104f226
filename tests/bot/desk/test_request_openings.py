"""Opening a request is itself an event (DESIGN.md §8): it joins the request's hash chain without moving
the request, and one person looking again moments later adds nothing new."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.models import Request, RequestEvent
from bot.requests.moves import move, record_opening, record_still
from protocol.history import fields_of, first_broken


async def _request(sessions) -> Request:
    async with sessions.begin() as session:
        request = Request(ref="BFF-2026-000901", kind="access")
        session.add(request)
        await session.flush()
        await move(session, request, "submit", "family", actor_label="family chat")
    return request


async def _events(sessions, request) -> list[RequestEvent]:
    async with sessions() as session:
        return list(await session.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)
                                       .order_by(RequestEvent.seq)))


async def test_an_opening_joins_the_chain_and_leaves_the_request_where_it_is(sessions):
    request = await _request(sessions)

    async with sessions.begin() as session:
        request = await session.get(Request, request.id)
        opened = await record_opening(session, request, "staff", "Mere (CCSS)", "request page")

    events = await _events(sessions, request)
    assert (opened.trigger, opened.from_state, opened.to_state) == ("opened", "submitted", "submitted")
    assert (opened.actor_role, opened.actor_label, opened.detail) == ("staff", "Mere (CCSS)", {"what": "request page"})
    assert [e.seq for e in events] == [1, 2] and events[1].prev_hash == events[0].hash
    assert first_broken([(e.prev_hash, e.hash, fields_of(e)) for e in events]) is None


async def test_the_same_person_opening_again_moments_later_adds_nothing_but_someone_else_does(sessions):
    request = await _request(sessions)

    async with sessions.begin() as session:
        request = await session.get(Request, request.id)
        first = await record_opening(session, request, "staff", "Mere (CCSS)", "request page")
        again = await record_opening(session, request, "staff", "Mere (CCSS)", "request page")
        other = await record_opening(session, request, "staff", "Hēmi (CCSS)", "request page")

    assert first is not None and again is None and other is not None
    assert [e.actor_label for e in await _events(sessions, request)] == ["family chat", "Mere (CCSS)", "Hēmi (CCSS)"]


async def test_an_opening_long_after_the_last_is_recorded_again(sessions):
    request = await _request(sessions)
    async with sessions.begin() as session:
        request = await session.get(Request, request.id)
        first = await record_opening(session, request, "staff", "Mere (CCSS)", "request page")
        first.at = first.at - timedelta(hours=2)  # as if it were two hours ago (the hash is not checked here)
        session.add(first)

    async with sessions.begin() as session:
        request = await session.get(Request, request.id)
        later = await record_opening(session, request, "staff", "Mere (CCSS)", "request page")

    assert later is not None and later.seq == 3


async def test_only_known_still_events_and_roles_are_recorded(sessions):
    request = await _request(sessions)

    async with sessions.begin() as session:
        request = await session.get(Request, request.id)
        with pytest.raises(ValueError, match="not an event that leaves a request where it is"):
            await record_still(session, request, "peeked", "staff", "Mere", {})
        with pytest.raises(ValueError):
            await record_opening(session, request, "janitor", "Mere", "request page")
