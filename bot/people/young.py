"""Young people, as the agreement's `young_people` says: who is one (marked so on the desk, or younger than its
age by their date of birth), from what age they are told when someone else asks for their information, and
whether the Privacy Act's ground for withholding in the interests of someone under 16 (s 49(1)(c)) can apply."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.language.i18n import Plain, _
from bot.models import ChatLink, Person, Request
from bot.outbound.notify import notify_chat
from protocol.agreement import Agreement

UNDER_16 = 16  # the Act's own age (s 49(1)(c)), not the agreement's


def age(person: Person, today: date) -> int | None:
    """Whole years since the date of birth, or None when it is not known."""
    born = person.birth_date
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_young(person: Person, agreement: Agreement, today: date) -> bool:
    years = age(person, today)
    return person.is_young_person or (years is not None and years < agreement.young_people.under_age)


def told_of_requests(person: Person, agreement: Agreement, today: date) -> bool:
    """Told when someone else asks for their information: a young person of the agreement's age or more. A young
    person whose age is not known is not told (they may be a small child); staff see that on the request page."""
    years = age(person, today)
    return is_young(person, agreement, today) and years is not None and years >= agreement.young_people.told_from_age


def under_16(person: Person, today: date) -> bool:
    years = age(person, today)
    return years is not None and years < UNDER_16


async def tell_of_request(session: AsyncSession, agreement: Agreement, request: Request, today: date) -> int:
    """When someone else's request for a young person's information is approved, tell the young person in each of
    their chats, in the chat's own language and register; returns how many chats were told."""
    if request.subject_id is None or request.subject_id == request.requester_id:
        return 0
    subject = await session.get(Person, request.subject_id)
    if subject is None or not told_of_requests(subject, agreement, today):
        return 0
    chats = (await session.exec(select(ChatLink.id).where(ChatLink.person_id == subject.id))).all()
    for chat_link_id in chats:
        await notify_chat(session, chat_link_id, _(
            "Someone who looks after you asked {provider} to see the information held about you (request {ref}). "
            "This is your information too. If you have questions or worries about it, you can talk to {provider}: "
            "choose \"Talk to a person\" in the menu.", ref=Plain(request.ref)))
    return len(chats)
