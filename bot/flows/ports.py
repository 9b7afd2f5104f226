"""What the family conversation needs from the provider, and nothing more. The flows call these;
bot/family.py answers them from the provider's database, and the lifecycle decides every move."""

from __future__ import annotations

from dataclasses import dataclass
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

    async def withdraw(self, chat: ChatInfo, ref: str) -> RequestView | None: ...

    async def ask_for_a_person(self, chat: ChatInfo, note: str) -> None: ...

    async def open_question(self, chat: ChatInfo, ref: str) -> str | None: ...

    async def answer_question(self, chat: ChatInfo, ref: str, answer: str) -> bool: ...

    async def remember_settings(self, chat: ChatInfo) -> None: ...
