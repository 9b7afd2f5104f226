"""A turn sends the replies it claimed itself; the outbox's loop must not take them over when pacing holds
them past the claim's lease (found by the crash tests: with a short lease, an uninterrupted run sent the
copies' explanation twice)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.flows.chat import Reply, Said
from bot.language.i18n import Plain
from bot.models import Notification
from bot.outbound.notifier import Notifier
from bot.outbound.pacing import Pacer
from protocol.clock import utcnow
from tests.bot.test_outbox import Recorder, queue

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class SlowRecorder(Recorder):
    """Each send takes a while, as a paced one does."""

    async def send_text(self, chat_key, text, keyboard):
        await asyncio.sleep(0.4)
        await super().send_text(chat_key, text, keyboard)


async def test_a_turns_replies_sent_past_their_lease_go_once(sessions):
    target = SlowRecorder()
    lease = timedelta(seconds=0.5)
    texts = ["one", "two", "three", "four"]
    await queue(sessions, {"1": texts})
    async with sessions.begin() as session:  # claimed by the turn that queued them, as Conversations does
        rows = (await session.exec(select(Notification).order_by(Notification.id))).all()
        for row in rows:
            row.claimed_until = utcnow() + lease
            session.add(row)
    said = Said([Reply(Plain(t)) for t in texts], 0, None, "en", "adult", tuple(r.id for r in rows))
    notifier = Notifier(sessions, target, Pacer(per_chat=1000, burst=1000, overall=1000), lease=lease)
    loop = asyncio.create_task(notifier.run(idle=0.1))

    await notifier.send_claimed("1", said)
    await asyncio.sleep(0.3)  # the loop's next look, had it anything left to send
    loop.cancel()
    await asyncio.gather(loop, return_exceptions=True)
    await notifier.stop()

    assert [text for _key, text in target.sent] == texts
    async with sessions() as session:
        assert [(r.sent_at is not None, r.in_doubt) for r in await session.exec(select(Notification))] == [
            (True, 0)] * len(texts)
