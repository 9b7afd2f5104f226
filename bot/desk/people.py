"""What staff do for families and people at the desk, each in one transaction: add a person (and a new
family), record and revoke who may act for whom, add CCSS's own records, issue an enrolment code."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlmodel import select

from bot.desk import store
from bot.desk.context import DeskContext, not_found
from bot.desk.forms import AuthorityIn, PersonIn, RecordIn
from bot.flows.engine import clean_text
from bot.language.i18n import Plain, _
from bot.models import Authority, ContactReply, ContactRequest, Family, Person, ProviderRecord, StaffAccount
from bot.outbound.notify import notify_chat
from bot.people.enrolment import CODE_LIFETIME, issue_code
from bot.people.family import request_prefix
from deskkit.inputs import stored_id
from deskkit.problems import DeskProblem
from protocol.clock import utcnow

# A reply is read in the family's chat inside one message (Telegram takes 4096 characters); a worker with more
# to say than this rings or meets the family instead.
REPLY_LIMIT = 2000


def _name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


async def create_person(ctx: DeskContext, data: PersonIn) -> Person:
    async with ctx.sessions.begin() as session:
        if data.family_ref:
            family = await store.family_by_ref(session, data.family_ref)
            if family is None:
                raise DeskProblem(422, f"There is no family {data.family_ref!r}. Check the reference, or give "
                                       "the name of a new family instead.")
        else:
            family = Family(ref=f"new-{secrets.token_hex(8)}", name=data.new_family_name)
            session.add(family)
            await session.flush()
            family.ref = await _free_ref(session, Family, f"F-{family.id:04d}")
        if data.participant_id and (await session.exec(
                select(Person.id).where(Person.participant_id == data.participant_id))).first():
            raise DeskProblem(409, f"Someone already has the programme id {data.participant_id!r}.")
        person = Person(ref=f"new-{secrets.token_hex(8)}", participant_id=f"new-{secrets.token_hex(8)}",
                        family_id=family.id, given_name=data.given_name, family_name=data.family_name,
                        birth_date=data.birth_date, is_young_person=data.is_young_person, language=data.language)
        session.add(person)
        await session.flush()
        person.ref = await _free_ref(session, Person, f"P-{person.id:04d}")
        person.participant_id = data.participant_id or await _free_participant_id(
            session, f"{request_prefix(ctx.agreement)}-P-{1000 + person.id}")
        session.add_all([family, person])
    return person


async def _free_ref(session, model, wanted: str) -> str:
    taken = (await session.exec(select(model.id).where(model.ref == wanted))).first()
    return wanted if taken is None else f"{wanted}-{secrets.token_hex(2)}"


async def _free_participant_id(session, wanted: str) -> str:
    taken = (await session.exec(select(Person.id).where(Person.participant_id == wanted))).first()
    return wanted if taken is None else f"{wanted}-{secrets.token_hex(2)}"


async def add_authority(ctx: DeskContext, subject_ref: str, data: AuthorityIn) -> str:
    async with ctx.sessions.begin() as session:
        subject = await store.person_by_ref(session, subject_ref)
        actor = await store.person_by_ref(session, data.actor_ref)
        if subject is None:
            raise not_found("person", subject_ref)
        if actor is None:
            raise DeskProblem(422, f"There is no person {data.actor_ref!r}. Find them on the People page.")
        if actor.id == subject.id:
            raise DeskProblem(422, "A person always acts for themselves: choose someone else.")
        found = (await session.exec(select(Authority).where(Authority.actor_id == actor.id,
                                                            Authority.subject_id == subject.id))).first()
        if found is not None and found.revoked_at is None:
            raise DeskProblem(409, f"{_name(actor)} may already act for {_name(subject)}. Nothing was changed.")
        found = found or Authority(actor_id=actor.id, subject_id=subject.id, relationship=data.relationship)
        # One row per pair (a unique constraint): recording it again after a revocation brings it back.
        found.relationship, found.evidence = data.relationship, data.evidence
        found.granted_at, found.revoked_at = utcnow(), None
        session.add(found)
    return f"Recorded: {_name(actor)} may act for {_name(subject)} ({data.relationship})."


async def revoke_authority(ctx: DeskContext, person_ref: str, authority_id: int) -> str:
    """Revoke an authority of or for this person (another person's is not found here)."""
    async with ctx.sessions.begin() as session:
        person = await store.person_by_ref(session, person_ref)
        found = await session.get(Authority, authority_id) if stored_id(authority_id) else None
        if person is None or found is None or person.id not in (found.actor_id, found.subject_id):
            raise not_found("authority", str(authority_id))
        actor, subject = await session.get(Person, found.actor_id), await session.get(Person, found.subject_id)
        if found.revoked_at is not None:
            raise DeskProblem(409, "That authority was already revoked. Nothing was changed.")
        found.revoked_at = utcnow()
        session.add(found)
    return f"Revoked: {_name(actor)} may no longer act for {_name(subject)}."


async def add_record(ctx: DeskContext, staff: StaffAccount, person_ref: str, data: RecordIn) -> str:
    async with ctx.sessions.begin() as session:
        person = await store.person_by_ref(session, person_ref)
        if person is None:
            raise not_found("person", person_ref)
        session.add(ProviderRecord(person_id=person.id, title=data.title, body=data.body,
                                   record_date=data.record_date, created_by=staff.login))
    return f"Record added for {_name(person)}: {data.title}."


@dataclass(frozen=True)
class Enrolment:
    person: Person
    code: str
    web_link: str
    telegram_link: str | None
    expires_at: datetime

    @property
    def qr_link(self) -> str:
        """The link the QR code holds: Telegram's when the bot is known, else the web chat's."""
        return self.telegram_link or self.web_link


async def telegram_username(app: FastAPI) -> str | None:
    """The bot's @username when Tono serves Telegram (asked of Telegram once; the channel keeps it)."""
    if username := getattr(app.state, "telegram_username", None):
        return username
    telegram = getattr(app.state, "telegram", None)
    if telegram is None:
        return None
    try:
        return await asyncio.wait_for(telegram.username(), timeout=3)
    except Exception:  # no answer from Telegram: the web chat link still works
        return None


async def enrol(ctx: DeskContext, person_ref: str, base_url: str, username: str | None) -> Enrolment:
    async with ctx.sessions.begin() as session:
        person = await store.person_by_ref(session, person_ref)
        if person is None:
            raise not_found("person", person_ref)
        code = await issue_code(session, person)
    telegram = f"https://t.me/{username}?start={code}" if username else None
    return Enrolment(person, code, f"{base_url.rstrip('/')}/chat/?start={code}", telegram, utcnow() + CODE_LIFETIME)


async def _waiting_contact(session, contact_id: int, if_done: str) -> ContactRequest:
    """A contact request still waiting for staff, or the desk's 404 / 409 (`if_done`) sentence."""
    contact = await session.get(ContactRequest, contact_id) if stored_id(contact_id) else None
    if contact is None:
        raise not_found("contact request", str(contact_id))
    if contact.handled_at is not None:
        raise DeskProblem(409, if_done)
    return contact


async def contact_done(ctx: DeskContext, staff: StaffAccount, contact_id: int) -> str:
    async with ctx.sessions.begin() as session:
        contact = await _waiting_contact(session, contact_id, "That was already marked done. Nothing was changed.")
        contact.handled_at = utcnow()
        session.add(contact)
    return "Marked done."


async def contact_reply(ctx: DeskContext, staff: StaffAccount, contact_id: int, typed: str) -> str:
    """Write back to a family who asked to talk: kept with the contact request, and sent to their chat through
    the outbox in the same transaction (so it is never lost, nor sent without being kept)."""
    text = clean_text(typed)
    if not text:
        raise DeskProblem(422, "The reply was empty, so nothing was sent. Write what the family should read.")
    if len(text) > REPLY_LIMIT:
        raise DeskProblem(422, f"The reply is {len(text)} characters long; a family's chat takes up to "
                               f"{REPLY_LIMIT}. Nothing was sent: make it shorter, or ring the family.")
    async with ctx.sessions.begin() as session:
        contact = await _waiting_contact(session, contact_id, "That was already marked done, so nothing was sent.")
        session.add(ContactReply(contact_request_id=contact.id, staff_id=staff.id, text=text))
        await notify_chat(session, contact.chat_link_id,
                          _("A worker at {provider} has written to you:\n\n{reply}", reply=Plain(text)))
    return "Your reply is on its way to the family's chat."
