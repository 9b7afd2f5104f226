"""One side restored from an older backup, mid-journey, on two servers over HTTP: the two sides' streams then
disagree; `link check` says how, `link repair` settles both sides, and the journey finishes with every message
applied once and no sequence number used twice."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from linkqueue.http import compare_streams
from linkqueue.tables import QUEUE_TABLES
from tests.tono.test_link_status import PERIOD, TODAY, TwoServers, _reports_at_the_agency
from tono.database import make_engine, make_sessionmaker

PROVIDER, AGENCY = 0, 1


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, as a nightly backup would take."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


async def _restore(servers: TwoServers, side: int, backup: Path) -> None:
    """Stop the side's database, put the backup in its place, and start it again."""
    await servers.engines[side].dispose()
    await asyncio.to_thread(_copy, backup, servers.folder / ("ccss.db" if side == PROVIDER else "agency.db"))
    servers.engines[side] = make_engine(servers.urls[side])
    servers.sessions[side] = make_sessionmaker(servers.engines[side])
    if side == AGENCY:
        servers.agency_under(servers.agreement)
    else:
        from tono.link import PeerLink

        await servers.provider.aclose()
        servers.provider = PeerLink("provider", servers.sessions[PROVIDER], servers.agreement,
                                    servers.folder / "ccss", servers.addresses[1], lambda: TODAY)


async def _backup(servers: TwoServers, side: int) -> Path:
    path = servers.folder / f"backup-{side}.db"
    await asyncio.to_thread(_copy, servers.folder / ("ccss.db" if side == PROVIDER else "agency.db"), path)
    return path


async def prepare_and_approve(servers: TwoServers, period: str = PERIOD) -> str:
    """Staff prepare the month's attendance report and approve it: its parts wait in the provider's outbox."""
    from bot.reports.approving import approve
    from bot.reports.preparing import prepare

    async with servers.sessions[PROVIDER].begin() as session:
        report = await prepare(session, servers.agreement, "attendance", period, bytes(32), prepared_by="kaimahi")
        await approve(session, servers.agreement, report.ref, login="kaimahi", outbox=servers.provider.end,
                      today=TODAY)
    return report.ref


async def _state(servers: TwoServers, ref: str) -> str:
    from bot.reports.tables import Report

    async with servers.sessions[PROVIDER]() as session:
        return (await session.exec(select(Report.state).where(Report.ref == ref))).one()[0]


async def _settle(servers: TwoServers, until) -> None:
    for _ in range(60):
        await servers.step(1)
        if await until():
            return
        await asyncio.sleep(0.05)


async def _dead_letters(servers: TwoServers, side: int) -> int:
    letters = QUEUE_TABLES["provider" if side == PROVIDER else "agency"].dead_letter
    async with servers.engines[side].connect() as connection:
        return (await connection.execute(select(func.count()).select_from(letters)
                                         .where(letters.c.junk.is_(False), letters.c.handled_at.is_(None)))).scalar()


async def _compare(servers: TwoServers, *, repair: bool):
    return await compare_streams(servers.addresses[AGENCY], servers.provider.view, "agency", servers.provider.end,
                                 repair=repair)


@pytest.fixture
async def journey(tmp_path):
    """Both servers up, the programme data loaded and the agency's units set up, nothing sent yet."""
    from benchmarks.reports import load
    from tono.agreement_setup import set_up_units

    servers = await asyncio.to_thread(TwoServers, tmp_path)
    servers.agency_under(servers.agreement)
    await load(servers.sessions[PROVIDER], servers.agreement, 6)
    async with servers.sessions[AGENCY].begin() as session:
        await set_up_units(session, servers.agreement)
    yield servers
    await servers.close()


async def test_the_agency_restored_from_before_a_report_gets_it_again_and_never_reuses_a_sequence(journey):
    servers = journey
    backup = await _backup(servers, AGENCY)
    async with servers.running():
        ref = await prepare_and_approve(servers)
        await _settle(servers, lambda: _is(servers, ref, "received"))
    await _restore(servers, AGENCY, backup)  # the agency's disk failed; last night's backup goes back

    async with servers.running():
        theirs, ours = await _compare(servers, repair=False)
        assert any("ccss delivered up to message 1, but agency has only 0" in s for s in ours), ours
        assert any("but agency remembers sending 0" in s and "agency's next message must be number 2" in s
                   for s in theirs), theirs
        await _compare(servers, repair=True)
        await _settle(servers, lambda: _agency_has(servers, 1))
        await servers.step()
        after = await _compare(servers, repair=False)

    assert await _reports_at_the_agency(servers) == 1  # applied again on the restored side, once
    assert after == ([], [])
    assert await _state(servers, ref) == "received"
    assert (await _dead_letters(servers, PROVIDER), await _dead_letters(servers, AGENCY)) == (0, 0)


async def test_the_provider_restored_from_before_it_sent_a_report_sends_it_anew_and_the_agency_knows_it_already(
        journey):
    servers = journey
    backup = await _backup(servers, PROVIDER)
    async with servers.running():
        ref = await prepare_and_approve(servers)
        await _settle(servers, lambda: _is(servers, ref, "received"))
    await _restore(servers, PROVIDER, backup)  # the report's sending is lost at the provider

    async with servers.running():
        theirs, ours = await _compare(servers, repair=False)
        assert any("but ccss remembers sending 0" in s for s in ours), ours  # its next message would reuse number 1
        await _compare(servers, repair=True)
        again = await prepare_and_approve(servers)  # staff see the report due again, and approve it again
        await _settle(servers, lambda: _is(servers, again, "received"))
        await servers.step()
        after = await _compare(servers, repair=False)

    assert again == ref
    assert await _reports_at_the_agency(servers) == 1  # the agency applied it once, and said so twice
    assert after == ([], [])
    assert (await _dead_letters(servers, PROVIDER), await _dead_letters(servers, AGENCY)) == (0, 0)


async def test_without_a_restore_both_servers_agree(journey):
    servers = journey
    async with servers.running():
        ref = await prepare_and_approve(servers)
        await _settle(servers, lambda: _is(servers, ref, "received"))
        found = await _compare(servers, repair=False)

    assert found == ([], [])


async def _is(servers: TwoServers, ref: str, state: str) -> bool:
    return await _state(servers, ref) == state


async def _agency_has(servers: TwoServers, count: int) -> bool:
    return await _reports_at_the_agency(servers) == count
