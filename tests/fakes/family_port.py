"""An in-memory FamilyPort and a conversation runner around it (cosmicpython's fake repository idea), so
flow tests run the real flows with no database: what the flows ask of the provider is answered from
plain dictionaries, and every move of a request still goes through protocol.lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.flows import ENGINE
from bot.flows.chat import Document, Incoming, Said
from bot.flows.engine import MENU, Engine, State, Turn
from bot.flows.ports import (
    ChatInfo,
    Copies,
    Enrolment,
    Opening,
    PersonChoice,
    RequestView,
    Sending,
    Submitted,
    Timeline,
    Use,
)
from bot.language.i18n import LANGUAGES, Plain
from protocol import deadlines, lifecycle
from protocol.agreement import Agreement


@dataclass
class FakePerson:
    id: int
    given_name: str
    may_ask_for: list[int] = field(default_factory=list)
    code: str = ""  # the enrolment code that links a chat to this person (single use)


@dataclass
class FakeRequest:
    ref: str
    kind: str
    chat_link_id: int
    requester_id: int | None
    subject_id: int | None
    answers: dict
    state: str = "draft"
    reached: dict = field(default_factory=dict)
    due_on: date | None = None
    question: str = ""
    openings: list[Opening] = field(default_factory=list)


class FakeFamily:
    """FamilyPort from memory. `notes` keeps what a family asked staff for, `told_agency` what went to the
    agency, so a test can see the effects the real port would store."""

    def __init__(self, agreement: Agreement, today: date, people: list[FakePerson] = ()):
        self.agreement, self.today = agreement, today
        self.people = {p.id: p for p in people}
        self.links: dict[int, int | None] = {}  # chat_link_id -> person id
        self.requests: dict[str, FakeRequest] = {}
        self.notes: list[str] = []
        self.concerns: list[str] = []  # words of danger heard, as raise_concern was told them
        self.told_agency: list[tuple[str, str]] = []
        self.uses: list[Use] = []
        self.sent: list[Sending] = []  # the ledger: sendings about anyone, filtered per chat like the real one
        self.settings: dict[int, tuple[str, str]] = {}
        self.copies_missing = False  # True: staff have not written the version asked for

    def move(self, request: FakeRequest, trigger: str, role: str, **context) -> None:
        step = lifecycle.fire(request.state, trigger, role, **context)
        request.state = step.dest
        request.reached.setdefault(trigger, self.today)

    async def enrol(self, chat: ChatInfo, code: str) -> Enrolment:
        person = next((p for p in self.people.values() if p.code and p.code == code), None)
        if person is None:
            return Enrolment("unknown")
        if self.links.get(chat.chat_link_id) == person.id:
            return Enrolment("already", person.given_name)
        person.code = ""
        self.links[chat.chat_link_id] = chat.person_id = person.id
        return Enrolment("enrolled", person.given_name)

    async def people_i_may_ask_for(self, chat: ChatInfo) -> list[PersonChoice]:
        me = self.people.get(chat.person_id)
        return [PersonChoice(i, self.people[i].given_name) for i in (me.may_ask_for if me else [])]

    async def submit(self, chat: ChatInfo, answers: dict) -> Submitted:
        subject = answers.get("subject")
        if isinstance(subject, int) and subject not in {p.person_id for p in await self.people_i_may_ask_for(chat)}:
            raise PermissionError("this chat may not ask for that person")
        ref = f"BFF-{self.today.year}-{len(self.requests) + 1:06d}"
        request = FakeRequest(ref, answers["kind"], chat.chat_link_id, chat.person_id,
                              chat.person_id if subject == "self" else subject if isinstance(subject, int) else None,
                              dict(answers))
        self.move(request, "submit", "family")
        self.requests[ref] = request
        relay_days = self.agreement.service_levels.provider_relays_within_working_days
        relay_by = deadlines.add_working_days(self.today, relay_days)
        return Submitted(ref, request.kind, relay_by, deadlines.decision_due(relay_by))

    def _mine(self, chat: ChatInfo) -> list[FakeRequest]:
        return [r for r in self.requests.values()
                if r.chat_link_id == chat.chat_link_id or (chat.person_id and r.requester_id == chat.person_id)]

    def _view(self, request: FakeRequest, chat: ChatInfo) -> RequestView:
        other = request.subject_id not in (None, chat.person_id)
        name = self.people[request.subject_id].given_name if other else ""
        return RequestView(request.ref, request.kind, request.state, name, request.due_on, False,
                           lifecycle.family_may_withdraw(request.state))

    def _my(self, chat: ChatInfo, ref: str) -> FakeRequest | None:
        return next((r for r in self._mine(chat) if r.ref == ref), None)

    async def my_requests(self, chat: ChatInfo) -> list[RequestView]:
        return [self._view(r, chat) for r in reversed(self._mine(chat))]

    async def timeline(self, chat: ChatInfo, ref: str) -> Timeline | None:
        request = self._my(chat, ref)
        if request is None:
            return None
        return Timeline(request.ref, request.kind, request.state, dict(request.reached), due_on=request.due_on)

    async def withdraw(self, chat: ChatInfo, ref: str) -> RequestView | None:
        request = self._my(chat, ref)
        if request is None or not lifecycle.may(request.state, "withdraw", "family"):
            return None
        self.move(request, "withdraw", "family")
        return self._view(request, chat)

    async def ask_for_a_person(self, chat: ChatInfo, note: str, urgent: bool = False) -> bool:
        self.notes.append(note)
        return True

    async def raise_concern(self, chat: ChatInfo, words: str) -> None:
        self.concerns.append(words)

    async def open_question(self, chat: ChatInfo, ref: str) -> str | None:
        request = self._my(chat, ref)
        return request.question if request is not None and request.state == "clarifying" else None

    async def answer_question(self, chat: ChatInfo, ref: str, answer: str) -> bool:
        request = self._my(chat, ref)
        if request is None or not lifecycle.may(request.state, "answer_clarification", "family", answer=answer):
            return False
        self.move(request, "answer_clarification", "family", answer=answer)
        self.told_agency.append((ref, answer))
        return True

    async def remember_settings(self, chat: ChatInfo) -> None:
        self.settings[chat.chat_link_id] = (chat.language, chat.register)

    async def copies(self, chat: ChatInfo, ref: str, language: str, register: str) -> Copies | None:
        request = self._my(chat, ref)
        if request is None or request.state not in lifecycle.ANSWER_GIVEN or self.copies_missing:
            return None
        return Copies([Plain("Here is what we hold.")], Document(f"{ref}.pdf", b"%PDF-1.4"), [])

    async def read_together(self, chat: ChatInfo, ref: str) -> bool:
        request = self._my(chat, ref)
        return request is not None and request.state in lifecycle.ANSWER_GIVEN

    async def may_attach_statement(self, chat: ChatInfo, ref: str, item_key: str) -> bool:
        return False

    async def attach_statement(self, chat: ChatInfo, ref: str, item_key: str, statement: str) -> bool:
        return False

    async def information_uses(self, chat: ChatInfo) -> list[Use]:
        return list(self.uses) if chat.person_id else []

    async def sendings(self, chat: ChatInfo) -> list[Sending]:
        if chat.person_id is None:
            return []
        mine = {chat.person_id} | {p.person_id for p in await self.people_i_may_ask_for(chat)}
        return [sending for sending in self.sent if sending.person_id in mine]

    async def who_has_seen(self, chat: ChatInfo) -> list[Opening]:
        return [o for r in self._mine(chat) for o in r.openings]


class MemoryConversations:
    """What a channel calls (`handle`), run on the real flows with a FakeFamily and each chat's state in
    memory; tests.bot.chat_driver.FamilyChat drives it as it drives the database-backed Conversations."""

    def __init__(self, family: FakeFamily, engine: Engine = ENGINE):
        self.family, self.engine = family, engine
        self.chats: dict[str, tuple[ChatInfo, State]] = {}

    async def handle(self, channel: str, chat_key: str, incoming: Incoming, language_hint: str | None = None,
                     **_ignored) -> Said:
        key = f"{channel}:{chat_key}"
        first = key not in self.chats
        if first:
            hint = (language_hint or "").split("-")[0].lower()
            chat = ChatInfo(len(self.chats) + 1, None, None, hint if hint in LANGUAGES else "en", "adult",
                            first_contact=True)
            self.chats[key] = (chat, State(MENU, {}, 0))
        chat, state = self.chats[key]
        chat.first_contact = first
        person = self.family.people.get(self.family.links.get(chat.chat_link_id))
        chat.person_id, chat.given_name = (person.id, person.given_name) if person else (None, None)
        turn = Turn(chat, state, self.family, self.family.today)
        await self.engine.turn(turn, incoming)
        return Said(turn.replies, state.screen, turn.notice, chat.language, chat.register)
