"""`tono enrol PERSON_REF`: a one-time deep link (and optionally a QR code) that links a family's chat."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import segno
from sqlmodel import select

from bot.models import Person
from bot.people.enrolment import issue_code
from tono.database import make_engine, make_sessionmaker
from tono.served_address import recorded_base
from tono.settings import Settings
from tono.startup import StartupError


async def bot_username(settings: Settings) -> str | None:
    """The bot's @username from Telegram, when a token is set (refused: start-up's own sentence)."""
    if not settings.telegram_bot_token:
        return None
    from tono.first_hour import check_telegram

    username = await check_telegram(settings)
    if username is None:
        raise StartupError("Telegram cannot be reached to ask the bot's @username: pass --bot USERNAME, or try "
                           "again when it can be reached.")
    return username


def checked_base(raw: str) -> str:
    """The address given with --url, as a base to put /chat/ after; a wrong one is one sentence."""
    text = raw.strip()
    try:
        url = urlsplit(text)
        host, _port = url.hostname, url.port  # .port raises on a port that is not a number
    except ValueError:
        host = None
    if host is None or url.scheme not in ("http", "https") or url.query or url.fragment or url.username:
        raise StartupError(f"--url must be the web address Tono is reached at, e.g. http://127.0.0.1:8123 or "
                           f"https://tono.example.org, not {text[:80]!r}; no code was made.")
    return text.rstrip("/").removesuffix("/chat").rstrip("/")  # the chat's own address works too


async def enrol(settings: Settings, person_ref: str, username: str | None, qr: Path | None,
                url: str | None = None) -> list[str]:
    """Issue a code for the person and return the lines to print. The web chat link points at `url` (--url),
    else TONO_PUBLIC_URL, else where `tono run` serves (tono/served_address.py)."""
    given = checked_base(url) if url is not None else None  # a wrong --url stops the command before any code
    # Asked first: a refused token then stops the command before a code is issued that nobody gets.
    username = (username or await bot_username(settings) or "").lstrip("@") or None
    engine = make_engine(settings.database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            person = (await session.exec(select(Person).where(Person.ref == person_ref))).first()
            if person is None:
                raise StartupError(f"There is no person {person_ref!r}; staff can see each person's reference "
                                   "on the provider desk (the demo has P-0001 to P-0007).")
            code = await issue_code(session, person)
            base = given or (settings.public_url or "").strip().rstrip("/") or await recorded_base(session)
    finally:
        await engine.dispose()
    web = f"{base}/chat/?start={code}"
    lines = [f"One-time link for {person.given_name} {person.family_name} ({person_ref}); it works once, "
             "within 7 days."]
    if username:
        link = f"https://t.me/{username}?start={code}"
        lines.append(f"Telegram: {link}")
    else:
        link = web
        lines.append("Telegram: set TELEGRAM_BOT_TOKEN (or pass --bot USERNAME) for a t.me link.")
    lines.append(f"Web chat: {web}")
    if qr is not None:
        segno.make(link, error="m").save(str(qr), scale=8, border=4)
        lines.append(f"QR code of the {'Telegram' if username else 'web chat'} link written to {qr}.")
    return lines
