"""The life of a request, as the provider and the agency agree it.

A family asks to see the information held about them (an access request, Information Privacy Principle 6)
or to have it corrected (a correction request, IPP 7). Both kinds go through the same steps:

    draft -> submitted -> approved -> relayed -> received -> answered -> preparing -> delivered -> closed

The family writes and submits the request; provider staff check who is asking and that they may ask, and
approve it; it is relayed to the agency, which acknowledges it (the Privacy Act's 20 working days start);
every unit of the agency that holds information for it answers (see `protocol.tasks`); staff prepare the
explanation and copies and deliver them. Along the way the agency may ask the family to clarify, extend
the time limit, or transfer the request to another agency; the family may withdraw it until it is
delivered; staff may decline it when they cannot confirm identity or authority.

How to read the table below: each row is one step. `source` lists where a request may be when the step is
taken, `dest` where it is after, `roles` who may take it, `guards` the conditions that must hold (each is
a function further down, with its reason). A step that is not in the table cannot happen.
Run `python -m protocol.lifecycle` to print a diagram of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from protocol import deadlines
from protocol.grounds import ExtensionGround
from protocol.statemachine import Guard, IllegalMove, Move, Refusal, Role, StateMachine, either, guard
from protocol.tasks import TASK_STATES, request_is_answered

__all__ = [
    "STATES", "TRANSITIONS", "TERMINAL_STATES", "GUARDS", "Role", "RequestKind", "IdentityCheck",
    "IllegalMove", "Refusal", "Move", "fire", "may", "allowed_triggers", "is_open", "family_may_withdraw",
    "mermaid", "BEFORE_DELIVERY", "BEFORE_RELAY", "AT_AGENCY", "UNITS_ANSWERING", "ANSWER_BEING_PREPARED",
    "ANSWER_GIVEN", "WAITING_ON_SOMEONE", "SENT_BY_FAMILY",
]  # fmt: skip


class RequestKind(StrEnum):
    """What the family asks for. Both kinds follow the same steps; none of the steps depends on the kind."""

    ACCESS = "access"  # IPP 6: see the information held (Privacy Act 2020, ss 40-57)
    CORRECTION = "correction"  # IPP 7: correct it, or attach a statement of correction (ss 59-66)


class IdentityCheck(StrEnum):
    """How staff satisfied themselves of who is asking and that they may ask (s 57)."""

    KNOWN_IN_PERSON = "known_in_person"  # staff know the person and their authority from working with them
    ID_SEEN = "id_seen"  # staff saw identity documents (and, for someone acting for another, the authority)
    PHONE_CALL = "phone_call"  # staff confirmed by calling back on a number already on file


STATES: dict[str, str] = {
    "draft": "The family is writing the request; nobody else sees it yet.",
    "submitted": "The family has sent the request; provider staff will check who is asking.",
    "approved": "Staff have checked the family's identity and authority to ask, and said how.",
    "relayed": "The request is on its way to the agency.",
    "received": "The agency has the request; its 20 working days to decide have started.",
    "clarifying": "The agency has asked the family a question and waits for the answer.",
    "answered": "Every unit of the agency that holds information for the request has answered.",
    "preparing": "Staff are writing the explanation and preparing copies for the family.",
    "delivered": "The family has the explanation and the copies.",
    "closed": "Finished.",
    "transferred": "Passed to another agency that holds the information; the family was told.",
    "withdrawn": "The family withdrew the request.",
    "declined": "Staff could not confirm identity or authority; the family was told why and what to do.",
}

# Nothing more happens to a request in these states. A delivered request is not final: it is closed
# once the family has what they need, which leaves room to re-send it in the other language or register.
TERMINAL_STATES = frozenset({"closed", "transferred", "withdrawn", "declined"})

GUARDS: dict[str, Guard] = {}


def _phase(*states: str) -> tuple[str, ...]:
    unknown = [s for s in states if s not in STATES]
    assert not unknown, f"not states of a request: {unknown}"
    return states


# ---- Phases: the groups of states the rest of Tono asks about, named once here. Code elsewhere asks
# `request.state in lifecycle.AT_AGENCY`, never lists states by hand. ----

# Whatever has happened, the family may change their mind until they have the answer.
BEFORE_DELIVERY = _phase("draft", "submitted", "approved", "relayed", "received", "clarifying", "answered",
                         "preparing")
# With provider staff, not yet relayed: the provider's own relay-by date applies (the agreement's service level).
BEFORE_RELAY = _phase("submitted", "approved")
# The agency has the request, or it is on its way there: the agency's statutory 20 working days are counting.
AT_AGENCY = _phase("relayed", "received", "clarifying")
# The agency acknowledged it and its units are still answering.
UNITS_ANSWERING = _phase("received", "clarifying")
# Every unit has answered and staff are writing the explanation and copies: the deliver-by date applies.
ANSWER_BEING_PREPARED = _phase("answered", "preparing")
# The family has the answer (a closed request keeps it): its copies can be had again.
ANSWER_GIVEN = _phase("delivered", "closed")
# Staff still have something to do or wait for: open, past the family's draft, before the answer is given.
WAITING_ON_SOMEONE = _phase("submitted", "approved", "relayed", "received", "clarifying", "answered", "preparing")
# Everything staff may see: a draft is the family's alone until they send it.
SENT_BY_FAMILY = _phase(*(s for s in STATES if s != "draft"))

TRANSITIONS: tuple[Mapping[str, Any], ...] = tuple(
    MappingProxyType(row)
    for row in (
        # ---- the main path ----
        {"trigger": "submit", "source": ("draft",), "dest": "submitted",
         "roles": (Role.FAMILY,), "guards": (),
         "action": "submit a request",
         "description": "The family confirms and sends the request to the provider."},
        {"trigger": "approve", "source": ("submitted",), "dest": "approved",
         "roles": (Role.STAFF,), "guards": ("identity_and_authority_checked",),
         "action": "approve a request",
         "description": "Staff are satisfied of who is asking and that they may ask, and record how."},
        {"trigger": "relay", "source": ("approved",), "dest": "relayed",
         "roles": (Role.STAFF, Role.SYSTEM), "guards": (),
         "action": "relay a request",
         "description": "The request is put on the queue to the agency."},
        {"trigger": "acknowledge", "source": ("relayed",), "dest": "received",
         "roles": (Role.SYSTEM,), "guards": ("receipt_and_due_date_given",),
         "action": "record the agency's receipt of a request",
         "description": "The agency says it has the request and when it is due; the clock starts."},
        {"trigger": "complete", "source": ("received",), "dest": "answered",
         "roles": (Role.SYSTEM,), "guards": ("every_unit_answered",),
         "action": "complete a request",
         "description": "The last unit has answered, so the agency's answer is whole."},
        {"trigger": "prepare_locally", "source": ("approved",), "dest": "preparing",
         "roles": (Role.STAFF,), "guards": ("only_provider_records",),
         "action": "answer from the provider's own records",
         "description": "The request is only about the provider's records, so it never goes to the agency."},
        {"trigger": "prepare", "source": ("answered",), "dest": "preparing",
         "roles": (Role.STAFF,), "guards": (),
         "action": "start preparing the answer to a request",
         "description": "Staff start writing the explanation and the adult and child copies."},
        {"trigger": "deliver", "source": ("preparing",), "dest": "delivered",
         "roles": (Role.STAFF,), "guards": (),
         "action": "deliver the answer to a request",
         "description": "Staff send the explanation and copies to the family."},
        {"trigger": "close", "source": ("delivered",), "dest": "closed",
         "roles": (Role.SYSTEM, Role.STAFF, Role.FAMILY), "guards": (),
         "action": "close a request",
         "description": "The family has what they asked for; nothing more is to be done."},
        # ---- side paths ----
        {"trigger": "ask_clarification", "source": ("received",), "dest": "clarifying",
         "roles": (Role.OFFICER,), "guards": ("question_given",),
         "action": "ask the family to clarify a request",
         "description": "The agency asks the family what exactly they want."},
        {"trigger": "answer_clarification", "source": ("clarifying",), "dest": "received",
         "roles": (Role.FAMILY,), "guards": ("answer_given",),
         "action": "answer the agency's question about a request",
         "description": "The family answers, and the agency carries on."},
        {"trigger": "extend", "source": ("received",), "dest": "received",
         "roles": (Role.OFFICER,), "guards": ("extension_allowed",),
         "action": "extend the time limit of a request",
         "description": "The agency takes longer, on a ground the Act allows, and tells the family in time."},
        {"trigger": "transfer", "source": ("received",), "dest": "transferred",
         "roles": (Role.OFFICER,), "guards": ("other_agency_named", "transfer_in_time"),
         "action": "transfer a request",
         "description": "Another agency holds the information: the request goes there; the family is told."},
        {"trigger": "withdraw", "source": BEFORE_DELIVERY, "dest": "withdrawn",
         "roles": (Role.FAMILY,), "guards": (),
         "action": "withdraw a request",
         "description": "The family no longer wants the request to go ahead."},
        {"trigger": "decline", "source": ("submitted",), "dest": "declined",
         "roles": (Role.STAFF,), "guards": ("reason_given",),
         "action": "decline a request",
         "description": "Staff cannot confirm identity or authority; the family is told why and what to do."},
    )
)  # fmt: skip


# ---- The guards: each returns None when its condition holds, or the sentence that says what is missing ----


@guard(GUARDS, "identity_checked")
def identity_and_authority_checked(context: Mapping[str, Any]) -> str | None:
    """Information goes only to the person or someone with their authority (s 57); staff say how they knew."""
    if context.get("identity_checked") not in list(IdentityCheck):
        return f"To approve, say how identity and authority were checked: {either(IdentityCheck)}."
    return None


@guard(GUARDS, "received_on", "due")
def receipt_and_due_date_given(context: Mapping[str, Any]) -> str | None:
    """The 20 working days run from the day the agency receives the request (ss 44, 63)."""
    received_on, due = _day(context.get("received_on")), _day(context.get("due"))
    if received_on is None or due is None:
        return "To acknowledge, give the day the agency got the request (received_on) and the due date (due)."
    try:
        latest = deadlines.decision_due(received_on)
    except deadlines.DeadlineError as unknown:
        return str(unknown)
    if not received_on < due <= latest:
        return (
            f"The due date must be after the day the request was received and no later than 20 working days "
            f"after it ({latest.isoformat()}); more time needs an extension."
        )
    return None


@guard(GUARDS, "task_states")
def every_unit_answered(context: Mapping[str, Any]) -> str | None:
    """The provider's request is answered only when every unit in scope has answered its part."""
    states = context.get("task_states", ())
    if not isinstance(states, tuple) or not all(isinstance(s, str) and s in TASK_STATES for s in states):
        return f"To complete, give the states of the request's tasks (task_states): {either(TASK_STATES)}."
    if request_is_answered(states):
        return None
    waiting = sum(s not in ("answered", "withdrawn") for s in states)
    if not waiting:
        return "No unit has answered: the request has no tasks, or every task was withdrawn."
    return f"Not every unit has answered yet: {waiting} of {len(states)} tasks still to answer."


