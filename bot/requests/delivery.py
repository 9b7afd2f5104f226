"""Delivering an answer: staff may deliver only when every item the family will get has the version
their language and register need. The family then chooses: copies here in the chat, or reading them
together with a worker (records can be hard to read). Their choice is recorded and staff are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.copies.drawing import key_of
from bot.copies.explain import explanation
from bot.copies.items import answer_items, missing, version_text, versions
from bot.copies.pdf import Page, copy_pdf
from bot.flows.chat import Button, Document
from bot.language.i18n import Plain, Text, _
from bot.models import ChatLink, ContactRequest, Person, Request
from bot.outbound.notify import notify
from bot.requests.moves import move
from protocol.agreement import Agreement
from protocol.clock import utcnow


class DeliveryError(ValueError):
    """Delivery cannot happen yet; the message says what is missing."""


async def family_reads_in(session: AsyncSession, request: Request) -> tuple[str, str]:
    link = await session.get(ChatLink, request.chat_link_id) if request.chat_link_id else None
    return (link.language, link.audience) if link else ("en", "adult")


async def deliver(session: AsyncSession, request: Request, staff: str) -> None:
    """Staff deliver the answer; refused, with what is missing, before anything is sent."""
    language, register = await family_reads_in(session, request)
    lacking = missing(await answer_items(session, request), language, register, await versions(session, request))
    if lacking:
        names = "; ".join(item.title for item in lacking)
        raise DeliveryError(f"Write the {register} version in {'te reo Māori' if language == 'mi' else 'English'} "
                            f"of: {names}. The family reads in that language and register.")
    await move(session, request, "deliver", "staff", actor_label=staff)
    request.delivered_at = utcnow()
    await notify(session, request, _(
        "The answer to your request {ref} is ready. Records can be hard to read, and some may be upsetting. You can "
        "have the copies here in the chat, or read them together with a worker. Which would you like?",
        ref=Plain(request.ref)),
        Button(_("Send me the copies"), f"copies:{request.ref}"),
        Button(_("Read them with a worker"), f"together:{request.ref}"))


async def choose_together(session: AsyncSession, request: Request) -> None:
    request.read_together = True
    session.add(request)
    session.add(ContactRequest(chat_link_id=request.chat_link_id,
                               note=f"Read the records of request {request.ref} together with the family."))


@dataclass(frozen=True)
class CopyMaterial:
    """Everything the PDF copies say, read from the database; drawing them needs nothing else (nor a session)."""

    ref: str
    whom: str
    today: date
    made_by: str
    pages: tuple[Page, ...]
    language: str
    register: str
    explained: tuple[Text, ...]

    @property
    def key(self) -> str:
        return key_of("copies", self)


async def copy_material(session: AsyncSession, request: Request, agreement: Agreement, language: str, register: str,
                        today: date, made_by: str | None = None) -> CopyMaterial:
    """What the copies in one language and register will say (DeliveryError if a version is missing).
    The copies say they were made by the provider, by its full name in that language, unless told otherwise."""
    items = await answer_items(session, request)
    written = await versions(session, request)
    if missing(items, language, register, written):
        raise DeliveryError("That version has not been written yet.")
    if request.read_together is None:
        request.read_together = False
        session.add(request)
    subject = await session.get(Person, request.subject_id) if request.subject_id else None
    whom = f"{subject.given_name} {subject.family_name}" if subject else request.subject_name or request.requester_name
    pages = []
    for item in items:
        if item.given:
            title, text = version_text(item, language, register, written)
            pages.append(Page(title, text, item.record_date))
    explained = explanation(agreement, request.ref, items, language, register, today, request.kind)
    made_by = made_by or agreement.provider.names.in_language(language).full
    return CopyMaterial(request.ref, whom, today, made_by, tuple(pages), language, register, tuple(explained))


def draw_copies(material: CopyMaterial) -> bytes:
    """The PDF itself: CPU-bound, touching no database, so it may run in a worker thread (bot/copies/drawing.py)."""
    m = material
    return copy_pdf(m.ref, m.whom, m.today, m.made_by, list(m.pages), m.language, m.register, list(m.explained))


def copies_document(material: CopyMaterial, pdf: bytes) -> Document:
    return Document(f"{material.ref}-{material.language}-{material.register}.pdf", pdf,
                    _("Copies of your records for request {ref}", ref=Plain(material.ref)))


async def copies(session: AsyncSession, request: Request, agreement: Agreement, language: str, register: str,
                 today: date, made_by: str | None = None) -> tuple[list[Text], Document]:
    """The explanation and the PDF copies, drawn here and now (staff tools and tests; the family's chat reads
    `copy_material` in its transaction and draws through bot/copies/drawing.py)."""
    material = await copy_material(session, request, agreement, language, register, today, made_by)
    return list(material.explained), copies_document(material, draw_copies(material))
