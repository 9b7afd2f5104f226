"""The Best foot forward demo loads once, however often it runs, with logins for every desk."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import select

from agency.models import AgencyRecord, AgencyReport, Officer, Unit
from bot.models import Authority, Family, Person, StaffAccount
from bot.records.tables import ConsentEvent, ProgrammeRecord
from bot.reports.tables import LedgerEntry, Report
from deskkit.passwords import verify_password
from protocol.agreement import load_agreement
from tono import demo_programme, migrate
from tono.database import make_engine, make_sessionmaker
from tono.demo import demo_logins, seed_demo
from tono.settings import load_settings

COUNTED = (Family, Person, Authority, StaffAccount, Unit, Officer, AgencyRecord, ProgrammeRecord, ConsentEvent, Report,
           AgencyReport, LedgerEntry)


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

    assert first == second  # the second run adds nothing, and sends nothing
    assert first["Family"] == 3 + len(demo_programme.synthetic_people())
    assert first["Unit"] == len(agreement.units) >= 2
    assert first["Officer"] == len(demo_logins(agreement, ("agency",)))  # each unit's, and the evaluator
    assert first["ProgrammeRecord"] > 0 and first["ConsentEvent"] > 0
    assert first["Report"] == first["AgencyReport"] > 0  # every report sent was received whole
    assert first["AgencyRecord"] > 0 and first["LedgerEntry"] > 0


def _one(database_url: str, statement):
    """The one row a query finds in the database."""
    async def run():
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return (await session.exec(statement)).one()
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_no_agency_record_of_the_demo_is_written_by_hand_every_one_came_in_a_report(seeded_url):
    by_hand = select(func.count()).select_from(AgencyRecord).where(AgencyRecord.report_id.is_(None))

    assert _one(seeded_url, by_hand) == 0
    assert _one(seeded_url, select(func.count()).select_from(AgencyRecord)) > 100


def test_the_demo_s_survey_report_passes_the_small_group_check_with_one_group_held_back(seeded_url):
    report = _one(seeded_url, select(Report).where(Report.flow == "survey-answers"))

    assert report.state == "received"
    assert report.small_groups["held_back"] == 4
    assert report.small_groups["said"][-1] == ("4 rows held back: their group (Porirua, 45 and over, Asian) had 4 "
                                               "people, fewer than 5.")


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