@guard(GUARDS, "scope")
def only_provider_records(context: Mapping[str, Any]) -> str | None:
    """Only what the family asked of the agency goes to the agency: nothing more is shared than needed."""
    if context.get("scope") != "provider":
        return "Only a request about the provider's own records (scope 'provider') is answered without the agency."
    return None


@guard(GUARDS, "question")
def question_given(context: Mapping[str, Any]) -> str | None:
    """The family can only clarify if they are told what is unclear."""
    if not _text(context.get("question")):
        return "To ask for clarification, write the question for the family."
    return None


@guard(GUARDS, "answer")
def answer_given(context: Mapping[str, Any]) -> str | None:
    """The agency carries on with the family's answer, so there must be one."""
    if not _text(context.get("answer")):
        return "To answer the agency's question, write the answer."
    return None


@guard(GUARDS, "ground", "received_on", "notified_on", "new_due")
def extension_allowed(context: Mapping[str, Any]) -> str | None:
    """An extension needs a ground the Act allows, and notice within the first 20 working days (ss 48, 65)."""
    days = [_day(context.get(key)) for key in ("received_on", "notified_on", "new_due")]
    ground = context.get("ground")
    if None in days or not isinstance(ground, str):
        return (
            f"To extend, give the ground ({either(ExtensionGround)}), the day the request was "
            f"received (received_on), the day the family was told (notified_on) and the new due date "
            f"(new_due)."
        )
    received_on, notified_on, new_due = days
    try:
        deadlines.check_extension(received_on, notified_on, new_due, ground)
    except deadlines.DeadlineError as refused:
        return str(refused)
    return None


