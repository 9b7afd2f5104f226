"""The linked queue between two servers (DESIGN.md §3.4): the sender pushes each signed message to the
receiver's `POST /protocol/inbox`; the receiver checks it, stores it once, and answers with a receipt.

What the inbox answers, and what the sender does with it:

    receipt       status  the sender
    accepted      202     delivered: stored, and it will be applied once
    duplicate     200     delivered: it was stored before
    rejected      400     never sends it again: the body is not a message at all (not JSON, not an envelope)
    rejected      413     never sends it again: larger than any message may be
    rejected      422     never sends it again: readable, but refused (signature, sender, recipient, body)
    retry_later   408     the body did not arrive within a minute: sent again later
    retry_later   409     an earlier message of its request has not arrived: this one waits and is sent again
    retry_later   429     its source sent too much junk lately (linkqueue/guard.py): the round stops, with back-off
    retry_later   503     the inbox cannot store anything just now (its database): the round stops, with back-off

Every refusal of a signed message is kept whole by the receiver as a dead letter and logged by the sender;
junk (anything no party signed) is counted, and a few samples of its first bytes kept (linkqueue/guard.py).
Anything else (a network error, a timeout, a redirect, an answer that is not a receipt, such as a proxy's
error page or a 404 from a wrong TONO_PEER_URL) says nothing about the message, so it counts as not
delivered and is sent again later: only the receiving inbox itself can refuse a message for good.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from linkqueue.guard import InboxGuard, source_key
from linkqueue.health import PeerCheck
from linkqueue.ping import PING_LIMIT, PING_PATH, Comparison, LinkView, PingRefused, answer_ping, make_ping, read_pong
from linkqueue.sql import DeliveryFailed
from linkqueue.streams import STREAMS_LIMIT, STREAMS_PATH, read_question
from linkqueue.streams import answer as answer_streams
from linkqueue.streams import ask as ask_streams
from linkqueue.streams import read_answer as read_streams_answer
from protocol.messages import InvalidMessage
from protocol.queue import Receipt, ReceiptStatus
from protocol.receiving import MAX_MESSAGE_BYTES, parse_envelope

log = logging.getLogger(__name__)

INBOX_PATH = "/protocol/inbox"
ANSWER_LIMIT = 64 * 1024  # a receipt is a sentence; a longer answer is not one
KEPT_OF_OVERSIZED = 64 * 1024  # how much of a too-large body is kept with its dead letter
BODY_WITHIN_SECONDS = 60.0  # a sender that trickles its body slower than this holds a worker for nothing
DELIVERED = (ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE)
REFUSED_CODES = (400, 413, 422)


class PeerUnavailable(DeliveryFailed):
    """The other organisation's inbox did not take the message, for a reason that is not the message's."""


def inbox_url(peer_url: str) -> str:
    """The inbox of the server at `peer_url` (its base address)."""
    return peer_url.rstrip("/") + INBOX_PATH


# --- sending ---------------------------------------------------------------------------------------------


class HttpDeliverer:
    """Hands one signed message to the other organisation's inbox: a `deliver` for SqlQueueEnd.push."""

    def __init__(self, url: str, *, timeout: float = 20.0, connect_timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        # A whole delivery, answer included, ends well inside the queue's 30 s lease, so two pushers
        # never hold the same message at once.
        self.timeout = timeout
        self._timeouts = httpx.Timeout(timeout, connect=connect_timeout)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self.unreachable_since: float | None = None

    async def __call__(self, raw: str) -> Receipt:
        try:
            receipt = await self._post(raw)
        except PeerUnavailable as failure:
            if self.unreachable_since is None:
                self.unreachable_since = time.monotonic()
                log.warning("the other organisation's inbox %s does not take messages (%s); they wait and are "
                            "sent again", self.url, failure.reason)
            raise
        if self.unreachable_since is not None:
            log.warning("the other organisation's inbox %s takes messages again, after %.0f s", self.url,
                        time.monotonic() - self.unreachable_since)
            self.unreachable_since = None
        return receipt

    async def _post(self, raw: str) -> Receipt:
        if self._client is None:
            # No redirects: a message goes to the inbox the agreement's parties configured, or nowhere.
            self._client = httpx.AsyncClient(timeout=self._timeouts, transport=self._transport,
                                             follow_redirects=False,
                                             headers={"User-Agent": "tono-access linked queue"})
        try:
            async with asyncio.timeout(self.timeout), self._client.stream(
                    "POST", self.url, content=raw.encode("utf-8"),
                    headers={"Content-Type": "application/json; charset=utf-8"}) as response:
                answer = await _read_at_most(response, ANSWER_LIMIT)
        except TimeoutError:
            raise PeerUnavailable(f"no answer from {self.url} within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise PeerUnavailable(f"could not reach {self.url} ({type(error).__name__})") from None
        return receipt_from(response.status_code, answer)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The answer's body, or None when it is longer than `limit` (then it is not a receipt)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def receipt_from(status_code: int, answer: bytes | None) -> Receipt:
    """Turn the inbox's answer into a receipt; raise PeerUnavailable when it is not a receipt the inbox gives."""
    read = _read_receipt(answer)
    if read is None:
        raise PeerUnavailable(f"it answered {status_code}, which is not a receipt")
    status, reason = read
    if status in DELIVERED and 200 <= status_code < 300:
        return Receipt(status, reason)
    if status is ReceiptStatus.REJECTED and status_code in REFUSED_CODES:
        return Receipt(status, reason)
    if status is ReceiptStatus.RETRY_LATER and status_code == 409:
        return Receipt(status, reason)
    if status is ReceiptStatus.RETRY_LATER and status_code == 503:
        raise PeerUnavailable(f"the inbox cannot store messages just now ({reason or 'no reason given'})")
    if status is ReceiptStatus.RETRY_LATER and status_code == 429:
        raise PeerUnavailable(f"the inbox turns us away for now ({reason or 'no reason given'})")
    raise PeerUnavailable(f"it answered {status_code} with a {status.value} receipt, which the inbox never gives")


def _read_receipt(answer: bytes | None) -> tuple[ReceiptStatus, str] | None:
    try:
        data = json.loads(answer) if answer else None
        status = ReceiptStatus(data["status"])
    except (ValueError, TypeError, KeyError):
        return None
    reason = data.get("reason", "")
    # The other side wrote it: keep it one printable line of reasonable length before it reaches our logs.
    reason = "".join(c if c.isprintable() else " " for c in reason)[:500] if isinstance(reason, str) else ""
    return status, reason


# --- receiving -------------------------------------------------------------------------------------------


class ReceiptOut(BaseModel):
    """The inbox's answer to one delivery."""

    status: ReceiptStatus
    reason: str = ""


def _answer(status_code: int, status: ReceiptStatus, reason: str = "", **headers: str) -> JSONResponse:
    return JSONResponse({"status": status.value, "reason": reason}, status_code=status_code,
                        headers={"Cache-Control": "no-store", **headers})


RESPONSES = {
    200: {"model": ReceiptOut, "description": "duplicate: stored before; nothing more to do"},
    202: {"model": ReceiptOut, "description": "accepted: stored, and it will be applied once"},
    400: {"model": ReceiptOut, "description": "rejected: not a message at all; do not send it again"},
    408: {"model": ReceiptOut, "description": "retry_later: the body did not arrive in time"},
    409: {"model": ReceiptOut, "description": "retry_later: an earlier message of this request must arrive first"},
    413: {"model": ReceiptOut, "description": "rejected: larger than any message may be"},
    422: {"model": ReceiptOut, "description": "rejected: refused (signature, sender, recipient or body)"},
    429: {"model": ReceiptOut, "description": "retry_later: this source sent too much that was not a signed "
                                              "message; not read"},
    503: {"model": ReceiptOut, "description": "retry_later: the inbox cannot store messages just now"},
}


async def _body_within(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, or its first part and True when it is over `limit` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", True
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:KEPT_OF_OVERSIZED], True
        chunks.append(chunk)
    return b"".join(chunks), False


def _add_ping(router: APIRouter, view: LinkView) -> None:
    @router.post(PING_PATH, response_model=None)
    async def ping(request: Request) -> JSONResponse:
        """A signed ping from the other organisation's server, answered with a signed pong saying whether the two
        agree on the agreement's version and both keys. Nothing is stored."""
        body, too_large = await _body_within(request, PING_LIMIT)
        if too_large:
            return JSONResponse({"problem": f"A ping is at most {PING_LIMIT} bytes."}, status_code=413)
        try:
            pong = answer_ping(view, body)
        except PingRefused as refused:
            return JSONResponse({"problem": str(refused)}, status_code=400)
        return JSONResponse(json.loads(pong))


def _add_streams(router: APIRouter, view: LinkView, end) -> None:
    @router.post(STREAMS_PATH, response_model=None)
    async def compare(request: Request) -> JSONResponse:
        """The other organisation's server asks, signed, where each stream between us stands: answered, signed,
        with this server's positions and what it must settle (with `repair`: what it settled)."""
        body, too_large = await _body_within(request, STREAMS_LIMIT)
        if too_large:
            return JSONResponse({"problem": f"The question is larger than {STREAMS_LIMIT} bytes."}, status_code=413)
        try:
            theirs, repair, nonce = read_question(view, body)
        except PingRefused as refused:
            return JSONResponse({"problem": str(refused)}, status_code=400)
        other = next(party for party in view.keys if party != view.party)
        settled = await (end.settle_streams if repair else end.stream_differences)(other, theirs)
        return JSONResponse(json.loads(answer_streams(view, nonce, await end.stream_positions(other), settled)))


async def compare_streams(url: str, view: LinkView, peer: str, end, *, repair: bool,
                          timeout: float = 60.0) -> tuple[list[str], list[str]]:
    """Compare (and with `repair`, settle) every stream with the other organisation's server: what the other
    side settled or must settle, and what this side settled or must settle. Raises PeerUnavailable or
    PingRefused as ping_peer does."""
    question, nonce = ask_streams(view, await end.stream_positions(peer), repair=repair)
    target = url.rstrip("/").removesuffix(INBOX_PATH) + STREAMS_PATH
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            answered = await client.post(target, content=question.encode("utf-8"),
                                         headers={"Content-Type": "application/json; charset=utf-8"})
    except httpx.HTTPError as error:
        raise PeerUnavailable(f"could not reach {target} ({type(error).__name__})") from None
    if answered.status_code != 200:
        raise PingRefused(f"{peer} did not compare the streams ({answered.status_code}).")
    theirs, they_settle = read_streams_answer(view, answered.content, nonce, peer)
    ours = await (end.settle_streams if repair else end.stream_differences)(peer, theirs)
    return they_settle, [d.sentence for d in ours]


async def ping_peer(url: str, view: LinkView, peer: str, *, timeout: float = 10.0,
                    transport: httpx.AsyncBaseTransport | None = None) -> Comparison:
    """Ping the other organisation's server at its base `url`: what differs between the two, as a Comparison.
    Raises PeerUnavailable when it does not answer, PingRefused when it refuses the ping (with its reason)."""
    raw, nonce = make_ping(view)
    target = url.rstrip("/").removesuffix(INBOX_PATH) + PING_PATH
    try:
        async with httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False) as client:
            answer = await client.post(target, content=raw.encode("utf-8"),
                                       headers={"Content-Type": "application/json; charset=utf-8"})
    except httpx.HTTPError as error:
        raise PeerUnavailable(f"could not reach {target} ({type(error).__name__})") from None
    if answer.status_code == 404:
        raise PingRefused(f"{target} answered 404: the other server runs with TONO_ROLE=both, is an older Tono, or "
                          "TONO_PEER_URL points at the wrong address.")
    if answer.status_code != 200:
        try:
            said = str(answer.json().get("problem") or "")[:300]
        except ValueError:
            said = ""
        raise PingRefused(f"{peer} refused the ping ({answer.status_code}): {said or 'no reason given'}")
    return read_pong(view, answer.content, nonce, peer)


async def check_peer(url: str, view: LinkView, peer: str, end=None) -> PeerCheck:
    """Ping the other organisation's server and say what was found, never raising: for status pages. With this
    side's queue `end`, also compare the two sides' streams, so a side restored from an older backup shows
    while it is unsettled (`tono link repair` settles it)."""
    try:
        compared = await ping_peer(url, view, peer)
        problems = list(compared.problems)
        if end is not None and not problems:
            theirs, ours = await compare_streams(url, view, peer, end, repair=False)
            problems += [f"The streams disagree (run `tono link repair`): {sentence}" for sentence in ours + theirs]
    except PeerUnavailable as failure:
        return PeerCheck(url, False, [f"It does not answer: {failure.reason}."])
    except PingRefused as refused:
        return PeerCheck(url, True, [str(refused)])
    return PeerCheck(url, True, problems)


def _unreadable(text: str) -> bool:
    try:
        parse_envelope(text, check_body=False)
    except InvalidMessage:
        return True
    return False


def inbox_router(end, *, max_bytes: int = MAX_MESSAGE_BYTES, ping_view: LinkView | None = None) -> APIRouter:
    """`POST /protocol/inbox` for one organisation's queue end (`accept` and `refuse`, as SqlQueueEnd has), and,
    given this server's view of the link, `POST /protocol/ping` (linkqueue/ping.py)."""
    router = APIRouter(tags=["protocol"])
    if ping_view is not None:
        _add_ping(router, ping_view)
        _add_streams(router, ping_view, end)
    guard = getattr(end, "guard", None) or InboxGuard()

    async def keep(raw: str, reason: str, source: str | None) -> None:
        try:
            await end.refuse(raw, reason, source)
        except Exception:  # the refusal stands whether or not it could be written down
            log.exception("could not count or keep a refused message")

    async def turn_away(seconds: int) -> JSONResponse:
        guard.turned_away()
        if guard.flush_due() and hasattr(end, "flush_refusals"):
            try:
                await end.flush_refusals()
            except Exception:  # counted again on the next write
                log.exception("could not write the inbox's refusal counts")
        return _answer(429, ReceiptStatus.RETRY_LATER, "Too much arrived from here that was not a signed message; "
                       f"wait {seconds} s.", **{"Retry-After": str(seconds), "Connection": "close"})

    @router.post(INBOX_PATH, status_code=202, response_model=None, responses=RESPONSES)
    async def inbox(request: Request) -> JSONResponse:
        """One signed message from the other organisation: checked, stored once, and answered with a receipt."""
        # uvicorn takes it from X-Forwarded-For when the proxy is at 127.0.0.1 (FORWARDED_ALLOW_IPS for one
        # elsewhere, docs/telegram.md): otherwise it is the proxy's, and one junk source turns away everyone.
        source = request.client.host if request.client else None
        # A source that sent too much junk is turned away before its body is read: reading is the cost.
        wait = guard.wait_seconds(source_key(source))
        if wait:
            return await turn_away(wait)
        try:
            async with asyncio.timeout(BODY_WITHIN_SECONDS):
                body, too_large = await _body_within(request, max_bytes)
        except TimeoutError:
            return _answer(408, ReceiptStatus.RETRY_LATER, "The message did not arrive in time; send it again.",
                           Connection="close")
        if too_large:
            reason = f"The message is larger than {max_bytes} bytes, the most a message may be."
            log.warning("refused a message over %s bytes", max_bytes)
            await keep(body.decode("utf-8", "replace"), reason, source)
            return _answer(413, ReceiptStatus.REJECTED, reason, Connection="close")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            reason = "The message is not valid UTF-8 text."
            await keep(body.decode("utf-8", "replace"), reason, source)
            return _answer(400, ReceiptStatus.REJECTED, reason)
        try:
            receipt = await end.accept(text, source)
        except Exception:  # the database, most likely: the message is not stored, so it must come again
            log.exception("the inbox could not store a message")
            return _answer(503, ReceiptStatus.RETRY_LATER, "The inbox cannot store messages just now; send it "
                           "again later.", **{"Retry-After": "5"})
        if receipt.status is ReceiptStatus.REJECTED:
            return _answer(400 if _unreadable(text) else 422, receipt.status, receipt.reason)
        code = {ReceiptStatus.ACCEPTED: 202, ReceiptStatus.DUPLICATE: 200, ReceiptStatus.RETRY_LATER: 409}
        return _answer(code[receipt.status], receipt.status, receipt.reason)

    return router
