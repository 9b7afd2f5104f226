"""The inbox at /protocol/inbox on a real loopback server: what it answers to hostile or broken input, what
it keeps as dead letters, and what the sender does with each answer. The contract suite runs over HTTP too."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from linkqueue.http import HttpDeliverer, inbox_url
from linkqueue.sql import SqlQueueEnd
from linkqueue.tables import QUEUE_TABLES
from protocol.messages import new_message
from protocol.queue import Receipt
from protocol.receiving import MAX_MESSAGE_BYTES
from protocol.signing import generate_keypair, load_private_key, sign
from tests.linkqueue.servers import free_port, inbox_app, serving

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
WITHDRAWN = {"withdrawn_on": "2026-11-25"}


@pytest.fixture
async def inbox(migrated_url, keys):
    """The agency's inbox on a real loopback server (at most 4 KB a message), and the provider's end."""
    from tono.database import make_engine, make_sessionmaker

    keyring, private = keys
    engine = make_engine(migrated_url)
    sessions = make_sessionmaker(engine)
    provider = SqlQueueEnd("provider", "ccss", sessions, private["ccss"], keyring)
    agency = SqlQueueEnd("agency", "agency", sessions, private["agency"], keyring)
    async with serving(inbox_app(agency, max_bytes=4096)) as base, httpx.AsyncClient(base_url=base) as client:
        yield provider, agency, sessions, client, base
    await engine.dispose()


def _message(sequence: int = 1, key=None, sender: str = "ccss", request: str = "BFF-2026-000001"):
    return sign(new_message("request.withdrawn", sender, "agency", request, sequence, WITHDRAWN), key)


async def _post(client: httpx.AsyncClient, body: bytes | str, **headers) -> httpx.Response:
    return await client.post("/protocol/inbox", content=body, headers={"Content-Type": "application/json",
                                                                        **headers})


async def test_a_message_is_stored_with_202_and_a_replay_answered_200_duplicate(inbox, keys):
    _provider, agency, _sessions, client, _base = inbox
    raw = _message(key=keys[1]["ccss"]).to_json()

    first = await _post(client, raw)
    again = await _post(client, raw)

    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")
    assert await agency.dead_letters() == []


async def test_malformed_json_is_refused_with_400_and_a_reason_and_kept(inbox):
    _provider, agency, _sessions, client, _base = inbox

    response = await _post(client, '{"id": "abc", "sender": "ccss",')

    assert response.status_code == 400
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"].startswith("The message is not valid JSON")
    assert len(await agency.dead_letters()) == 1


@pytest.mark.parametrize("body", [b'"just a string"', b"[1, 2, 3]", b'{"hello": "world"}', b""],
                         ids=["a-string", "a-list", "not-an-envelope", "empty"])
async def test_json_that_is_not_an_envelope_is_refused_with_400(inbox, body):
    _provider, agency, _sessions, client, _base = inbox

    response = await _post(client, body)

    assert (response.status_code, response.json()["status"]) == (400, "rejected")
    assert response.json()["reason"]
    assert len(await agency.dead_letters()) == 1


async def test_bytes_that_are_not_utf8_are_refused_with_400_and_kept(inbox):
    _provider, agency, _sessions, client, _base = inbox

    response = await _post(client, b'{"id": "\xff\xfe"}')

    assert response.status_code == 400
    assert response.json() == {"status": "rejected", "reason": "The message is not valid UTF-8 text."}
    assert [letter["reason"] for letter in await agency.dead_letters()] == ["The message is not valid UTF-8 text."]


async def test_a_message_over_the_size_limit_is_refused_with_413_and_a_clear_reason(inbox):
    _provider, agency, _sessions, client, _base = inbox

    response = await _post(client, "x" * 5000)

    assert response.status_code == 413
    assert response.json() == {"status": "rejected",
                               "reason": "The message is larger than 4096 bytes, the most a message may be."}
    assert "larger than 4096 bytes" in (await agency.dead_letters())[0]["reason"]


async def test_a_body_sent_in_chunks_is_cut_off_at_the_limit(inbox):
    _provider, _agency, _sessions, client, _base = inbox

    async def chunks():
        for _ in range(100):
            yield b"x" * 1000

    response = await client.post("/protocol/inbox", content=chunks())

    assert response.status_code == 413


async def test_a_declared_length_over_the_protocols_limit_is_refused_before_the_body_is_read(migrated_url, keys):
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(migrated_url)
    agency = SqlQueueEnd("agency", "agency", make_sessionmaker(engine), keys[1]["agency"], keys[0])
    async with serving(inbox_app(agency)) as base:
        port = int(base.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"POST /protocol/inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {MAX_MESSAGE_BYTES + 1}\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        writer.close()
    await engine.dispose()

    assert status_line.startswith(b"HTTP/1.1 413")


async def test_a_wrongly_signed_message_is_refused_with_422_and_the_sender_never_sends_it_again(inbox, keys):
    _provider, agency, sessions, client, base = inbox
    keyring, _private = keys
    impostor = SqlQueueEnd("provider", "ccss", sessions, load_private_key(generate_keypair()[0]), keyring)
    async with sessions.begin() as session:
        await impostor.send(session, type="request.withdrawn", recipient="agency", request="BFF-2026-000001",
                            body=WITHDRAWN)
    deliver = HttpDeliverer(inbox_url(base))

    assert await impostor.push(deliver) == 0
    await _everything_due(sessions)
    assert await impostor.push(deliver) == 0
    await deliver.aclose()

    assert await impostor.undelivered() == 0  # refused for good: not waiting to be sent again
    outbox = QUEUE_TABLES["provider"].outbox
    async with sessions() as session:
        row = (await (await session.connection()).execute(select(outbox))).one()
    assert row.rejected_at is not None and row.attempts == 0
    assert "signature does not match" in row.last_error
    assert len(await agency.dead_letters()) == 1


async def test_a_message_from_an_unknown_sender_is_refused_with_422(inbox):
    _provider, _agency, _sessions, client, _base = inbox
    stranger = load_private_key(generate_keypair()[0])

    response = await _post(client, _message(key=stranger, sender="stranger").to_json())

    assert (response.status_code, response.json()["status"]) == (422, "rejected")
    assert "not a party we hold a public key for" in response.json()["reason"]


async def test_a_message_before_its_turn_is_answered_409_try_again_later(inbox, keys):
    _provider, _agency, _sessions, client, _base = inbox

    response = await _post(client, _message(sequence=2, key=keys[1]["ccss"]).to_json())

    assert (response.status_code, response.json()["status"]) == (409, "retry_later")
    assert "Expected sequence 1" in response.json()["reason"]


async def test_when_the_inbox_cannot_store_anything_it_answers_503_and_the_sender_backs_off(inbox, keys):
    provider, _agency, sessions, _client, _base = inbox

    class BrokenDatabase:
        async def accept(self, raw: str, source: str | None = None) -> Receipt:
            raise ConnectionResetError("the database went away")

        async def refuse(self, raw: str, reason: str, source: str | None = None) -> Receipt:
            raise ConnectionResetError("the database went away")

    async with sessions.begin() as session:
        await provider.send(session, type="request.withdrawn", recipient="agency", request="BFF-2026-000001",
                            body=WITHDRAWN)
    async with serving(inbox_app(BrokenDatabase())) as broken, httpx.AsyncClient(base_url=broken) as client:
        answer = await _post(client, _message(key=keys[1]["ccss"]).to_json())
        deliver = HttpDeliverer(inbox_url(broken))
        delivered = await provider.push(deliver)
        await deliver.aclose()

    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert answer.json()["status"] == "retry_later"
    assert "database" not in answer.text  # what went wrong inside stays in the receiver's log
    assert delivered == 0
    assert await provider.undelivered() == 1
    assert "cannot store messages just now" in await _last_error(sessions)


async def test_a_receiver_that_is_not_running_counts_as_not_delivered(inbox):
    provider, _agency, sessions, _client, _base = inbox
    async with sessions.begin() as session:
        await provider.send(session, type="request.withdrawn", recipient="agency", request="BFF-2026-000001",
                            body=WITHDRAWN)
    deliver = HttpDeliverer(f"http://127.0.0.1:{free_port()}/protocol/inbox")

    assert await provider.push(deliver) == 0

    assert await provider.undelivered() == 1
    assert "could not reach" in await _last_error(sessions)
    assert deliver.unreachable_since is not None


async def test_the_inbox_is_described_in_the_api_description(inbox):
    _provider, _agency, _sessions, client, _base = inbox

    described = (await client.get("/openapi.json")).json()["paths"]["/protocol/inbox"]["post"]

    assert sorted(described["responses"]) == ["200", "202", "400", "408", "409", "413", "422", "429", "503"]


async def _everything_due(sessions) -> None:
    from sqlalchemy import update

    from protocol.clock import utcnow

    box = QUEUE_TABLES["provider"].outbox
    async with sessions.begin() as session:
        await (await session.connection()).execute(update(box).values(next_attempt_at=utcnow()))


async def _last_error(sessions) -> str:
    box = QUEUE_TABLES["provider"].outbox
    async with sessions() as session:
        return (await (await session.connection()).execute(select(box.c.last_error))).scalar_one()
