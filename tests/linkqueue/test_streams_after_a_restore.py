"""A sender restored from an older backup numbers its new messages from its forgotten counter: the receiver
refuses them as reusing numbers it already has, `differences` names them, and settling numbers them afresh, in
order, after what the receiver has, signed again, so each arrives and is applied once, in its turn."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from linkqueue.tables import QUEUE_TABLES
from protocol.messages import Envelope
from protocol.signing import verify

STREAM = "REQ-RESTORED-1"
T = QUEUE_TABLES["provider"]


async def _send(ends, count: int, start: int = 0) -> list[str]:
    ids = []
    async with ends.sessions.begin() as session:
        for n in range(start, start + count):
            sent = await ends.provider.send(session, type="request.withdrawn", recipient="agency", request=STREAM,
                                            body={"withdrawn_on": f"2026-12-{n + 1:02d}"})
            ids.append(sent.id)
    return ids


async def _restore_to_after_the_first(ends) -> None:
    """The provider's backup held only the first message: the later ones and its counter's advance are gone."""
    async with ends.sessions.begin() as session:
        connection = await session.connection()
        await connection.execute(delete(T.outbox).where(T.outbox.c.stream == STREAM, T.outbox.c.sequence > 1))
        await connection.execute(update(T.stream_out).where(T.stream_out.c.stream == STREAM).values(last_sequence=1))


async def _applied_in_order(ends) -> list[tuple[int, str]]:
    inbox = QUEUE_TABLES["agency"].inbox
    async with ends.sessions() as session:
        return [tuple(row) for row in (await (await session.connection()).execute(
            select(inbox.c.sequence, inbox.c.id).where(inbox.c.stream == STREAM, inbox.c.applied_at.is_not(None))
            .order_by(inbox.c.sequence))).all()]


@pytest.mark.parametrize("transport", ["sql"])
async def test_messages_made_after_a_restore_are_numbered_afresh_after_what_the_other_has_and_applied_once(ends,
                                                                                                           keys):
    async def nothing(session, envelope):
        return None

    before = await _send(ends, 3)
    await ends.provider.push(ends.to_agency)
    await ends.agency.consume(nothing)
    await _restore_to_after_the_first(ends)
    after = await _send(ends, 2, start=3)  # numbered 2 and 3 again, from the forgotten counter
    await ends.provider.push(ends.to_agency)
    theirs = await ends.agency.stream_positions("ccss")

    found = await ends.provider.stream_differences("agency", theirs)
    settled = await ends.provider.settle_streams("agency", theirs)
    async with ends.sessions() as session:
        connection = await session.connection()
        rows = (await connection.execute(select(T.outbox.c.id, T.outbox.c.sequence, T.outbox.c.envelope).where(
            T.outbox.c.id.in_(after)).order_by(T.outbox.c.sequence))).all()
    for _ in range(3):
        await ends.provider.push(ends.to_agency)
        await ends.agency.consume(nothing)

    assert [d.sentence for d in found] == [
        f"{STREAM}: agency refused ccss's message(s) numbered 2, 3, numbers it already has from other messages "
        "(ccss was restored from an older backup): ccss numbers them afresh from 4."]
    assert len(settled) == 1
    assert [(row.id, row.sequence) for row in rows] == [(after[0], 4), (after[1], 5)]
    for row in rows:
        envelope = Envelope.from_json(row.envelope)
        assert envelope.sequence == row.sequence
        verify(envelope, keys[0])  # signed again with its new number
    assert await _applied_in_order(ends) == list(enumerate([*before, *after], start=1))
    assert await ends.provider.stream_differences("agency", await ends.agency.stream_positions("ccss")) == []
