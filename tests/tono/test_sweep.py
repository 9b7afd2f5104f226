"""The deadline sweep tells a family once when the agency is late, and reminds staff and units once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from agency.models import Task
from agency.sweep import sweep as agency_sweep
from bot.language.i18n import from_json, say
from bot.models import Notification, Request
from bot.requests.sweep import sweep as provider_sweep
from protocol.agreement import load_agreement
from tests.bot.chat_driver import TODAY
from tests.tono.test_journey import _family_asks, _staff_relay, world  # noqa: F401  (the fixture)


async def test_a_late_agency_is_told_to_the_family_once_with_their_right_to_complain(world):  # noqa: F811
    sessions, link, conversations, agreement = world
    await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    async with sessions() as session:
        due = (await session.exec(select(Request))).one().due_on

    first = await provider_sweep(sessions, agreement, due + timedelta(days=1))
    second = await provider_sweep(sessions, agreement, due + timedelta(days=2))

    assert (first.told_late, second.told_late) == (1, 0)
    async with sessions() as session:
        last = (await session.exec(select(Notification).order_by(Notification.id.desc()))).first()
    said = say(from_json(last.text), "en", "adult")
    assert "is late" in said and "Privacy Commissioner" in said and "23 December 2026" in said


async def test_staff_and_units_are_reminded_once_as_the_due_date_nears(world):  # noqa: F811
    sessions, link, conversations, agreement = world
    await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()
    near = date(2026, 12, 17)  # 4 working days before 23 December

    provider_counts = [(await provider_sweep(sessions, agreement, near)).reminded for _ in range(2)]
    agency_counts = [await agency_sweep(sessions, load_agreement(), near) for _ in range(2)]

    assert provider_counts == [1, 0]
    assert agency_counts == [2, 0]
    async with sessions() as session:
        assert {t.reminded_on for t in await session.exec(select(Task))} == {near}
        assert (await session.exec(select(Request))).one().reminded_on == near
    assert near > TODAY
