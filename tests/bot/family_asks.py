"""A family making a request in the chat, as a person would: the one way every test that needs a request
from a family gets one (the chat, the desks, the request service, the whole journey)."""

from __future__ import annotations

from sqlmodel import select

from bot.models import Person, Request
from bot.people.enrolment import issue_code
from tests.bot.chat_driver import FamilyChat


async def family_asks(conversations, sessions, *, kind: str = "access", person: str = "P-0001", key: str = "aroha",
                      enrolled: bool = True, holder: str = "The agency") -> FamilyChat:
    """`person` (Aroha, P-0001, unless said) asks in the chat what `holder` holds about them (kind "access"),
    or for a correction of their attendance; not `enrolled`, the chat gives her name instead of a link."""
    chat = FamilyChat(conversations, key)
    if enrolled:
        async with sessions.begin() as session:
            someone = (await session.exec(select(Person).where(Person.ref == person))).one()
            code = await issue_code(session, someone)
        await chat.command("start", code)
    else:
        await chat.command("start")
    await chat.press("Not now")
    if kind == "access":
        for label in ("What do you hold about me?", "Mine", holder, "Skip", "A copy here", "No"):
            await chat.press(label)
    else:
        for label in ("Something is wrong", "Mine", holder):
            await chat.press(label)
        await chat.send("My attendance is wrong")
        await chat.send("I came to 8 of 8 sessions")
    if not enrolled:
        await chat.send("Aroha Parata")
    await chat.press("Send my request")
    return chat


async def newest_ref(sessions) -> str:
    """The reference of the request made last."""
    async with sessions() as session:
        return (await session.exec(select(Request.ref).order_by(Request.id.desc()))).first()
