"""The provider applies what the agency sends: each message moves the family's request through the same
lifecycle the agency used, in the transaction that marks the message applied, and tells the family."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Button
from bot.language.i18n import Plain, _
from bot.models import CorrectionStatement, Request, UnitAnswer
from bot.outbound.notify import notify
from bot.requests import extensions, study_parts
from bot.requests.moves import move, record_still
from bot.requests.repeats import ContradictingAnswer, same_answer
from protocol.messages import Envelope


class UnknownRequest(LookupError):
    """The agency wrote about a request the provider does not have."""


async def _request(session: AsyncSession, ref: str | None) -> Request:
    request = (await session.exec(select(Request).where(Request.ref == ref).with_for_update())).first()
    if request is None:
        raise UnknownRequest(f"no request {ref!r} here")
    return request


async def apply_agency_message(session: AsyncSession, envelope: Envelope) -> None:
    """The provider's queue handler: one agency message, applied once."""
    # outcome.reported is applied in the reports room, with the reports it names (bot/reports/outcomes.py).
    part = await study_parts.part_for(session, envelope.request)
    if part is not None:  # a study part's own stream (study_parts.py)
        await study_parts.apply(session, part, envelope)
        return
    request = await _request(session, envelope.request)
    body = envelope.body
    who = f"agency ({body.get('unit', 'intake')})"
    if envelope.type == "request.received":
        received, due = date.fromisoformat(body["received_on"]), date.fromisoformat(body["decision_due"])
        if request.received_on is not None and (received, due) == (request.received_on, request.due_on):
            return  # acknowledged again as before (the relay went again after a restore): nothing new to tell
        await move(session, request, "acknowledge", "system", actor_label=who, received_on=received, due=due)
        request.received_on, request.due_on, request.units = received, due, list(body["units"])
        await notify(session, request, _("The agency has your request {ref}. It must decide by {due}.",
                                         ref=Plain(request.ref), due=due))
    elif envelope.type == "clarification.asked":
        await move(session, request, "ask_clarification", "officer", actor_label=who, question=body["question"])
        request.clarification = body["question"]
        await notify(session, request, _("The agency has a question about your request {ref}:\n\n{question}",
                                         ref=Plain(request.ref), question=Plain(body["question"])),
                     Button(_("Answer the question"), f"clarify:{request.ref}"))
    elif envelope.type == "request.extended":
        await extensions.extend(session, request, body, who)
    elif envelope.type == "request.transferred":
        await move(session, request, "transfer", "officer", actor_label=who, agency=body["to_agency"],
                   received_on=request.received_on, transferred_on=date.fromisoformat(body["transferred_on"]))
        await notify(session, request, _(
            "The agency sent your request {ref} to {other_agency}, which holds the information. The reason: {reason}",
            ref=Plain(request.ref), other_agency=Plain(body["to_agency"]), reason=Plain(body["reason"])))
    elif envelope.type == "unit.answered":
        await _unit_answered(session, request, body, who)
    elif envelope.type == "records.opened":
        opened = {"what": "the unit's records", "unit": body["unit"]}
        await record_still(session, request, "opened", "officer", who,
                           opened | ({"role": body["role"]} if "role" in body else {}))
    elif envelope.type == "correction.statement_attached":
        for statement in await session.exec(select(CorrectionStatement).where(
                CorrectionStatement.request_id == request.id, CorrectionStatement.attached_on.is_(None))):
            if statement.item_key.split(":", 1)[-1] == body["item_id"]:
                statement.attached_on = date.fromisoformat(body["attached_on"])
                session.add(statement)
        await notify(session, request, _("Your statement is now attached to the record, so it is always read with "
                                         "it."))
    else:
        raise ValueError(f"the provider does not take {envelope.type!r} messages")


async def _unit_answered(session: AsyncSession, request: Request, body: dict, who: str) -> None:
    before = (await session.exec(select(UnitAnswer).where(UnitAnswer.request_id == request.id,
                                                          UnitAnswer.unit == body["unit"]))).first()
    if before is not None:
        if same_answer(before.body, body):
            return  # answered again as before (the agency was restored from a backup): nothing new
        raise ContradictingAnswer(
            f"{body['unit']} answered request {request.ref} again, differently from its answer of "
            f"{before.body.get('answered_on', 'before')} (was the agency restored from a backup?). The first "
            "answer stands and the family has it; ask the unit which is right before anything else is done.")
    session.add(UnitAnswer(request_id=request.id, unit=body["unit"], body=body))
    await session.flush()
    await study_parts.complete_if_answered(session, request, who)
