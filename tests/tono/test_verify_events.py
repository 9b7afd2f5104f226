"""`tono verify-events` finds a tampered event and names it; an untouched history checks out."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, update
from sqlmodel import select

from bot.models import RequestEvent
from tests.tono.test_journey import _family_asks, _staff_relay, world  # noqa: F401
from tono.cli import main


async def _journey(world):  # noqa: F811
    sessions, link, conversations, agreement = world
    await _family_asks(conversations, sessions)
    await _staff_relay(sessions, link, agreement)
    await link.settle()


@pytest.fixture
def verifying(world, seeded_url, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TONO_DATABASE_URL", seeded_url)
    return world


async def test_an_untouched_history_checks_out(verifying, capsys):
    await _journey(verifying)

    code = await asyncio.to_thread(main, ["verify-events"])

    assert code == 0
    assert "request histories check out" in capsys.readouterr().out


async def test_a_tampered_event_row_is_found_and_named(verifying, capsys):
    sessions = verifying[0]
    await _journey(verifying)
    async with sessions.begin() as session:
        approve = (await session.exec(select(RequestEvent).where(RequestEvent.trigger == "approve"))).one()
        await (await session.connection()).execute(update(RequestEvent.__table__).where(
            RequestEvent.__table__.c.id == approve.id).values(actor_label="someone else"))

    code = await asyncio.to_thread(main, ["verify-events"])

    assert code == 1
    err = capsys.readouterr().err
    assert "provider request BFF-2026-000001" in err and f"event {approve.seq} (approve" in err


@pytest.mark.parametrize("removed", ["the newest event", "every event"])
async def test_a_history_cut_short_is_found_because_the_request_records_its_newest_event(verifying, capsys, removed):
    sessions = verifying[0]
    await _journey(verifying)
    async with sessions.begin() as session:
        events = (await session.exec(select(RequestEvent).order_by(RequestEvent.seq))).all()
        gone = [events[-1].id] if removed == "the newest event" else [e.id for e in events]
        await (await session.connection()).execute(delete(RequestEvent.__table__).where(
            RequestEvent.__table__.c.id.in_(gone)))

    code = await asyncio.to_thread(main, ["verify-events"])

    assert code == 1
    err = capsys.readouterr().err
    assert "provider request BFF-2026-000001" in err
    assert ("were removed" if removed == "the newest event" else "every event of it was removed") in err
