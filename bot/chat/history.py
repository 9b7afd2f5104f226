"""A web chat's conversation kept on the server, so that its page shows it again after a reload: the page keeps
nothing itself (a reload, a closed tab or a phone that drops the page would lose a request half made), while
Telegram keeps a chat's messages on the family's phone.

What Tono said is kept as Telegram's replies are, in the notification outbox, born sent (so no sender ever
picks it up), with no copy's bytes (the page fetches copies and pictures afresh, checked). The family's own
words (what they typed, the label of the button they pressed, a /command without its argument, which may be
an enrolment code) are kept beside them, on FAMILY_SCREEN.

Why SHOWN is 50: a whole request takes about twenty messages each way, so the page shows the request being
made and a little before; more would make every page load slower for a chat used for months, and show more
of a family's words to whoever next picks up a shared device. A chat keeps only its newest SHOWN messages:
older ones are deleted as new ones come, so the server keeps no more of what a family said than it shows."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.chat import Document, Incoming, Picture, Reply, Said
from bot.flows.engine import clean_text
from bot.language.i18n import Plain, Text, from_json, to_json
from bot.models import ChatLink, Notification
from bot.outbound.notify import button_rows, buttons_of, is_picture
from protocol.clock import utcnow

SHOWN = 50
FAMILY_SCREEN = -1  # a kept row that holds what the family said, not what Tono says (no screen is negative)


async def keep_turn(session: AsyncSession, link_id: int, incoming: Incoming, said: Said, language: str,
                    register: str) -> None:
    """Keep one turn, in the turn's own transaction: the family's words (said in the language the chat had
    before the turn, `language` and `register`), then Tono's replies; and forget what is now older than SHOWN."""
    now = utcnow()
    rows = []
    words = await _family_words(session, link_id, incoming, language, register)
    if words is not None:
        text, shown_in, shown_to = words
        rows.append(Notification(chat_link_id=link_id, text=to_json(text), buttons=[], screen=FAMILY_SCREEN,
                                 language=shown_in, audience=shown_to, sent_at=now, next_attempt_at=now))
    for reply in said.replies:
        attached = reply.document or reply.picture
        rows.append(Notification(
            chat_link_id=link_id, text=to_json(reply.text), buttons=button_rows(reply.buttons),
            screen=said.screen if reply.screen is None else reply.screen, language=said.language,
            audience=said.register, document_name=attached.filename if attached else None, sent_at=now,
            next_attempt_at=now))
    if not rows:
        return
    session.add_all(rows)
    await session.flush()
    newest = (select(Notification.id).where(Notification.chat_link_id == link_id, Notification.sent_at.is_not(None))
              .order_by(Notification.sent_at.desc(), Notification.id.desc()).limit(SHOWN))
    await session.exec(delete(Notification).where(
        Notification.chat_link_id == link_id, Notification.sent_at.is_not(None), Notification.id.not_in(newest)))


async def _family_words(session: AsyncSession, link_id: int, incoming: Incoming, language: str,
                        register: str) -> tuple[Text | Plain, str, str] | None:
    """What the family said, as the page showed it, with the language and register it was shown in (a button's
    label: those of the message it was on). None for what the page never showed as theirs (the /start it sends
    itself, a file)."""
    if incoming.kind == "text":
        typed = clean_text(incoming.text)
        return (Plain(typed), language, register) if typed else None
    if incoming.kind == "command":
        shown = incoming.command and incoming.command != "start"
        return (Plain(f"/{incoming.command}"), language, register) if shown else None
    if incoming.kind != "button" or incoming.screen is None:
        return None
    shown = await session.exec(select(Notification).where(
        Notification.chat_link_id == link_id, Notification.screen == incoming.screen,
        Notification.sent_at.is_not(None)).order_by(Notification.id.desc()).limit(10))
    for row in shown:
        for line in buttons_of(row):
            for button in line:
                if button.action == incoming.action:
                    return button.label, row.language or language, row.audience or register
    return None  # a button this chat was never shown: nothing to show as theirs


async def kept(session: AsyncSession, link: ChatLink) -> list[tuple[bool, Said]]:
    """This chat's newest SHOWN messages, oldest first: (the family said it, what was said)."""
    rows = (await session.exec(select(Notification).where(
        Notification.chat_link_id == link.id, Notification.sent_at.is_not(None))
        .order_by(Notification.sent_at.desc(), Notification.id.desc()).limit(SHOWN))).all()
    return [(row.screen == FAMILY_SCREEN, _said(row, link)) for row in reversed(rows)]


def _said(row: Notification, link: ChatLink) -> Said:
    name = row.document_name
    picture = Picture(name, b"") if name and is_picture(name) else None
    document = Document(name, b"") if name and picture is None else None
    text: Text | Plain = from_json(row.text)
    reply = Reply(text, buttons_of(row), document=document, picture=picture)
    return Said([reply], max(row.screen, 0), None, row.language or link.language, row.audience or link.audience)
