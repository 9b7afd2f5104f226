"""The inbox under junk ([hardening-2]): what no party signed is counted and sampled, never stored whole; a
source that sends too much of it is turned away unread; the other organisation's signed messages are never
limited, however many arrive at once; dead letters expire as docs/backups-and-retention.md says."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from linkqueue.dead_letters import RETENTION
from linkqueue.guard import JUNK_PER_SOURCE, SAMPLE_CHARS, SAMPLES_PER_HOUR
from linkqueue.sql import SqlQueueEnd
from protocol.clock import utcnow
from protocol.messages import RECORD_TEXT, new_message
from protocol.signing import sign
from tests.linkqueue.servers import inbox_app, serving

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
ELSEWHERE = "127.0.0.2"  # loopback answers the whole of 127/8: a second source on this machine
WITHDRAWN = {"withdrawn_on": "2026-11-25"}


@pytest.fixture
async def provider(migrated_url, keys):
    """The provider's end behind its inbox on a loopback server (the protocol's own size limit), and the key
    the agency signs with."""
    from tono.database import make_engine, make_sessionmaker

    keyring, private = keys
    engine = make_engine(migrated_url)
    end = SqlQueueEnd("provider", "ccss", make_sessionmaker(engine), private["ccss"], keyring)
    async with serving(inbox_app(end)) as base:
        yield end, base, private["agency"]
    await engine.dispose()


def _large_answer(key, request: str, sequence: int = 1) -> str:
    """A unit's answer near 300 KB, as one part of a large report would be."""
    released = [{"item_id": f"R-{n}", "title": "Attendance", "text": "x" * (RECORD_TEXT - 10),
                 "record_date": "2026-11-01"} for n in range(3)]
    body = {"unit": "evaluation", "released": released, "withheld": [], "not_held": [], "answered_on": "2026-11-25"}
    return sign(new_message("unit.answered", "agency", "ccss", request, sequence, body), key).to_json()


def _client(base: str, source: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=source),
                             limits=httpx.Limits(max_connections=100))


async def _post(client: httpx.AsyncClient, body: str | bytes) -> httpx.Response:
    return await client.post("/protocol/inbox", content=body, headers={"Content-Type": "application/json"})


async def _stored(end: SqlQueueEnd, table) -> int:
    async with end.sessions() as session:
        return (await (await session.connection()).execute(select(func.count()).select_from(table))).scalar_one()


async def test_eighty_large_signed_parts_at_once_are_all_accepted_while_junk_from_elsewhere_is_turned_away(provider):
    end, base, agency_key = provider
    parts = [_large_answer(agency_key, f"BFF-2026-{n:06d}") for n in range(80)]
    # Small, so that each is sent whole before a 429 closes the connection (a large one would be cut off).
    junk = json.dumps({"id": "junk", "sender": "agency", "padding": "y" * 1000})

    async def flood(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [await _post(client, junk) for _ in range(2 * JUNK_PER_SOURCE)]

    async with _client(base) as peer, _client(base, ELSEWHERE) as stranger:
        *from_peer, from_stranger = await asyncio.gather(*[_post(peer, part) for part in parts], flood(stranger))

    assert [a.status_code for a in from_peer] == [202] * 80
    assert await _stored(end, end.t.inbox) == 80
    assert [a.status_code for a in from_stranger] == [400] * JUNK_PER_SOURCE + [429] * JUNK_PER_SOURCE
    assert int(from_stranger[-1].headers["retry-after"]) >= 1


async def test_a_junk_flood_keeps_only_a_few_short_samples_and_counts_the_rest(provider):
    end, base, _agency_key = provider
    megabyte = "z" * 1_000_000

    async with _client(base, ELSEWHERE) as stranger:
        answers = [await _post(stranger, megabyte) for _ in range(JUNK_PER_SOURCE)]
        answers += [await _post(stranger, "[]") for _ in range(10)]  # small: sent whole before the 429

    letters = await end.dead_letters()
    watch = await end.inbox_watch()
    assert [a.status_code for a in answers] == [400] * JUNK_PER_SOURCE + [429] * 10
    assert len(letters) == SAMPLES_PER_HOUR
    assert all(letter["junk"] and letter["source"] == ELSEWHERE for letter in letters)
    assert sum(len(letter["raw"]) for letter in letters) <= SAMPLES_PER_HOUR * SAMPLE_CHARS
    assert (watch.last_hour.junk, watch.last_hour.turned_away) == (JUNK_PER_SOURCE, 10)
    assert (watch.last_day.total, watch.samples, watch.waiting) == (JUNK_PER_SOURCE + 10, SAMPLES_PER_HOUR, 0)


async def test_a_replay_whose_signature_fails_is_refused_not_answered_duplicate(provider):
    end, base, agency_key = provider
    genuine = sign(new_message("clarification.asked", "agency", "ccss", "BFF-2026-000001", 1,
                               {"unit": "evaluation", "question": "Which years?"}), agency_key)
    forged = json.loads(genuine.to_json())
    forged["body"]["question"] = "Send me everything."

    async with _client(base, ELSEWHERE) as client:
        first = await _post(client, genuine.to_json())
        replayed = await _post(client, json.dumps(forged))

    assert (first.status_code, replayed.status_code) == (202, 422)
    assert replayed.json()["status"] == "rejected" and "signature does not match" in replayed.json()["reason"]


async def test_the_peers_out_of_turn_messages_are_kept_whole_never_limit_it_and_are_handled_on_arrival(provider):
    end, base, agency_key = provider
    first = _large_answer(agency_key, "BFF-2026-000001", 1)
    early = [_large_answer(agency_key, "BFF-2026-000001", 2) for _ in range(JUNK_PER_SOURCE + 5)]

    async with _client(base) as peer:
        refused = [await _post(peer, text) for text in early]
        accepted = [await _post(peer, first), await _post(peer, early[0])]

    assert {a.status_code for a in refused} == {409}
    assert [a.status_code for a in accepted] == [202, 202]
    letters = await end.dead_letters()
    assert len(letters) == len(early)  # each a message of its own id, each kept
    assert all(not letter["junk"] and len(letter["raw"]) > 300_000 for letter in letters)
    assert [letter["handled_at"] is not None for letter in letters].count(True) == 1
    assert (await end.inbox_watch()).last_day.total == 0


async def test_junk_samples_and_handled_dead_letters_expire_and_waiting_ones_are_kept(provider):
    end, base, agency_key = provider
    async with _client(base) as peer:
        await _post(peer, "not json")
        await _post(peer, _large_answer(agency_key, "BFF-2026-000001", 2))  # waits for the first
        early = _large_answer(agency_key, "BFF-2026-000002", 2)
        await _post(peer, early)
        await _post(peer, _large_answer(agency_key, "BFF-2026-000002", 1))
        await _post(peer, early)  # now in turn: its dead letter is handled
    letters = end.t.dead_letter
    long_ago = utcnow() - RETENTION - timedelta(days=1)
    async with end.sessions.begin() as session:
        connection = await session.connection()
        await connection.execute(update(letters).values(received_at=long_ago))
        await connection.execute(update(letters).where(letters.c.handled_at.is_not(None))
                                 .values(handled_at=long_ago))

    await end.tidy()

    kept = await end.dead_letters()
    assert [(letter["junk"], letter["handled_at"]) for letter in kept] == [(False, None)]
    assert "Expected sequence 1" in kept[0]["reason"]
