"""The study-numbered parts of a family's request ([reporting] item 6).

A unit that holds a person's data under a study number (a flow marked `identifiable: false`) is asked about it
apart from the named request: one study_part.relayed message per unit, in a stream of its own whose reference is
random (never derived from the family's reference), carrying only the kind, the unit, the study number that unit
knows the person by, the scope, the correction's words for a correction, and the day. No name, date of birth,
requester or participant id, so the unit answers without learning who asked, and nothing it receives joins the
part to the named request. Only the provider keeps the link (StudyPart).

The unit's acknowledgement and answer come back in that stream and are applied here to the family's request as
that unit's part: the request is answered only when its named units and its study parts have all answered, and
withdrawing the request withdraws its parts.

The study numbers come from the caller (the ledger, in bot.reports, which sits above this room): a map of unit
to the study number the ledger says that unit received the person's rows under.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.copies.items import STUDY_ITEM
from bot.language.i18n import Plain, _
from bot.models import CorrectionStatement, Request, StudyPart, UnitAnswer
from bot.outbound.notify import notify
from bot.requests import extensions
from bot.requests.moves import move, record_still
from bot.requests.repeats import ContradictingAnswer, same_answer
from protocol.agreement import Agreement
from protocol.clock import utcnow
from protocol.messages import Envelope
from protocol.queue import Outbox
from protocol.tasks import request_is_answered

OPEN = ("relayed", "received")


def new_ref() -> str:
    """A part's own reference: 80 random bits, nothing of the family's request in it."""
    return "SP-" + secrets.token_hex(10)


def study_part_body(request: Request, unit: str, study_number: str, today: date) -> dict:
    """The study_part.relayed message: only what the unit needs to find and answer the part."""
    body: dict = {"kind": request.kind, "unit": unit, "study_number": study_number, "scope": "study_numbered",
                  "relayed_on": today.isoformat()}
    if request.kind == "correction":
        body["correction"] = {"information": request.correction_what, "should_say": request.correction_should_say}
    return body


def units_for_parts(agreement: Agreement, kind: str, study_numbers: Mapping[str, str]) -> list[str]:
    """The units asked a study part: those in scope for the kind that hold study-numbered data and received the
    person's rows under a study number."""
    return [unit.id for unit in agreement.units_in_scope(kind)
            if unit.holds_study_numbered and unit.id in study_numbers]


async def relay_parts(session: AsyncSession, request: Request, outbox: Outbox, agreement: Agreement,
                      study_numbers: Mapping[str, str], today: date) -> list[StudyPart]:
    """Send each unit's study part on its own stream, in the same transaction as the named relay."""
    parts = []
    for unit in units_for_parts(agreement, request.kind, study_numbers):
        part = StudyPart(request_id=request.id, unit=unit, ref=new_ref(), study_number=study_numbers[unit],
                         relayed_on=today)
        session.add(part)
        await outbox.send(session, type="study_part.relayed", recipient=agreement.agency.id, request=part.ref,
                          body=study_part_body(request, unit, part.study_number, today))
        parts.append(part)
    await session.flush()
    return parts


async def parts_of(session: AsyncSession, request: Request) -> list[StudyPart]:
    return list(await session.exec(select(StudyPart).where(StudyPart.request_id == request.id)
                                   .order_by(StudyPart.id)))


async def withdraw_parts(session: AsyncSession, request: Request, outbox: Outbox, agency: str, today: date) -> None:
    """The family withdrew the request: each part still open is withdrawn in its own stream."""
    for part in await parts_of(session, request):
        if part.state in OPEN:
            part.state = "withdrawn"
            session.add(part)
            await outbox.send(session, type="request.withdrawn", recipient=agency, request=part.ref,
                              body={"withdrawn_on": today.isoformat()})


