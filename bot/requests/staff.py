"""What provider staff do to a request: approve it after checking who is asking, decline it with a reason
the family is told, relay it to the agency (a signed protocol message on the queue). Every move is
asked of protocol.lifecycle; the desk only offers what it allows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.language.i18n import Plain, _
from bot.models import Authority, Person, Request
from bot.outbound.notify import notify
from bot.requests import study_parts
from bot.requests.moves import move
from protocol.agreement import Agreement
from protocol.queue import Outbox


class StaffError(ValueError):
    """A staff action cannot be done; the message says why and what to do instead."""


async def approve(session: AsyncSession, request: Request, staff: str, identity_checked: str) -> None:
    if request.requester_id is None or request.subject_id is None:
        raise StaffError("Link this request to the person asking and the person it is about before approving it.")
    await move(session, request, "approve", "staff", actor_label=staff, identity_checked=identity_checked)
    request.identity_checked = identity_checked
    await notify(session, request, _("{provider} has checked who you are. Your request {ref} goes to the agency next.",
                                     ref=Plain(request.ref)))


async def decline(session: AsyncSession, request: Request, staff: str, reason: str) -> None:
    await move(session, request, "decline", "staff", actor_label=staff, reason=reason)
    await notify(session, request, _(
        "{provider} could not go ahead with your request {ref}. The reason: {reason}\n\nYou can talk to a worker about "
        "it, make a new request, or complain to the Privacy Commissioner (privacy.org.nz or 0800 803 909).",
        ref=Plain(request.ref), reason=Plain(reason)))


async def _relationship(session: AsyncSession, request: Request) -> tuple[str, str | None]:
    if request.requester_id == request.subject_id:
        return "self", None
    authority = (await session.exec(select(Authority).where(
        Authority.actor_id == request.requester_id, Authority.subject_id == request.subject_id,
        Authority.revoked_at.is_(None)))).first()
    if authority is None:
        raise StaffError("There is no recorded authority for the requester to act for this person; record it first.")
    return authority.relationship, authority.evidence or "Recorded by CCSS staff."


async def relayed_body(session: AsyncSession, request: Request, today: date) -> dict:
    """The request.relayed message: only what the agency needs to find and answer it."""
    subject = await session.get(Person, request.subject_id)
    requester = await session.get(Person, request.requester_id)
    relationship, evidence = await _relationship(session, request)
    body: dict = {
        "kind": request.kind,
        "subject": {"participant_id": subject.participant_id, "given_name": subject.given_name,
                    "family_name": subject.family_name},
        "requester": {"participant_id": requester.participant_id, "relationship": relationship},
        "scope": "all_in_scope", "form": request.form, "urgent": request.urgent,
        "identity_checked": request.identity_checked, "relayed_on": today.isoformat(),
    }
    if subject.birth_date:
        body["subject"]["date_of_birth"] = subject.birth_date.isoformat()
    if evidence:
        body["requester"]["authority_checked"] = evidence
    if request.urgent:
        body["urgency_reason"] = request.urgency_reason
    if request.details:
        body["details"] = request.details
    if request.kind == "correction":
        body["correction"] = {"information": request.correction_what, "should_say": request.correction_should_say}
    return body


async def relay(session: AsyncSession, request: Request, outbox: Outbox, agreement: Agreement, staff: str,
                today: date, study_numbers: Mapping[str, str] | None = None) -> None:
    """Put the request on the queue to the agency, in the same transaction as the move: the named request, and,
    for each unit that holds the person's data under a study number (`study_numbers`: unit -> the study number
    the ledger says it received, from bot.reports.study_numbers), that unit's part on its own (study_parts)."""
    if request.scope == "provider":
        raise StaffError("This request is only about CCSS's own records: answer it here, without the agency.")
    body = await relayed_body(session, request, today)
    await move(session, request, "relay", "staff", actor_label=staff)
    await outbox.send(session, type="request.relayed", recipient=agreement.agency.id, request=request.ref, body=body)
    await study_parts.relay_parts(session, request, outbox, agreement, study_numbers or {}, today)
    await notify(session, request, _("{provider} has passed your request {ref} to the agency.", ref=Plain(request.ref)))


async def prepare_locally(session: AsyncSession, request: Request, staff: str) -> None:
    await move(session, request, "prepare_locally", "staff", actor_label=staff, scope=request.scope)
