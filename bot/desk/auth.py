"""Who is at the provider desk: staff signed in with a password (a deskkit session), or a staff member's
own tool calling the JSON API with a bearer token (deskkit.tokens: kept only as SHA-256 hashes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import StaffAccount, StaffToken
from deskkit.passwords import check_password
from deskkit.tokens import DEFAULT_LIFETIME, expiry, new_token, token_hash, worth_looking_up
from protocol.clock import utcnow

KIND = "staff"  # the session kind this desk issues and accepts; any other kind is not signed in here
TOKEN_PREFIX = "tono_staff_"
BAD_TOKEN = ("This API token is not valid: it is unknown, revoked or expired, or its staff login is no longer "
             "active.")
TOKEN_FOR_CHANGES = ("Changes through the API need an API token (Authorization: Bearer …); make one on the "
                     "desk's API tokens page.")


async def create_token(session: AsyncSession, staff: StaffAccount, label: str,
                       days: int = DEFAULT_LIFETIME) -> tuple[str, StaffToken]:
    token = new_token(TOKEN_PREFIX)
    row = StaffToken(staff_id=staff.id, token_hash=token_hash(token), label=label, expires_at=expiry(utcnow(), days))
    session.add(row)
    await session.flush()
    return token, row


def password_checker(sessions: async_sessionmaker) -> Callable[[str, str], Awaitable[tuple[str, int] | None]]:
    """deskkit's `verify(login, password)` for staff accounts."""

    async def verify(login: str, password: str) -> tuple[str, int] | None:
        async with sessions() as session:
            query = select(StaffAccount).where(StaffAccount.login.in_({login, login.lower()}))
            staff = (await session.exec(query)).first()
        # check_password spends the same time on an unknown or inactive login as on a wrong password.
        ok = await check_password(staff.password_hash if staff and staff.active else None, password)
        return (KIND, staff.id) if ok and staff is not None else None

    return verify


def account_loader(sessions: async_sessionmaker) -> Callable[[str, object], Awaitable[StaffAccount | None]]:
    """deskkit's `load_account(kind, id)`: an active staff account, or None (signed out)."""

    async def load(kind: str, account_id: object) -> StaffAccount | None:
        if kind != KIND or not isinstance(account_id, int) or isinstance(account_id, bool):
            return None  # a session made for another desk or another kind of account is not a staff session
        async with sessions() as session:
            staff = await session.get(StaffAccount, account_id)
        return staff if staff is not None and staff.active else None

    return load


def session_generation(staff: StaffAccount) -> int:
    """deskkit's `generation_of`: the staff login's current session generation."""
    return staff.session_generation


def session_ender(sessions: async_sessionmaker) -> Callable[[str, object, int], Awaitable[None]]:
    """deskkit's `end_sessions(kind, id, generation)`: ends every session of that staff login (at logout)."""

    async def end(kind: str, account_id: object, generation: int) -> None:
        if kind != KIND or not isinstance(account_id, int):
            return
        # One statement, so two ends at once cannot both read the same number and end only one generation.
        async with sessions() as session, session.begin():
            await (await session.connection()).execute(update(StaffAccount).where(
                StaffAccount.id == account_id, StaffAccount.session_generation == generation)
                .values(session_generation=StaffAccount.session_generation + 1))

    return end


async def staff_for_token(sessions: async_sessionmaker, token: str) -> StaffAccount | None:
    if not worth_looking_up(token, TOKEN_PREFIX):
        return None
    async with sessions() as session:
        found = (await session.exec(select(StaffAccount).join(StaffToken, StaffToken.staff_id == StaffAccount.id)
                                    .where(StaffToken.token_hash == token_hash(token),
                                           StaffToken.revoked_at.is_(None), StaffToken.expires_at > utcnow())
                                    )).first()
    return found if found is not None and found.active else None


async def revoke_token(session: AsyncSession, staff: StaffAccount, token_id: int) -> StaffToken | None:
    """Revoke one of this staff member's own tokens; None when it is not theirs (or does not exist)."""
    row = await session.get(StaffToken, token_id)
    if row is None or row.staff_id != staff.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
    return row