@guard(GUARDS, "agency")
def other_agency_named(context: Mapping[str, Any]) -> str | None:
    """The family must be told where their request went (s 43)."""
    if not _text(context.get("agency")):
        return "To transfer, name the agency the request goes to."
    return None


@guard(GUARDS, "received_on", "transferred_on")
def transfer_in_time(context: Mapping[str, Any]) -> str | None:
    """A request is transferred within 10 working days of its receipt (s 43)."""
    received_on, transferred_on = _day(context.get("received_on")), _day(context.get("transferred_on"))
    if received_on is None or transferred_on is None:
        return "To transfer, give the day the request was received (received_on) and today (transferred_on)."
    try:
        latest = deadlines.transfer_due(received_on)
    except deadlines.DeadlineError as unknown:
        return str(unknown)
    if not received_on <= transferred_on <= latest:
        return (
            f"A request can be transferred only within 10 working days of its receipt, from "
            f"{received_on.isoformat()} to {latest.isoformat()}; {transferred_on.isoformat()} is outside "
            f"that."
        )
    return None


@guard(GUARDS, "reason")
def reason_given(context: Mapping[str, Any]) -> str | None:
    """A family that is declined is told why, so they know what they can do next."""
    if not _text(context.get("reason")):
        return "To decline, write the reason the family will be told."
    return None


