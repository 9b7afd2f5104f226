"""The linked queue's contract (DESIGN.md §3.4): at-least-once delivery, exactly-once apply, order per
request, refused messages kept as dead letters. Every transport must pass these; today: SQL tables."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from linkqueue.tables import QUEUE_TABLES
from protocol.queue import Receipt, ReceiptStatus

WITHDRAWN = {"withdrawn_on": "2026-11-25"}


class Applied:
    """A handler that records what it applied, in the receiver's transaction."""

    def __init__(self, fail_times: int = 0):
        self.seen: list[str] = []
        self.fail_times = fail_times

    async def __call__(self, session, envelope):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("the receiver fell over while applying")
        self.seen.append(envelope.id)


async def _send(provider, sessions, request="BFF-2026-000001", body=WITHDRAWN, type="request.withdrawn"):
    async with sessions.begin() as session:
        return await provider.send(session, type=type, recipient="agency", request=request, body=body)


async def _count(sessions, table) -> int:
    async with sessions() as session:
        return (await (await session.connection()).execute(select(func.count()).select_from(table))).scalar_one()


async def test_a_sent_message_is_delivered_and_applied_once(ends):
    provider, agency, sessions = ends
    handler = Applied()

    sent = await _send(provider, sessions)
    assert await provider.push(agency.accept) == 1
    assert await agency.consume(handler) == 1

    assert handler.seen == [sent.id]
    assert await provider.undelivered() == 0


async def test_sending_is_undone_when_the_senders_transaction_rolls_back(ends):
    provider, agency, sessions = ends

    with pytest.raises(RuntimeError):
        async with sessions.begin() as session:
            await provider.send(session, type="request.withdrawn", recipient="agency",
                                request="BFF-2026-000001", body=WITHDRAWN)
            raise RuntimeError("the state change failed")

    assert await _count(sessions, QUEUE_TABLES["provider"].outbox) == 0
    assert await provider.push(agency.accept) == 0


async def test_a_message_delivered_twice_is_applied_once(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)

    first = await agency.accept(sent.to_json())
    second = await agency.accept(sent.to_json())
    await agency.consume(handler)
    await agency.consume(handler)

    assert first.status is ReceiptStatus.ACCEPTED
    assert second.status is ReceiptStatus.DUPLICATE
    assert handler.seen == [sent.id]


async def test_a_crash_between_delivery_and_acknowledgement_redelivers_and_still_applies_once(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)

    async def crashes_after_the_receiver_stored_it(raw: str) -> Receipt:
        await agency.accept(raw)
        raise ConnectionResetError("the sender died before it heard the answer")

    assert await provider.push(crashes_after_the_receiver_stored_it) == 0
    assert await provider.undelivered() == 1
    await _make_due(provider, sessions)
    assert await provider.push(agency.accept) == 1
    await agency.consume(handler)

    assert handler.seen == [sent.id]
    assert await provider.undelivered() == 0


async def test_a_failure_while_applying_changes_nothing_and_the_message_is_applied_on_retry(ends):
    provider, agency, sessions = ends
    handler = Applied(fail_times=1)
    sent = await _send(provider, sessions)
    await provider.push(agency.accept)

    assert await agency.consume(handler) == 0
    assert await agency.consume(handler) == 1

    assert handler.seen == [sent.id]


async def test_a_tampered_message_is_refused_kept_as_a_dead_letter_and_never_applied(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)
    tampered = json.loads(sent.to_json())
    tampered["body"]["withdrawn_on"] = "2026-11-26"

    receipt = await agency.accept(json.dumps(tampered))
    await agency.consume(handler)

    assert receipt.status is ReceiptStatus.REJECTED
    assert "signature" in receipt.reason
    letters = await agency.dead_letters()
    assert [(letter["message_id"], "signature" in letter["reason"]) for letter in letters] == [(sent.id, True)]
    assert handler.seen == []


async def test_a_refused_message_is_not_sent_again(ends):
    provider, agency, sessions = ends
    await _send(provider, sessions)

    async def refuses(raw: str) -> Receipt:
        return Receipt(ReceiptStatus.REJECTED, "the receiver does not know this type")

    await provider.push(refuses)
    await _make_due(provider, sessions)

    assert await provider.push(agency.accept) == 0
    assert await provider.undelivered() == 0


async def test_a_message_that_arrives_before_an_earlier_one_waits_and_both_apply_in_order(ends):
    provider, agency, sessions = ends
    handler = Applied()
    first = await _send(provider, sessions)
    second = await _send(provider, sessions, body={"withdrawn_on": "2026-11-26"})

    early = await agency.accept(second.to_json())
    await agency.accept(first.to_json())
    late = await agency.accept(second.to_json())
    await agency.consume(handler)

    assert early.status is ReceiptStatus.RETRY_LATER
    assert "Expected sequence 1" in early.reason
    assert late.status is ReceiptStatus.ACCEPTED
    assert handler.seen == [first.id, second.id]
    assert any("sequence" in letter["reason"] for letter in await agency.dead_letters())


async def test_each_request_has_its_own_sequence(ends):
    provider, _agency, sessions = ends

    a1 = await _send(provider, sessions, request="BFF-2026-000001")
    b1 = await _send(provider, sessions, request="BFF-2026-000002")
    a2 = await _send(provider, sessions, request="BFF-2026-000001")

    assert (a1.sequence, b1.sequence, a2.sequence) == (1, 1, 2)


async def test_a_message_for_the_other_side_is_refused(ends):
    provider, agency, sessions = ends
    sent = await _send(provider, sessions)

    receipt = await provider.accept(sent.to_json())

    assert receipt.status is ReceiptStatus.REJECTED


@pytest.mark.parametrize("raw", ["", "not json", "[]", '{"id": 5}', "{" * 10000])
async def test_malformed_input_is_refused_with_a_reason_and_kept(ends, raw):
    _provider, agency, _sessions = ends

    receipt = await agency.accept(raw)

    assert receipt.status is ReceiptStatus.REJECTED
    assert receipt.reason
    assert len(await agency.dead_letters()) == 1


async def test_two_consumers_at_once_never_apply_one_message_twice(ends):
    provider, agency, sessions = ends
    handler = Applied()
    for n in range(20):
        await _send(provider, sessions, request=f"BFF-2026-{n:06d}")
    await provider.push(agency.accept)

    counts = await asyncio.gather(agency.consume(handler), agency.consume(handler))

    assert sum(counts) == 20
    assert len(handler.seen) == len(set(handler.seen)) == 20


async def _make_due(end, sessions) -> None:
    """Let back-off and leases pass, as time would."""
    from sqlalchemy import update

    from protocol.clock import utcnow

    box = QUEUE_TABLES[end.side].outbox
    async with sessions.begin() as session:
        await (await session.connection()).execute(update(box).values(next_attempt_at=utcnow()))
