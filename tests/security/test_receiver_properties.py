"""Property: whatever text reaches the receiving end of the queue (SqlQueueEnd.accept, which the HTTP inbox
calls too), it answers with a receipt and keeps anything refused as a dead letter; it never raises, on
SQLite or PostgreSQL, and never stores something that is not a genuine, signed, well-formed message."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from linkqueue.sql import SqlQueueEnd
from protocol.messages import new_message
from protocol.queue import Receipt, ReceiptStatus
from protocol.receiving import parse_envelope
from protocol.signing import KeyRing, generate_keypair, load_private_key, sign, verify
from tests.protocol.test_parser_properties import ODD_TEXT, json_like
from tono.database import make_engine, make_sessionmaker

PEM, PUBLIC = generate_keypair()
OTHER_PEM, OTHER_PUBLIC = generate_keypair()
KEYRING = KeyRing({"ccss": PUBLIC, "agency": OTHER_PUBLIC})


def _message(sequence: int = 1) -> dict:
    envelope = new_message("request.withdrawn", "ccss", "agency", "BFF-2026-000777", sequence,
                           {"withdrawn_on": "2026-11-25"})
    return sign(envelope, load_private_key(PEM)).to_dict()


FIELDS = sorted(_message())
arrivals = st.one_of(
    st.text(max_size=300),
    st.sampled_from(ODD_TEXT),
    json_like.map(json.dumps),
    st.tuples(st.sampled_from(FIELDS), json_like).map(lambda c: json.dumps(_message() | {c[0]: c[1]})),
    st.tuples(st.sampled_from(FIELDS), st.sampled_from(ODD_TEXT)).map(
        lambda c: json.dumps(_message() | {c[0]: c[1]}, ensure_ascii=False)),
)


def test_the_receiver_answers_anything_with_a_receipt_and_stores_only_genuine_messages(seeded_url):
    runner = asyncio.Runner()
    engine = make_engine(seeded_url)
    agency = SqlQueueEnd("agency", "agency", make_sessionmaker(engine), load_private_key(OTHER_PEM), KEYRING)

    async def stored_now() -> int:
        async with agency.sessions() as session:
            return (await (await session.connection()).execute(
                select(func.count()).select_from(agency.t.inbox))).scalar_one()

    already = runner.run(stored_now())  # the demo's own reports came through this inbox when it was loaded

    async def arrive(raw: str) -> None:
        receipt = await agency.accept(raw)
        assert isinstance(receipt, Receipt) and receipt.reason is not None
        assert await stored_now() - already <= 1  # only the one genuine message, sequence 1, ever gets in
        if receipt.status is ReceiptStatus.ACCEPTED:
            verify(parse_envelope(raw), KEYRING)  # genuine: signed by its sender, and well formed

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(arrivals)
    def play(raw):
        runner.run(arrive(raw))

    try:
        play()
    finally:
        runner.run(engine.dispose())
        runner.close()
