"""How the sender reads the other organisation's answer: only the inbox's own receipts count as delivered or
refused; anything else (a proxy's page, a 404, a redirect, silence) means "not delivered, try again later"."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from linkqueue.http import HttpDeliverer, PeerUnavailable, receipt_from
from protocol.queue import ReceiptStatus


@pytest.mark.parametrize(("status", "body"), [
    (404, b'{"detail": "Not Found"}'),  # TONO_PEER_URL names a server without an inbox
    (403, b'{"status": "rejected", "reason": "a gateway said no"}'),  # a refusal, but not one the inbox gives
    (502, b"<html><h1>Bad gateway</h1></html>"),  # a proxy in front of a stopped receiver
    (200, b'{"ok": true}'),  # something answered, but not with a receipt
    (301, b""),  # a redirect is never followed
    (202, b"x" * 70_000),  # far too long to be a receipt
], ids=["404", "403-gateway", "502-proxy-page", "200-not-a-receipt", "redirect", "too-long"])
async def test_an_answer_that_is_not_a_receipt_is_never_taken_as_delivered_or_refused(status, body):
    transport = httpx.MockTransport(lambda request: httpx.Response(status, content=body,
                                                                   headers={"Location": "https://elsewhere/"}))
    deliver = HttpDeliverer("https://agency.example.org/protocol/inbox", transport=transport)

    with pytest.raises(PeerUnavailable):
        await deliver('{"id": "x"}')
    await deliver.aclose()


async def test_a_receiver_that_does_not_answer_in_time_counts_as_not_delivered():
    async def never_answers(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(202, json={"status": "accepted"})

    deliver = HttpDeliverer("https://agency.example.org/protocol/inbox", timeout=0.2,
                            transport=httpx.MockTransport(never_answers))

    with pytest.raises(PeerUnavailable, match="no answer .* within 0.2 s"):
        await deliver('{"id": "x"}')
    await deliver.aclose()


@pytest.mark.parametrize(("status", "receipt", "expected"), [
    (202, "accepted", ReceiptStatus.ACCEPTED),
    (200, "duplicate", ReceiptStatus.DUPLICATE),
    (400, "rejected", ReceiptStatus.REJECTED),
    (413, "rejected", ReceiptStatus.REJECTED),
    (422, "rejected", ReceiptStatus.REJECTED),
    (409, "retry_later", ReceiptStatus.RETRY_LATER),
])
def test_each_answer_the_inbox_gives_is_read_as_its_receipt(status, receipt, expected):
    answer = json.dumps({"status": receipt, "reason": "because\nof\x00this"}).encode()

    read = receipt_from(status, answer)

    assert read.status is expected
    assert read.reason == "because of this"  # the other side's words, made one safe line


@pytest.mark.parametrize(("status", "receipt"), [(503, "retry_later"), (500, "rejected"), (200, "rejected"),
                                                 (202, "retry_later"), (400, "accepted")])
def test_an_answer_whose_status_and_receipt_disagree_means_try_again_later(status, receipt):
    with pytest.raises(PeerUnavailable):
        receipt_from(status, json.dumps({"status": receipt}).encode())


def test_being_turned_away_as_a_source_of_junk_means_back_off_and_send_again():
    with pytest.raises(PeerUnavailable, match="turns us away"):
        receipt_from(429, json.dumps({"status": "retry_later", "reason": "wait 12 s."}).encode())
