"""The linked queue, as both organisations agree to use it (DESIGN.md §3.4).

- Sending is part of the sender's own database transaction (a "transactional outbox"): a change of
  state and the message it causes are saved together, or not at all.
- Delivery is at least once: after a crash a message may arrive twice.
- Applying is exactly once: the receiver remembers every message id it has applied, and applies a
  message in the same transaction as the change it makes.
- Messages of one stream (one request) are applied in the order they were sent.

This file only says what each end must do; `linkqueue` holds the ways of doing it (SQL tables now,
HTTP between two servers later), and one contract test suite holds them all to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from protocol.messages import Envelope


class ReceiptStatus(StrEnum):
    ACCEPTED = "accepted"  # stored; it will be applied once
    DUPLICATE = "duplicate"  # already stored or applied; nothing more to do
    REJECTED = "rejected"  # never acceptable (bad signature, unknown type …); kept as a dead letter
    RETRY_LATER = "retry_later"  # not now (out of order, receiver busy); send it again later


@dataclass(frozen=True)
class Receipt:
    """The receiver's answer to one delivery."""

    status: ReceiptStatus
    reason: str = ""

    @property
    def delivered(self) -> bool:
        return self.status in (ReceiptStatus.ACCEPTED, ReceiptStatus.DUPLICATE)


class Inbox(Protocol):
    """The receiving end a transport pushes into."""

    async def accept(self, raw: str) -> Receipt: ...


class Outbox(Protocol):
    """The sending end: `send` takes the caller's open transaction (`session`)."""

    async def send(self, session: Any, *, type: str, recipient: str, request: str | None,
                   body: dict) -> Envelope: ...


class Handler(Protocol):
    """Applies one message inside the receiver's transaction; raising rolls the whole step back."""

    async def __call__(self, session: Any, envelope: Envelope) -> None: ...
