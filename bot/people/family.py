"""The provider's answers to the family conversation (bot.flows.ports.FamilyPort), from its database.
Every check that a family may see or do something is made here, on the server, on every call."""

from __future__ import annotations

import functools
import uuid
from datetime import date

from sqlalchemy import or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.copies.drawing import Drawing
from bot.copies.items import STUDY_ITEM, answer_items
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
from bot.models import (
    Authority,
    ChatLink,
    ContactRequest,
    CorrectionStatement,
    Person,
    Request,
    RequestEvent,
)
from bot.people import enrolment, young
from bot.people.sendings import sendings_about
from bot.people.welcome_limits import WelcomeLimits
from bot.reports.outcomes import uses_for
from bot.requests import delivery, study_parts
from bot.requests.moves import move
from protocol import deadlines, lifecycle
from protocol.agreement import Agreement
from protocol.clock import nz_today
from protocol.queue import Outbox

# The agency's clock is running in these states; after its due date the family is told it is late.
WITHDRAWABLE = frozenset(s for s in lifecycle.STATES if "withdraw" in lifecycle.allowed_triggers(s, "family"))


def request_prefix(agreement: Agreement) -> str:
    """'best-foot-forward' → 'BFF': the start of every reference, so staff see the programme at a glance."""
    return "".join(word[0] for word in agreement.programme.id.split("-")).upper()[:6]


