"""After one side is restored from an older backup, the two servers' streams disagree: the restored side has
forgotten messages it sent (its next one would reuse a sequence number the other already applied, and be
refused for ever) or messages it received (the other thinks them delivered, and never sends them again).

Each side tells the other, per stream, the last sequence it sent and the last it received (a signed exchange
like the ping, at /protocol/streams). From the other's positions a side can settle its own part, and only its
own: move its sequence counter past what the other already received from it (never reuse a number), and put
back in its outbox the messages it had delivered that the other no longer has (the receiver stores each
message id once, so nothing is applied twice). `tono link check` only compares; `tono link repair` asks the
other server to settle its part and settles this one's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from linkqueue.ping import LinkView, PingRefused, read_signed, signed_json
from linkqueue.tables import QueueTables
from protocol.clock import utcnow
from protocol.receiving import REUSED

STREAMS_PATH = "/protocol/streams"
STREAMS_LIMIT = 16 * 1024 * 1024  # about 200,000 streams' positions

Positions = dict[str, dict[str, int]]  # stream -> {"sent": n, "received": n}


@dataclass(frozen=True)
class Difference:
    """One stream on which the two sides disagree, as this side sees it, and what settling does about it."""

    stream: str
    sentence: str


async def positions(connection: AsyncConnection, t: QueueTables, other: str) -> Positions:
    """Per stream with the other party: the last sequence this side gave a message (sent) and the last it
    stored from the other (received)."""
    found: Positions = {}
    for stream, last in (await connection.execute(select(t.stream_out.c.stream, t.stream_out.c.last_sequence)
                                                  .where(t.stream_out.c.recipient == other))).all():
        found.setdefault(stream, {"sent": 0, "received": 0})["sent"] = last
    for stream, last in (await connection.execute(select(t.stream_in.c.stream, t.stream_in.c.last_sequence)
                                                  .where(t.stream_in.c.sender == other))).all():
        found.setdefault(stream, {"sent": 0, "received": 0})["received"] = last
    return found


async def _delivered_up_to(connection: AsyncConnection, t: QueueTables, other: str) -> dict[str, int]:
    box = t.outbox
    rows = await connection.execute(select(box.c.stream, func.max(box.c.sequence)).where(
        box.c.recipient == other, box.c.delivered_at.is_not(None)).group_by(box.c.stream))
    return dict(rows.all())


def _name(stream: str) -> str:
    return stream or "(messages about no request)"


async def differences(connection: AsyncConnection, t: QueueTables, me: str, other: str,
                      theirs: Positions) -> list[Difference]:
    """Where this side (`me`) must settle something, given the other's positions."""
    mine = await positions(connection, t, other)
    delivered = await _delivered_up_to(connection, t, other)
    found = []
    for stream in sorted(set(mine) | set(theirs)):
        sent = mine.get(stream, {}).get("sent", 0)
        they_received = theirs.get(stream, {}).get("received", 0)
        if they_received > sent:
            found.append(Difference(stream, f"{_name(stream)}: {other} has {they_received} message(s) from {me}, "
                                    f"but {me} remembers sending {sent} ({me} was restored from an older backup): "
                                    f"{me}'s next message must be number {they_received + 1}."))
        elif reused := await _reused(connection, t, other, stream, they_received):
            found.append(Difference(stream, f"{_name(stream)}: {other} refused {me}'s message(s) numbered "
                                    f"{', '.join(map(str, reused))}, numbers it already has from other messages "
                                    f"({me} was restored from an older backup): {me} numbers them afresh from "
                                    f"{they_received + 1}."))
        elif delivered.get(stream, 0) > they_received:
            found.append(Difference(stream, f"{_name(stream)}: {me} delivered up to message {delivered[stream]}, "
                                    f"but {other} has only {they_received} ({other} was restored from an older "
                                    f"backup): {me} sends messages {they_received + 1} to {delivered[stream]} "
                                    "again."))
    return found


async def settle(connection: AsyncConnection, t: QueueTables, me: str, other: str,
                 theirs: Positions) -> list[Difference]:
    """Settle this side's part of every difference (in the caller's transaction); returns what it settled."""
    found = await differences(connection, t, me, other, theirs)
    counter, box, now = t.stream_out, t.outbox, utcnow()
    for difference in found:
        stream = difference.stream
        they_received = theirs.get(stream, {}).get("received", 0)
        where = and_(counter.c.recipient == other, counter.c.stream == stream)
        last = (await connection.execute(select(counter.c.last_sequence).where(where))).scalar()
        if last is not None and they_received > last:
            await connection.execute(update(counter).where(where).values(last_sequence=they_received))
        elif last is None and they_received > 0:
            await connection.execute(counter.insert().values(recipient=other, stream=stream,
                                                             last_sequence=they_received))
        # Back in the outbox, in order: each goes again, and a receiver that has it after all says "duplicate".
        await connection.execute(update(box).where(
            box.c.recipient == other, box.c.stream == stream, box.c.sequence > they_received,
            box.c.delivered_at.is_not(None)).values(delivered_at=None, attempts=0, next_attempt_at=now,
                                                    last_error=None))
    return found


