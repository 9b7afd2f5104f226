"""The Best foot forward demo loads once, however often it runs, with logins for every desk."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import select

from agency.models import AgencyRecord, Officer, Unit
from bot.models import Authority, Family, Person, StaffAccount
from deskkit.passwords import verify_password
from protocol.agreement import load_agreement
from tono import migrate
from tono.database import make_engine, make_sessionmaker
from tono.demo import seed_demo
from tono.settings import load_settings

COUNTED = (Family, Person, Authority, StaffAccount, Unit, Officer, AgencyRecord)


async def _counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return {m.__name__: (await session.exec(select(func.count()).select_from(m))).one() for m in COUNTED}
    finally:
        await engine.dispose()


def test_seeding_twice_loads_the_demo_once(database_url):
    migrate.upgrade(database_url)
    settings = load_settings(TONO_DATABASE_URL=database_url)
    agreement = load_agreement()

    asyncio.run(seed_demo(settings, agreement))
    first = asyncio.run(_counts(database_url))
    asyncio.run(seed_demo(settings, agreement))
    second = asyncio.run(_counts(database_url))

    assert first == second
    assert first["Family"] == 3
    assert first["Unit"] == len(agreement.units) >= 2
    assert first["Officer"] == len(agreement.units)
    assert first["AgencyRecord"] > 0


def test_the_printed_demo_logins_open_their_accounts(database_url):
    migrate.upgrade(database_url)
    settings = load_settings(TONO_DATABASE_URL=database_url)

    logins = asyncio.run(seed_demo(settings, load_agreement()))

    async def check():
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                for desk, login, password, _who in logins:
                    model = StaffAccount if desk == "provider desk" else Officer
                    account = (await session.exec(select(model).where(model.login == login))).one()
                    assert verify_password(account.password_hash, password)
                    assert not verify_password(account.password_hash, password + "x")
        finally:
            await engine.dispose()

    asyncio.run(check())
    assert {desk for desk, *_ in logins} == {"provider desk", "agency desk"}
