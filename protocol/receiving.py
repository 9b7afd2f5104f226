"""What the receiving organisation checks before it acts on a message from the other one.

The decision is made here, with no storage or network: the storage layer looks up what it has already
applied, calls check_incoming, and then does what the verdict says, in one transaction:

- apply: the message is genuine, well formed, meant for us and next in its stream; act on it.
- duplicate: we have already applied this very message (delivery is at least once); acknowledge it and
  change nothing.
- reject: the message is broken, not for us, or not provably from who it says; keep it as a dead letter
  for someone to inspect, and apply nothing.
- out_of_order: a message before this one is missing; keep it as a dead letter for inspection, apply
  nothing, and wait: the sender keeps retrying until the stream is complete.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from protocol.messages import MESSAGE_TYPES, Envelope, InvalidMessage, canonical_json, validate_body
from protocol.signing import BadSignature, verify

# A unit's whole answer, records included, travels as one message; this is far above any real one.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class Outcome(StrEnum):
    APPLY = "apply"
    DUPLICATE = "duplicate"
    REJECT = "reject"
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str  # one sentence, safe to log: it names fields and codes, never what a family wrote
    envelope: Envelope | None = None  # None when the message could not even be read
    problem: str | None = None  # what was wrong, as a short code such as "bad_signature"
    # True once its signature checked out: a party to the agreement sent exactly this. Only such a message is
    # worth keeping whole when refused; anything else may be anyone's junk (the inbox counts and samples it).
    authentic: bool = False


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict:
    # With a field given twice, two readers could each see a different message under one signature.
    if len({key for key, _ in pairs}) != len(pairs):
        raise ValueError("a field is given twice")
    return dict(pairs)


def decode_json(raw: bytes | str) -> object:
    """Read JSON strictly: UTF-8 only, no NaN or Infinity, no field given twice, not too large or deep."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidMessage(f"The message is larger than {MAX_MESSAGE_BYTES} bytes.", "malformed")
    try:
        text = bytes(raw).decode("utf-8") if not isinstance(raw, str) else raw
        data = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_repeats)
        canonical_json(data)  # text that cannot be written back as UTF-8 (a lone surrogate) cannot be signed
    except UnicodeError:
        raise InvalidMessage("The message is not valid UTF-8 text.", "malformed") from None
    except json.JSONDecodeError as exc:
        raise InvalidMessage(f"The message is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                             f"{exc.colno}.", "malformed") from None
    except ValueError as exc:
        detail = str(exc).split(":")[0]  # the first clause says what; the rest may quote the message
        raise InvalidMessage(f"The message is not valid JSON: {detail}.", "malformed") from None
    except RecursionError:
        raise InvalidMessage("The message is not valid JSON: it is nested too deeply.", "malformed") from None
    return data


def parse_envelope(raw: bytes | str | dict, *, check_body: bool = True) -> Envelope:
    """Read a message from the wire (bytes or text) or a dict; raise InvalidMessage saying what is wrong."""
    if isinstance(raw, dict):
        try:
            # Through the agreed byte form and back, so that a dict gets exactly the checks bytes get.
            raw = canonical_json(raw)
        except (TypeError, ValueError, RecursionError):
            raise InvalidMessage("The message holds values that JSON cannot carry.", "malformed") from None
    elif not isinstance(raw, bytes | bytearray | str):
        raise InvalidMessage("The message is not bytes, text or a JSON object.", "malformed")
    return Envelope.from_dict(decode_json(raw), check_body=check_body, _fresh=True)  # just decoded: ours alone


def _describe(stream: tuple[str, str, str | None]) -> str:
    sender, recipient, request = stream
    return f"{sender} → {recipient} for {request or 'the programme'}"


def check_incoming(raw: bytes | str | dict, keyring: Mapping, expected_recipient: str,
                   last_applied_sequence: int | None, already_applied: bool, *,
                   receiving_as: str | None = None) -> Verdict:
    """Decide what to do with one incoming message. Whatever `raw` holds, this returns a Verdict.

    keyring: the public keys of the parties we accept messages from (signing.KeyRing).
    expected_recipient: our own party id.
    last_applied_sequence: the highest sequence applied so far in this message's stream; None if none.
    already_applied: whether a message with this id has been applied before.
    receiving_as: "provider" or "agency", to refuse the message types only the other side receives.
    """
    verdict = check_authored(raw, keyring, expected_recipient, receiving_as=receiving_as)
    return check_turn(verdict, last_applied_sequence, already_applied)


def check_authored(raw: bytes | str | dict, keyring: Mapping, expected_recipient: str, *,
                   receiving_as: str | None = None) -> Verdict:
    """The checks that need nothing stored: readable, for us, signed by its sender, a body of its type.

    APPLY here means only "may take its turn" (check_turn decides); a receiver makes this check first so
    that it touches its database only for a message a party signed (DESIGN.md §3.4).
    """
    if receiving_as not in (None, "provider", "agency"):
        raise ValueError(f"receiving_as must be 'provider', 'agency' or None, not {receiving_as!r}")

    def reject(reason: str, problem: str, envelope: Envelope | None = None) -> Verdict:
        return Verdict(Outcome.REJECT, reason, envelope, problem, _signed(envelope, keyring))

    try:
        envelope = parse_envelope(raw, check_body=False)
    except InvalidMessage as exc:
        return reject(exc.reason, exc.problem)
    if envelope.recipient != expected_recipient:
        return reject(f"The message is addressed to {envelope.recipient}, not to {expected_recipient}.",
                      "wrong_recipient", envelope)
    sent_by = MESSAGE_TYPES[envelope.type].sent_by
    if receiving_as is not None and sent_by == receiving_as:
        return reject(f"Only the {sent_by} sends {envelope.type} messages, so the {receiving_as} cannot "
                      "receive one.", "wrong_direction", envelope)
    # Who wrote it before what it says: a body is worth reading only once its author is known.
    try:
        verify(envelope, keyring)
    except BadSignature as exc:
        return Verdict(Outcome.REJECT, exc.reason, envelope, exc.problem)
    try:
        validate_body(envelope.type, envelope.body)
    except InvalidMessage as exc:  # signed by a party, so a fault of its software: kept whole for inspection
        return Verdict(Outcome.REJECT, exc.reason, envelope, exc.problem, True)
    return Verdict(Outcome.APPLY, f"Message {envelope.id} is genuine and well formed.", envelope, authentic=True)


# The words of the refusal of a number already used: the sender's `tono link repair` finds its messages by them.
REUSED = "was already used by another message"


def check_turn(verdict: Verdict, last_applied_sequence: int | None, already_applied: bool) -> Verdict:
    """A check_authored verdict placed in its stream: duplicate, out of order, or next (then APPLY)."""
    envelope = verdict.envelope
    if verdict.outcome is not Outcome.APPLY or envelope is None:
        return verdict
    # "Duplicate" only for a message whose signature checked out: said before, it would tell anyone which
    # message ids we hold, and answer a forgery with the receipt of the genuine message.
    if already_applied:
        return Verdict(Outcome.DUPLICATE, f"Message {envelope.id} was applied before, so it is acknowledged "
                       "and not applied again.", envelope, authentic=True)
    expected = (last_applied_sequence or 0) + 1
    if envelope.sequence < expected:  # a number already used by another message: it will never be next
        return Verdict(Outcome.OUT_OF_ORDER, f"Sequence {envelope.sequence} in stream {_describe(envelope.stream)} "
                       f"{REUSED} (expected {expected}): the sender was restored from an "
                       "older backup; `tono link repair` numbers its messages afresh.", envelope, "out_of_order",
                       True)
    if envelope.sequence != expected:
        return Verdict(Outcome.OUT_OF_ORDER, f"Expected sequence {expected} in stream "
                       f"{_describe(envelope.stream)}, got {envelope.sequence}.", envelope, "out_of_order", True)
    return Verdict(Outcome.APPLY, f"Message {envelope.id} is genuine, well formed and next in its stream.",
                   envelope, authentic=True)


def _signed(envelope: Envelope | None, keyring: Mapping) -> bool:
    """Whether a message refused for its address or direction was still signed by a party (a misrouting
    by the other side's software, kept whole) rather than made up by anyone."""
    if envelope is None:
        return False
    try:
        verify(envelope, keyring)
    except BadSignature:
        return False
    return True
