"""Enrolment: staff give a family a one-time code as a deep link; opening it links the chat to the
person. Codes are random, stored only as hashes, expire, work once, and guessing them is slowed down."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.flows.ports import Enrolment
from bot.models import ChatLink, EnrolmentCode, Person
from protocol.clock import utcnow

CODE_LIFETIME = timedelta(days=7)
FREE_TRIES = 5  # wrong codes in a row before each further try must wait
MAX_WAIT = timedelta(hours=1)
# Telegram's deep-link payload allows 1–64 characters of A-Z a-z 0-9 _ -.
CODE_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


async def issue_code(session: AsyncSession, person: Person) -> str:
    """A new one-time code for a person (32 URL-safe characters, about 192 bits)."""
    code = secrets.token_urlsafe(24)
    session.add(EnrolmentCode(code_hash=code_hash(code), person_id=person.id, expires_at=utcnow() + CODE_LIFETIME))
    await session.flush()
    return code


def _wait_after(failures: int) -> timedelta:
    return min(MAX_WAIT, timedelta(minutes=2 ** (failures - FREE_TRIES)))


async def redeem(session: AsyncSession, chat: ChatLink, code: str) -> Enrolment:
    """Link the chat to the code's person, or say kindly why not."""
    now = utcnow()
    if chat.codes_locked_until is not None and chat.codes_locked_until > now:
        return Enrolment("slow_down", wait_seconds=int((chat.codes_locked_until - now).total_seconds()))
    valid_shape = 1 <= len(code) <= 64 and set(code) <= CODE_ALPHABET
    found = (await session.exec(select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash(code))
                                .with_for_update())).first() if valid_shape else None
    if found is None:
        chat.failed_codes += 1
        if chat.failed_codes >= FREE_TRIES:
            chat.codes_locked_until = now + _wait_after(chat.failed_codes)
        session.add(chat)
        return Enrolment("unknown")
    person = await session.get(Person, found.person_id)
    if found.used_at is not None:
        if chat.person_id == found.person_id:
            return Enrolment("already", given_name=person.given_name)
        return Enrolment("used")
    if found.expires_at <= now:
        return Enrolment("expired")
    found.used_at = now
    chat.person_id = person.id
    chat.failed_codes = 0
    chat.codes_locked_until = None
    session.add_all([found, chat])
    return Enrolment("enrolled", given_name=person.given_name)