async def send_statement(session: AsyncSession, request: Request, unit: str, item_id: str, statement: str,
                         outbox: Outbox, agency: str) -> None:
    """The family's statement of correction about a record a unit holds under a study number goes in that study
    part's stream, carrying the record's id only: the unit attaches it without learning whose it is."""
    part = (await session.exec(select(StudyPart).where(StudyPart.request_id == request.id,
                                                       StudyPart.unit == unit))).one()
    await outbox.send(session, type="correction.statement", recipient=agency, request=part.ref,
                      body={"item_id": item_id, "statement": statement})


async def part_for(session: AsyncSession, ref: str | None) -> StudyPart | None:
    """The study part whose stream this is, if it is one."""
    if ref is None or not ref.startswith("SP-"):
        return None
    return (await session.exec(select(StudyPart).where(StudyPart.ref == ref).with_for_update())).first()


async def complete_if_answered(session: AsyncSession, request: Request, who: str) -> None:
    """Move the request to answered once every named unit and every study part has answered."""
    answered = set((await session.exec(select(UnitAnswer.unit).where(UnitAnswer.request_id == request.id))).all())
    states = tuple("answered" if unit in answered else "open" for unit in request.units)
    states += tuple("answered" if part.state == "answered" else "open" for part in await parts_of(session, request)
                    if part.state != "withdrawn")
    if request.state == "received" and states and request_is_answered(states):
        await move(session, request, "complete", "system", actor_label=who, task_states=states)
        await notify(session, request, _("The agency has answered your request {ref}. {provider} is getting the answer "
                                         "ready for you.", ref=Plain(request.ref)))


async def apply(session: AsyncSession, part: StudyPart, envelope: Envelope) -> None:
    """A message in a study part's stream, applied to the part and, as that unit's part, to the family's request."""
    request = (await session.exec(select(Request).where(Request.id == part.request_id).with_for_update())).one()
    body = envelope.body
    who = f"agency ({body.get('unit', part.unit)}, study number)"
    if envelope.type == "request.received":
        part.received_on = date.fromisoformat(body["received_on"])
        part.due_on = date.fromisoformat(body["decision_due"])
        if part.state == "relayed":
            part.state = "received"
    elif envelope.type == "unit.answered":
        if body["unit"] != part.unit:
            raise ValueError(f"study part {part.ref} was asked of {part.unit!r}, not {body['unit']!r}")
        if part.answer is not None:  # answered again (the agency was restored from a backup)
            if same_answer(part.answer, body):
                return
            raise ContradictingAnswer(f"{part.unit} answered study part {part.ref} again, differently from its "
                                      "first answer (was the agency restored from a backup?). The first answer "
                                      "stands; ask the unit which is right before anything else is done.")
        part.answer, part.state, part.answered_at = body, "answered", utcnow()
        session.add(part)
        await session.flush()
        await complete_if_answered(session, request, who)
    elif envelope.type == "records.opened":
        opened = {"what": "the unit's records", "unit": body["unit"], "study_numbered": True}
        await record_still(session, request, "opened", "officer", who,
                           opened | ({"role": body["role"]} if "role" in body else {}))
    elif envelope.type == "request.extended":
        new_due = date.fromisoformat(body["new_due"])
        part.due_on = new_due
        if request.due_on is not None and new_due > request.due_on:  # the family's request waits for its part
            await extensions.extend(session, request, body, who)
    elif envelope.type == "correction.statement_attached":
        key = f"{part.unit}:{STUDY_ITEM}{body['item_id']}"
        for statement in await session.exec(select(CorrectionStatement).where(
                CorrectionStatement.request_id == request.id, CorrectionStatement.item_key == key,
                CorrectionStatement.attached_on.is_(None))):
            statement.attached_on = date.fromisoformat(body["attached_on"])
            session.add(statement)
        await notify(session, request, _("Your statement is now attached to the record, so it is always read with "
                                         "it."))
    else:  # a study part cannot ask the family a question or be transferred: it does not know who asked
        raise ValueError(f"a study part does not take {envelope.type!r} messages")
    session.add(part)
