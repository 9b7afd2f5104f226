"""Telling families that information already sent about them was corrected and sent again (IPP 7 asks an agency
to tell those it disclosed the information to; the family hears it from CCSS): the person's own chats, and the
chats of those who may act for them."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.language.i18n import Plain, _
from bot.models import Authority, ChatLink, Person
from bot.outbound.notify import notify_chat
from protocol.agreement import Agreement


async def tell_of_correction(session: AsyncSession, agreement: Agreement, unit_id: str, person_ids: list[int]) -> None:
    """Each person, and each person with authority for them, is told in their chat that the unit has the right
    version now (the unit named in the chat's language and register as they are now)."""
    unit = agreement.unit(unit_id)

    def unit_in(link: ChatLink) -> Plain:
        return Plain(agreement.text(unit.name, link.language, link.audience))

    for person_id in person_ids:
        person = await session.get(Person, person_id)
        for link in await session.exec(select(ChatLink).where(ChatLink.person_id == person_id)):
            await notify_chat(session, link.id, _(
                "{provider} corrected information about you that it had sent to {unit}, and sent them the right "
                "version. You can see it under “Where has my information gone?”.", unit=unit_in(link)))
        carers = await session.exec(select(ChatLink).join(Authority, Authority.actor_id == ChatLink.person_id)
                                    .where(Authority.subject_id == person_id, Authority.revoked_at.is_(None)))
        for link in carers:
            await notify_chat(session, link.id, _(
                "{provider} corrected information about {name} that it had sent to {unit}, and sent them the right "
                "version. You can see it under “Where has my information gone?”.", name=Plain(person.given_name),
                unit=unit_in(link)))