class FamilyDesk:
    """FamilyPort for one turn, inside that turn's transaction."""

    def __init__(self, session: AsyncSession, agreement: Agreement, today: date, outbox: Outbox | None = None,
                 drawing: Drawing | None = None, welcome: WelcomeLimits | None = None, client: str | None = None):
        self.session = session
        self.welcome, self.client = welcome, client  # the hour's limits, and who is asking (an address, or None)
        self.drawing = drawing  # where copies are drawn (bot/copies/drawing.py); None draws them in place
        self.agreement = agreement
        self.today = today
        self.outbox = outbox  # the queue to the agency; None where a test or tool runs the chat alone

    async def _chat(self, chat: ChatInfo) -> ChatLink:
        return await self.session.get(ChatLink, chat.chat_link_id)

    async def enrol(self, chat: ChatInfo, code: str) -> Enrolment:
        linked = await self._chat(chat)
        result = await enrolment.redeem(self.session, linked, code)
        if result.outcome == "enrolled":
            chat.person_id = linked.person_id
            # From the first message: the language staff set for the person, and, for a young person, the child
            # register (the agreement's young_people); the family can still change either from the menu.
            person = await self.session.get(Person, linked.person_id)
            linked.language = chat.language = person.language or chat.language
            if young.is_young(person, self.agreement, self.today):
                linked.audience = chat.register = "child"
            self.session.add(linked)
        return result

    async def people_i_may_ask_for(self, chat: ChatInfo) -> list[PersonChoice]:
        if chat.person_id is None:
            return []
        rows = await self.session.exec(
            select(Person).join(Authority, Authority.subject_id == Person.id)
            .where(Authority.actor_id == chat.person_id, Authority.revoked_at.is_(None)).order_by(Person.given_name)
        )
        return [PersonChoice(p.id, p.given_name) for p in rows]

    async def submit(self, chat: ChatInfo, answers: dict) -> Submitted:
        kind = answers["kind"]
        subject = answers.get("subject")
        if subject == "self":
            subject_id = chat.person_id
        elif isinstance(subject, int):
            allowed = {p.person_id for p in await self.people_i_may_ask_for(chat)}
            if subject not in allowed:
                raise PermissionError("this chat may not ask for that person")
            subject_id = subject
        else:
            subject_id = None
        request = Request(
            ref=f"new-{uuid.uuid4().hex[:24]}", kind=kind, requester_id=chat.person_id, subject_id=subject_id,
            chat_link_id=chat.chat_link_id, requester_name=answers.get("requester_name", ""),
            subject_name=answers.get("subject_name", ""), scope=answers.get("holder", "both"),
            details=answers.get("specific", ""), correction_what=answers.get("what", ""),
            correction_should_say=answers.get("should_say", ""), form=answers.get("form", "copy"),
            urgent=bool(answers.get("urgent")), urgency_reason=answers.get("urgency_reason", ""),
        )
        self.session.add(request)
        await self.session.flush()
        request.ref = f"{request_prefix(self.agreement)}-{self.today.year}-{request.id:06d}"
        await move(self.session, request, "submit", "family", actor_label="family chat")
        relay_days = self.agreement.service_levels.provider_relays_within_working_days
        relay_by = deadlines.add_working_days(self.today, relay_days)
        return Submitted(request.ref, kind, relay_by, deadlines.decision_due(relay_by))

    async def _mine(self, chat: ChatInfo):
        mine = [Request.chat_link_id == chat.chat_link_id]
        if chat.person_id is not None:
            mine.append(Request.requester_id == chat.person_id)
        return select(Request).where(or_(*mine))

    async def my_requests(self, chat: ChatInfo) -> list[RequestView]:
        query = (await self._mine(chat)).order_by(Request.created_at.desc(), Request.id.desc()).limit(50)
        return [await self._view(r, chat) for r in await self.session.exec(query)]

    async def _view(self, request: Request, chat: ChatInfo) -> RequestView:
        if request.subject_id is not None and request.subject_id != chat.person_id:
            subject = await self.session.get(Person, request.subject_id)
            name = subject.given_name
        else:
            name = "" if request.subject_id == chat.person_id or not request.subject_name else request.subject_name
        return RequestView(request.ref, request.kind, request.state, name, request.due_on, self._overdue(request),
                           request.state in WITHDRAWABLE)

    def _overdue(self, request: Request) -> bool:
        return (request.state in lifecycle.AT_AGENCY and request.due_on is not None
                and deadlines.is_overdue(request.due_on, self.today))

    async def timeline(self, chat: ChatInfo, ref: str) -> Timeline | None:
        request = (await self.session.exec((await self._mine(chat)).where(Request.ref == ref))).first()
        if request is None:
            return None
        moves = await self.session.exec(select(RequestEvent.trigger, RequestEvent.at).where(
            RequestEvent.request_id == request.id, RequestEvent.from_state != RequestEvent.to_state)
            .order_by(RequestEvent.seq))
        reached: dict = {}
        for trigger, at in moves:
            reached.setdefault(trigger, nz_today(at))
        relay_by = None
        if request.state in lifecycle.BEFORE_RELAY and "submit" in reached:
            relay_by = deadlines.add_working_days(
                reached["submit"], self.agreement.service_levels.provider_relays_within_working_days)
        return Timeline(request.ref, request.kind, request.state, reached, request.scope != "provider", relay_by,
                        request.due_on, self._overdue(request))

    async def _my_request(self, chat: ChatInfo, ref: str) -> Request | None:
        return (await self.session.exec((await self._mine(chat)).where(Request.ref == ref).with_for_update())).first()

    async def _tell_agency(self, request: Request, type: str, body: dict) -> None:
        if self.outbox is None:
            raise RuntimeError("this conversation has no queue to the agency")
        await self.outbox.send(self.session, type=type, recipient=self.agreement.agency.id, request=request.ref,
                               body=body)

    async def withdraw(self, chat: ChatInfo, ref: str) -> RequestView | None:
        request = await self._my_request(chat, ref)
        if request is None or not lifecycle.may(request.state, "withdraw", "family"):
            return None
        agency_has_it = request.state in lifecycle.AT_AGENCY or bool(request.units)
        await move(self.session, request, "withdraw", "family", actor_label="family chat")
        if agency_has_it:
            await self._tell_agency(request, "request.withdrawn", {"withdrawn_on": self.today.isoformat()})
            await study_parts.withdraw_parts(self.session, request, self.outbox, self.agreement.agency.id, self.today)
        return await self._view(request, chat)

    async def open_question(self, chat: ChatInfo, ref: str) -> str | None:
        request = await self._my_request(chat, ref)
        return request.clarification if request is not None and request.state == "clarifying" else None

    async def answer_question(self, chat: ChatInfo, ref: str, answer: str) -> bool:
        request = await self._my_request(chat, ref)
        if request is None or not lifecycle.may(request.state, "answer_clarification", "family", answer=answer):
            return False
        await move(self.session, request, "answer_clarification", "family", actor_label="family chat", answer=answer)
        request.clarification = ""
        await self._tell_agency(request, "clarification.answered", {"answer": answer})
        return True

    async def ask_for_a_person(self, chat: ChatInfo, note: str, urgent: bool = False) -> bool:
        """Put the family on the staff's list; False, and nothing stored, past the hour's limits. An urgent one
        (words of danger) is never held back by them: a family in danger is not told to ask again later."""
        if not urgent and self.welcome and not self.welcome.may_ask_for_a_person(chat.chat_link_id, self.client,
                                                                                 chat.person_id is not None):
            return False
        self.session.add(ContactRequest(chat_link_id=chat.chat_link_id, note=note, urgent=urgent))
        return True

    async def raise_concern(self, chat: ChatInfo, words: str) -> None:
        """The family typed words of danger: every wish of this chat's to talk to a person still waiting is now
        urgent, or one is made with their words. At most one is made while one waits, so repeating the words
        cannot flood the desk."""
        waiting = list(await self.session.exec(select(ContactRequest).where(
            ContactRequest.chat_link_id == chat.chat_link_id, ContactRequest.handled_at.is_(None))))
        for contact in waiting:
            contact.urgent = True
            self.session.add(contact)
        if not waiting:
            self.session.add(ContactRequest(chat_link_id=chat.chat_link_id, note=words, urgent=True))

    async def remember_settings(self, chat: ChatInfo) -> None:
        link = await self._chat(chat)
        link.language, link.audience = chat.language, chat.register
        self.session.add(link)

    async def _delivered(self, chat: ChatInfo, ref: str) -> Request | None:
        request = await self._my_request(chat, ref)
        return request if request is not None and request.state in lifecycle.ANSWER_GIVEN else None

    async def copy_material(self, chat: ChatInfo, ref: str, language: str, register: str):
        """What this chat's copies would say (None if it may not have them): read here, drawn elsewhere."""
        request = await self._delivered(chat, ref)
        if request is None:
            return None
        try:
            return await delivery.copy_material(self.session, request, self.agreement, language, register, self.today)
        except delivery.DeliveryError:
            return None

    async def copies(self, chat: ChatInfo, ref: str, language: str, register: str) -> Copies | None:
        material = await self.copy_material(chat, ref, language, register)
        if material is None:
            return None
        # Inside the turn's transaction: drawn in the drawing pool (the event loop goes on) and remembered, so
        # the web chat's download of the same copies right after is not drawn again.
        draw = functools.partial(delivery.draw_copies, material)
        pdf = await self.drawing.draw(material.key, draw) if self.drawing else draw()
        request = await self._delivered(chat, ref)
        items = await answer_items(self.session, request)
        attached = set((await self.session.exec(select(CorrectionStatement.item_key).where(
            CorrectionStatement.request_id == request.id))).all())
        statements = [(i.key, i.title) for i in items if i.kind == "not_corrected" and i.key not in attached]
        return Copies(list(material.explained), delivery.copies_document(material, pdf), statements)

    async def read_together(self, chat: ChatInfo, ref: str) -> bool:
        request = await self._delivered(chat, ref)
        if request is None:
            return False
        await delivery.choose_together(self.session, request)
        return True

    async def may_attach_statement(self, chat: ChatInfo, ref: str, item_key: str) -> bool:
        request = await self._delivered(chat, ref)
        if request is None or request.kind != "correction":
            return False
        refused = {i.key for i in await answer_items(self.session, request) if i.kind == "not_corrected"}
        return item_key in refused

    async def attach_statement(self, chat: ChatInfo, ref: str, item_key: str, statement: str) -> bool:
        if not await self.may_attach_statement(chat, ref, item_key):
            return False
        request = await self._delivered(chat, ref)
        self.session.add(CorrectionStatement(request_id=request.id, item_key=item_key, statement=statement))
        unit, item = item_key.split(":", 1)
        if item.startswith(STUDY_ITEM):  # a record the unit holds under a study number: that part's stream
            await study_parts.send_statement(self.session, request, unit, item.removeprefix(STUDY_ITEM),
                                             statement, self.outbox, self.agreement.agency.id)
        else:
            await self._tell_agency(request, "correction.statement", {"item_id": item, "statement": statement})
        return True

    async def information_uses(self, chat: ChatInfo) -> list[Use]:
        """The outcomes tied to reports that carried the information of the chat's person or of the children
        they may act for (as the ledger view shows sendings)."""
        if chat.person_id is None:
            return []
        children = {p.person_id: p.given_name for p in await self.people_i_may_ask_for(chat)}
        return await uses_for(self.session, chat.person_id, children)

    async def sendings(self, chat: ChatInfo) -> list[Sending]:
        if chat.person_id is None:
            return []
        children = [p.person_id for p in await self.people_i_may_ask_for(chat)]
        return await sendings_about(self.session, [chat.person_id, *children])

    async def who_has_seen(self, chat: ChatInfo) -> list[Opening]:
        refs = {r.id: r.ref for r in await self.session.exec(await self._mine(chat))}
        if not refs:
            return []
        rows = await self.session.exec(select(RequestEvent).where(
            RequestEvent.request_id.in_(list(refs)), RequestEvent.trigger == "opened").order_by(RequestEvent.at))
        return [Opening(nz_today(e.at), e.detail.get("unit") if e.actor_role == "officer" else None,
                        refs[e.request_id], e.detail.get("role") if e.actor_role == "officer" else None)
                for e in rows]
