"""What the family conversation needs from the provider, and nothing more. The flows call these;
bot/people/family.py answers them from the provider's database, and the lifecycle decides every move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from protocol.agreement import Agreement


@dataclass
class ChatInfo:
    """The chat as the flows see it; language and register may change during a turn."""

    chat_link_id: int
    person_id: int | None
    given_name: str | None
    language: str
    register: str
    first_contact: bool = False


@dataclass(frozen=True)
class PersonChoice:
    person_id: int
    given_name: str


@dataclass(frozen=True)
class Submitted:
    ref: str
    kind: str
    relay_by: date  # CCSS passes it to the agency by then (the agreement's service level)
    decision_due: date  # the latest the agency must decide, if it receives it on relay_by


@dataclass(frozen=True)
class RequestView:
    ref: str
    kind: str
    state: str
    subject_name: str
    due_on: date | None
    overdue: bool
    may_withdraw: bool


@dataclass(frozen=True)
class Timeline:
    """One request's way so far, for the picture of its steps: the day each step happened, and what is due."""

    ref: str
    kind: str
    state: str
    reached: Mapping[str, date] = field(default_factory=dict)  # lifecycle trigger -> the day it first happened
    via_agency: bool = True  # False: only CCSS's own records were asked for, so it never goes to the agency
    relay_by: date | None = None  # CCSS passes it to the agency by then (the agreement's service level)
    due_on: date | None = None  # the agency must decide by then
    overdue: bool = False


@dataclass(frozen=True)
class Use:
    """An outcome of information use a unit reported, against reports that carried the family's information."""

    reported_on: date
    kind: str  # decision, advice, report
    unit: str  # the unit's id
    template: str | None  # a template's id (protocol/outcomes.py), or None: the unit's own four summaries
    summaries: Mapping[str, Mapping[str, str]] | None  # {language: {register: text}}
    flows: tuple[str, ...] = ()  # the flows of the reports that informed it
    names: tuple[str, ...] = ()  # the children (given names) whose information was in them, for a parent
    mine: bool = True  # the chat's own person's information was in them


@dataclass(frozen=True)
class Opening:
    """Someone opened a family's request or records: a role and a place, never a name."""

    day: date
    unit: str | None  # an agency unit id, or None for CCSS staff
    ref: str
    role: str | None = None  # the officer's role in the unit (an id from its seen_by), when the agency said


@dataclass(frozen=True)
class Sending:
    """One sending of a person's information to a unit of the agency, under a flow of the agreement (from
    the provider's ledger): whose, when, which flow, to which unit, named or under a study number."""

    person_id: int
    given_name: str
    day: date
    flow: str
    unit: str
    named: bool
    correction: bool = False  # a correction of information the unit already had


@dataclass(frozen=True)
class Copies:
    explained: list  # list[Text]
    document: object  # bot.flows.chat.Document
    statements: list[tuple[str, str]]  # (item key, title) of records the family may attach a statement to


# Slow work a turn can do, which a channel shows while it runs ("sending a document…" on Telegram).
Work = Literal["copies"]

EnrolOutcome = Literal["enrolled", "unknown", "expired", "used", "slow_down", "already"]


@dataclass(frozen=True)
class Enrolment:
    outcome: EnrolOutcome
    given_name: str | None = None
    wait_seconds: int = 0


class FamilyPort(Protocol):
    agreement: Agreement

    async def enrol(self, chat: ChatInfo, code: str) -> Enrolment: ...

    async def people_i_may_ask_for(self, chat: ChatInfo) -> list[PersonChoice]: ...

    async def submit(self, chat: ChatInfo, answers: dict) -> Submitted: ...

    async def my_requests(self, chat: ChatInfo) -> list[RequestView]: ...

    async def timeline(self, chat: ChatInfo, ref: str) -> Timeline | None: ...

    async def withdraw(self, chat: ChatInfo, ref: str) -> RequestView | None: ...

    async def ask_for_a_person(self, chat: ChatInfo, note: str, urgent: bool = False) -> bool: ...  # False: too many
    # this hour (never for an urgent one)

    async def raise_concern(self, chat: ChatInfo, words: str) -> None: ...  # words of danger: the chat's wish to
    # talk to a person is urgent, made now if it has none waiting

    async def open_question(self, chat: ChatInfo, ref: str) -> str | None: ...

    async def answer_question(self, chat: ChatInfo, ref: str, answer: str) -> bool: ...

    async def remember_settings(self, chat: ChatInfo) -> None: ...

    async def copies(self, chat: ChatInfo, ref: str, language: str, register: str) -> Copies | None: ...

    async def read_together(self, chat: ChatInfo, ref: str) -> bool: ...

    async def may_attach_statement(self, chat: ChatInfo, ref: str, item_key: str) -> bool: ...

    async def attach_statement(self, chat: ChatInfo, ref: str, item_key: str, statement: str) -> bool: ...

    async def information_uses(self, chat: ChatInfo) -> list[Use]: ...

    async def who_has_seen(self, chat: ChatInfo) -> list[Opening]: ...

    async def sendings(self, chat: ChatInfo) -> list[Sending]: ...  # the chat's person's and the children's