def _day(value: Any) -> date | None:
    # A date and time is not a day until someone says in which time zone (see protocol.clock.nz_today).
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


# ---- The machine, and what both sides call ----

_REQUEST = StateMachine(
    noun="request",
    states=STATES,
    transitions=TRANSITIONS,
    guards=GUARDS,
    initial="draft",
    terminal=TERMINAL_STATES,
)


def fire(state: str, trigger: str, role: str, **context: Any) -> Move:
    """The move `role` makes by firing `trigger` on a request in `state`; raises IllegalMove saying why not.

    Pure: it computes the next state and changes nothing. `context` carries what the guards need (see each
    guard); a `kind`, if given, must be a RequestKind. Unknown states and roles raise ValueError.
    """
    _check_kind(context.get("kind"))
    return _REQUEST.fire(state, trigger, role, **context)


def may(state: str, trigger: str, role: str, **context: Any) -> bool:
    """Whether `fire` with the same arguments would succeed."""
    _check_kind(context.get("kind"))
    return _REQUEST.may(state, trigger, role, **context)


def allowed_triggers(state: str, role: str, kind: str | None = None) -> list[str]:
    """The triggers `role` may fire on a request in `state` now, in table order (guards not checked).

    `kind` is checked, but today no step depends on it: an access and a correction request take the same
    steps. A step that one day does would say so with a guard reading `kind`.
    """
    _check_kind(kind)
    return _REQUEST.allowed_triggers(state, role)


def is_open(state: str) -> bool:
    """Whether anything can still happen to a request in `state`."""
    return _REQUEST.is_open(state)


def family_may_withdraw(state: str) -> bool:
    """Whether the family can still withdraw a request in `state` (only before it is delivered)."""
    return _REQUEST.may(state, "withdraw", Role.FAMILY)


def mermaid() -> str:
    """A Mermaid stateDiagram-v2 of the request lifecycle, drawn from the table (edges: trigger and roles)."""
    return _REQUEST.mermaid()


def _check_kind(kind: Any) -> None:
    if kind is not None and kind not in list(RequestKind):
        raise ValueError(f"'{kind}' is not a kind of request; the kinds are {either(RequestKind)}.")


if __name__ == "__main__":
    print(mermaid(), end="")