def _stale(t: QueueTables, other: str, stream: str, they_received: int):
    """Messages made since a restore, numbered from the forgotten counter, that the other side cannot have: not
    delivered, numbered at or below what it has, and never tried or refused for that reused number. (One tried
    whose answer was lost may be there after all; it is left alone, and goes as a duplicate.)"""
    box = t.outbox
    return and_(box.c.recipient == other, box.c.stream == stream, box.c.delivered_at.is_(None),
                box.c.sequence <= they_received, (box.c.attempts == 0) | box.c.last_error.contains(REUSED))


async def _reused(connection: AsyncConnection, t: QueueTables, other: str, stream: str,
                  they_received: int) -> list[int]:
    return list((await connection.execute(select(t.outbox.c.sequence).where(
        _stale(t, other, stream, they_received)).order_by(t.outbox.c.sequence))).scalars().all())


async def renumber(connection: AsyncConnection, t: QueueTables, other: str,
                   theirs: Positions) -> dict[str, list[tuple[str, int]]]:
    """After `settle`: the messages this side made since it was restored and has not delivered were numbered
    from its forgotten counter, so they reuse numbers the other side already applied (and would wait for ever).
    Each gets the next free number, in its order, and the counter moves past them; returns, per stream, the
    (message id, new sequence) pairs, whose envelopes the caller signs again (the sequence is signed)."""
    box, counter = t.outbox, t.stream_out
    renumbered: dict[str, list[tuple[str, int]]] = {}
    for stream, where in theirs.items():
        they_received = where.get("received", 0)
        stale = (await connection.execute(select(box.c.id).where(_stale(t, other, stream, they_received))
                                          .order_by(box.c.sequence))).scalars().all()
        if not stale:
            continue
        last = (await connection.execute(select(counter.c.last_sequence).where(
            counter.c.recipient == other, counter.c.stream == stream))).scalar() or 0
        following = (await connection.execute(select(box.c.id).where(
            box.c.recipient == other, box.c.stream == stream, box.c.delivered_at.is_(None),
            box.c.sequence > they_received).order_by(box.c.sequence))).scalars().all()
        # The stale ones first (they were made first), then those numbered past the other's position: the other
        # stores a stream's messages only in turn, so it has none of these.
        start = max(they_received, 0)
        pairs = [(message_id, start + index) for index, message_id in enumerate([*stale, *following], start=1)]
        renumbered[stream] = pairs
        # In two passes, through numbers no message has, so the stream's unique numbering holds at every step.
        for message_id, sequence in pairs:
            await connection.execute(update(box).where(box.c.id == message_id).values(sequence=-sequence))
        for message_id, sequence in pairs:
            await connection.execute(update(box).where(box.c.id == message_id).values(sequence=sequence))
        await connection.execute(update(counter).where(counter.c.recipient == other, counter.c.stream == stream)
                                 .values(last_sequence=max(last, pairs[-1][1])))
    return renumbered


def ask(view: LinkView, mine: Positions, *, repair: bool) -> tuple[str, str]:
    """The signed question to the other server: our positions, and whether it should settle its part."""
    nonce = str(uuid.uuid4())
    return signed_json(view, {"kind": "streams", "from": view.party, "nonce": nonce, "positions": mine,
                              "repair": repair}), nonce


def read_question(view: LinkView, raw: str | bytes) -> tuple[Positions, bool, str]:
    asked = read_signed(raw, view.keys, "streams question")
    if asked.get("kind") != "streams" or not isinstance(asked.get("positions"), dict):
        raise PingRefused("The streams question is not one.")
    return _checked(asked["positions"]), bool(asked.get("repair")), str(asked.get("nonce", ""))


def answer(view: LinkView, nonce: str, mine: Positions, found: list[Difference]) -> str:
    """The signed answer: this side's positions, and what it must settle (or, when asked to repair, settled)."""
    return signed_json(view, {"kind": "streams-answer", "from": view.party, "nonce": nonce, "positions": mine,
                              "settled": [d.sentence for d in found]})


def read_answer(view: LinkView, raw: str | bytes, nonce: str, peer: str) -> tuple[Positions, list[str]]:
    answered = read_signed(raw, view.keys, "streams answer")
    if answered.get("from") != peer or answered.get("kind") != "streams-answer" or answered.get("nonce") != nonce:
        raise PingRefused(f"The answer is not {peer}'s answer to this question.")
    return _checked(answered.get("positions")), [str(s) for s in answered.get("settled") or []]


def _checked(found: object) -> Positions:
    """Positions as the other side sent them, refused unless every value is a whole number of 0 or more."""
    if not isinstance(found, dict):
        raise PingRefused("The positions are not a list of streams.")
    checked: Positions = {}
    for stream, where in found.items():
        if not (isinstance(stream, str) and len(stream) <= 64 and isinstance(where, dict)):
            raise PingRefused("A stream's name or positions are not readable.")
        numbers = {key: where.get(key, 0) for key in ("sent", "received")}
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers.values()):
            raise PingRefused(f"Stream {stream[:64]!r} has positions that are not whole numbers.")
        checked[stream] = numbers
    return checked
