"""The linked queue's contract (DESIGN.md §3.4): at-least-once delivery, exactly-once apply, order per
request, refused messages kept as dead letters. Every transport passes these, on SQLite and PostgreSQL: SQL
tables in one database, and HTTP between two servers, each with its own database (conftest.py)."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from linkqueue.guard import SAMPLE_CHARS, SAMPLES_PER_HOUR
from linkqueue.tables import QUEUE_TABLES
from protocol.messages import new_message
from protocol.queue import Receipt, ReceiptStatus
from protocol.signing import generate_keypair, load_private_key, sign

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
    assert await provider.push(ends.to_agency) == 1
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
    assert await provider.push(ends.to_agency) == 0


async def test_a_message_delivered_twice_is_applied_once(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)

    first = await ends.to_agency(sent.to_json())
    second = await ends.to_agency(sent.to_json())
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
        await ends.to_agency(raw)
        raise ConnectionResetError("the sender died before it heard the answer")

    assert await provider.push(crashes_after_the_receiver_stored_it) == 0
    assert await provider.undelivered() == 1
    await _make_due(provider, sessions)
    assert await provider.push(ends.to_agency) == 1
    await agency.consume(handler)

    assert handler.seen == [sent.id]
    assert await provider.undelivered() == 0


async def test_a_failure_while_applying_changes_nothing_and_the_message_is_applied_on_retry(ends):
    provider, agency, sessions = ends
    handler = Applied(fail_times=1)
    sent = await _send(provider, sessions)
    await provider.push(ends.to_agency)

    assert await agency.consume(handler) == 0
    assert await agency.consume(handler) == 1

    assert handler.seen == [sent.id]


class RefusesOne:
    """A handler that cannot apply one request's messages (its own fault, not the database's)."""

    def __init__(self, bad_request: str):
        self.bad_request, self.seen = bad_request, []

    async def __call__(self, session, envelope):
        if envelope.request == self.bad_request:
            raise ValueError("this message cannot be applied as it is")
        self.seen.append(envelope.id)


async def test_a_message_that_cannot_be_applied_holds_up_only_the_later_messages_of_its_own_request(ends):
    provider, agency, sessions = ends
    bad_first = await _send(provider, sessions, request="BFF-2026-000001")
    bad_second = await _send(provider, sessions, request="BFF-2026-000001")
    other = await _send(provider, sessions, request="BFF-2026-000002")
    await provider.push(ends.to_agency)
    handler = RefusesOne("BFF-2026-000001")

    assert await agency.consume(handler) == 1  # one round: the other request's message is not held up

    inbox = QUEUE_TABLES["agency"].inbox
    async with agency.sessions() as session:
        tried = dict((await (await session.connection()).execute(select(inbox.c.id, inbox.c.attempts))).all())
    assert handler.seen == [other.id]
    assert (tried[bad_first.id], tried[bad_second.id]) == (1, 0)  # the later one waited for the first


async def test_a_tampered_message_is_refused_kept_as_a_dead_letter_and_never_applied(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)
    tampered = json.loads(sent.to_json())
    tampered["body"]["withdrawn_on"] = "2026-11-26"

    receipt = await ends.to_agency(json.dumps(tampered))
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

    assert await provider.push(ends.to_agency) == 0
    assert await provider.undelivered() == 0


async def test_a_message_that_arrives_before_an_earlier_one_waits_and_both_apply_in_order(ends):
    provider, agency, sessions = ends
    handler = Applied()
    first = await _send(provider, sessions)
    second = await _send(provider, sessions, body={"withdrawn_on": "2026-11-26"})

    early = await ends.to_agency(second.to_json())
    await ends.to_agency(first.to_json())
    late = await ends.to_agency(second.to_json())
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

    receipt = await ends.to_provider(sent.to_json())

    assert receipt.status is ReceiptStatus.REJECTED


@pytest.mark.parametrize("raw", ["", "not json", "[]", '{"id": 5}', "{" * 10000],
                         ids=["empty", "not-json", "a-list", "no-envelope", "nested-too-deep"])
async def test_malformed_input_is_refused_with_a_reason_and_kept(ends, raw):
    _provider, agency, _sessions = ends

    receipt = await ends.to_agency(raw)

    assert receipt.status is ReceiptStatus.REJECTED
    assert receipt.reason
    assert len(await agency.dead_letters()) == 1


async def test_messages_with_hostile_identifiers_are_refused_with_a_reason_counted_and_sampled(ends):
    provider, agency, sessions = ends
    genuine = json.loads((await _send(provider, sessions)).to_json())
    hostile = [{**genuine, field: value} for field in ("id", "sender", "request")
               for value in ("a\u0000b", "\ud800", "x" * 5000, 7)]

    receipts = [await ends.to_agency(json.dumps(message)) for message in hostile]

    assert {r.status for r in receipts} == {ReceiptStatus.REJECTED}
    assert all(r.reason for r in receipts)
    letters = await agency.dead_letters()
    # Nobody's signature holds, so it is junk: each one counted, the first few kept as short samples.
    assert (await agency.inbox_watch()).last_hour.junk == len(hostile)
    assert len(letters) == SAMPLES_PER_HOUR < len(hostile)
    assert all(letter["junk"] and len(letter["raw"]) <= SAMPLE_CHARS for letter in letters)
    assert {letter["reason"] for letter in letters} <= {r.reason for r in receipts}


async def test_two_consumers_at_once_never_apply_one_message_twice(ends):
    provider, agency, sessions = ends
    handler = Applied()
    for n in range(20):
        await _send(provider, sessions, request=f"BFF-2026-{n:06d}")
    await provider.push(ends.to_agency)

    counts = await asyncio.gather(agency.consume(handler), agency.consume(handler))

    assert sum(counts) == 20
    assert len(handler.seen) == len(set(handler.seen)) == 20


async def test_a_replayed_message_is_a_duplicate_and_changes_nothing(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)
    await provider.push(ends.to_agency)
    await agency.consume(handler)

    replayed = await ends.to_agency(sent.to_json())
    await agency.consume(handler)

    assert replayed.status is ReceiptStatus.DUPLICATE
    assert handler.seen == [sent.id]
    assert await agency.dead_letters() == []


async def test_one_message_delivered_five_times_at_once_is_stored_once(ends):
    provider, agency, sessions = ends
    handler = Applied()
    sent = await _send(provider, sessions)

    receipts = await asyncio.gather(*(ends.to_agency(sent.to_json()) for _ in range(5)))
    await agency.consume(handler)

    assert sorted(r.status for r in receipts) == [ReceiptStatus.ACCEPTED] + [ReceiptStatus.DUPLICATE] * 4
    assert handler.seen == [sent.id]
    assert await agency.dead_letters() == []  # a copy that waited for the first is no message out of order


async def test_a_message_from_a_sender_we_hold_no_key_for_is_refused_and_kept(ends):
    _provider, agency, _sessions = ends
    stranger_key = load_private_key(generate_keypair()[0])
    forged = sign(new_message("request.withdrawn", "stranger", "agency", "BFF-2026-000001", 1, WITHDRAWN),
                  stranger_key)

    receipt = await ends.to_agency(forged.to_json())

    assert receipt.status is ReceiptStatus.REJECTED
    assert "not a party we hold a public key for" in receipt.reason
    assert [(letter["message_id"], letter["sender"]) for letter in await agency.dead_letters()] == [
        (forged.id, "stranger")]


async def test_a_later_message_of_a_request_is_not_sent_until_the_earlier_one_has_arrived(ends):
    provider, agency, sessions = ends
    first = await _send(provider, sessions)
    second = await _send(provider, sessions, body={"withdrawn_on": "2026-11-26"})
    offered: list[str] = []

    async def not_yet_the_first_time(raw: str) -> Receipt:
        offered.append(json.loads(raw)["id"])
        if len(offered) == 1:
            return Receipt(ReceiptStatus.RETRY_LATER, "the receiver is not ready for it")
        return await ends.to_agency(raw)

    await provider.push(not_yet_the_first_time)
    await provider.push(not_yet_the_first_time)  # the first is backing off, so the second must wait too
    waited = list(offered)
    await _make_due(provider, sessions)
    delivered = await provider.push(not_yet_the_first_time)

    assert waited == [first.id]
    assert offered == [first.id, first.id, second.id]
    assert delivered == 2
    assert await _attempts(provider, sessions) == {first.id: 1, second.id: 0}
    assert await agency.dead_letters() == []


async def test_when_the_receiver_cannot_be_reached_the_round_stops_and_the_rest_wait_uncounted(ends):
    provider, _agency, sessions = ends
    sent = [await _send(provider, sessions, request=f"BFF-2026-{n:06d}") for n in range(3)]
    tries = 0

    async def nobody_listens(raw: str) -> Receipt:
        nonlocal tries
        tries += 1
        raise ConnectionRefusedError("nobody is listening")

    assert await provider.push(nobody_listens) == 0
    assert tries == 1
    assert await _attempts(provider, sessions) == {sent[0].id: 1, sent[1].id: 0, sent[2].id: 0}
    assert await provider.push(ends.to_agency) == 2  # the others were given back at once
    await _make_due(provider, sessions)
    assert await provider.push(ends.to_agency) == 1
    assert await provider.undelivered() == 0


async def _attempts(end, sessions) -> dict[str, int]:
    box = QUEUE_TABLES[end.side].outbox
    async with sessions() as session:
        rows = await (await session.connection()).execute(select(box.c.id, box.c.attempts))
        return {row.id: row.attempts for row in rows}


async def _make_due(end, sessions) -> None:
    """Let back-off and leases pass, as time would."""
    from sqlalchemy import update

    from protocol.clock import utcnow

    box = QUEUE_TABLES[end.side].outbox
    async with sessions.begin() as session:
        await (await session.connection()).execute(update(box).values(next_attempt_at=utcnow()))
