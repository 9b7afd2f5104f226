"""The link as an operator sees it: two organisations' servers over HTTP, each with its own database and key.
While something is wrong (a stale copy of a key, different agreements, the other server down), `link status`
says what and is not healthy; once the cause is fixed, refused messages are sent again and applied once."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import func, select

from benchmarks.reports import agreement_with_keys, load
from linkqueue.http import inbox_router
from protocol.agreement import load_agreement
from protocol.signing import generate_keypair
from tests.linkqueue.servers import serving_all
from tono import migrate
from tono.database import make_engine, make_sessionmaker
from tono.first_hour import bind_port
from tono.link import PeerLink
from tono.link_status import link_status, status_lines

TODAY = date(2027, 2, 22)
PERIOD = "2027-01"


def _variant(agreement_path: Path, folder: Path, change) -> object:
    """A copy of the agreement file with one change, as the other organisation might hold it."""
    data = yaml.safe_load(agreement_path.read_text(encoding="utf-8"))
    change(data)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "agreement.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_agreement(path)


class TwoServers:
    """The provider's and the agency's ends, each on its own SQLite database, with fixed loopback ports so the
    agency's server can be stopped and started again (with another agreement) where the provider expects it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.agreement = agreement_with_keys(folder)
        self.urls = [f"sqlite+aiosqlite:///{folder / (side + '.db')}" for side in ("ccss", "agency")]
        for url in self.urls:
            migrate.upgrade(url)
        self.engines = [make_engine(url) for url in self.urls]
        self.sessions = [make_sessionmaker(engine) for engine in self.engines]
        self.sockets = [bind_port("127.0.0.1", 0), bind_port("127.0.0.1", 0)]
        self.ports = [sock.getsockname()[1] for sock in self.sockets]
        self.addresses = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.provider = PeerLink("provider", self.sessions[0], self.agreement, folder / "ccss", self.addresses[1],
                                 lambda: TODAY)
        self.agency: PeerLink | None = None

    def agency_under(self, agreement) -> PeerLink:
        self.agency = PeerLink("agency", self.sessions[1], agreement, self.folder / "agency", self.addresses[0],
                               lambda: TODAY)
        return self.agency

    @asynccontextmanager
    async def running(self, agency_up: bool = True):
        apps, socks = [], []
        for index, link in enumerate([self.provider, self.agency if agency_up else None]):
            if link is None:
                continue
            app = FastAPI()
            app.include_router(inbox_router(link.end, ping_view=link.view))
            apps.append(app)
            socks.append(self.sockets[index] if self.sockets[index] is not None else bind_port("127.0.0.1",
                                                                                                 self.ports[index]))
            self.sockets[index] = None  # a socket serves once; the next start binds the same port again
        async with serving_all(apps, socks):
            yield

    async def step(self, times: int = 3) -> None:
        for _ in range(times):
            for link in (self.provider, self.agency):
                if link is not None:
                    await link.step()

    async def close(self) -> None:
        for link in (self.provider, self.agency):
            if link is not None:
                await link.aclose()
        for engine in self.engines:
            await engine.dispose()


@pytest.fixture
async def servers(tmp_path):
    both = await asyncio.to_thread(TwoServers, tmp_path)  # migrations run their own event loop
    yield both
    await both.close()


async def _send_a_report(servers: TwoServers) -> str:
    from bot.reports.approving import approve
    from bot.reports.preparing import prepare

    await load(servers.sessions[0], servers.agreement, 3)
    async with servers.sessions[1].begin() as session:
        from tono.agreement_setup import set_up_units

        await set_up_units(session, servers.agreement)
    async with servers.sessions[0].begin() as session:
        report = await prepare(session, servers.agreement, "attendance", PERIOD, bytes(32), prepared_by="kaimahi")
        await approve(session, servers.agreement, report.ref, login="kaimahi", outbox=servers.provider.end,
                      today=TODAY)
    return report.ref


async def _reports_at_the_agency(servers: TwoServers) -> int:
    from agency.models import AgencyReport

    async with servers.sessions[1]() as session:
        return (await session.exec(select(func.count()).select_from(AgencyReport))).one()[0]


async def _provider_status(servers: TwoServers):
    return await link_status(servers.engines[0], servers.provider, "provider")


async def test_a_stale_copy_of_the_providers_key_is_shown_while_it_lasts_and_refused_messages_go_again_once_fixed(
        servers):
    stale = generate_keypair()[1]
    servers.agency_under(_variant(servers.folder / "agreement.yaml", servers.folder / "stale",
                                  lambda data: data["parties"]["ccss"].update(public_key=stale)))
    async with servers.running():
        ref = await _send_a_report(servers)
        await servers.step()
        wrong = await _provider_status(servers)
    lines = "\n".join(status_lines(wrong, servers.agreement))

    assert not wrong.healthy
    assert [r.count for r in wrong.sides["provider"].refused] == [1]
    assert "The signature does not match" in wrong.sides["provider"].refused[0].reason
    assert "does not match ccss's public key as this server holds it" in " ".join(wrong.peer.problems)
    assert "fix the cause, then `tono link resend`" in lines
    assert lines.endswith("The link is NOT healthy: see above.")

    servers.agency_under(servers.agreement)  # the agency's operator puts the right key in its agreement
    async with servers.running():
        assert await servers.provider.end.resend_refused() == 1
        await servers.step()
        mended = await _provider_status(servers)

    assert mended.healthy, status_lines(mended, servers.agreement)
    assert mended.peer.problems == [] and mended.sides["provider"].refused == []
    assert await _reports_at_the_agency(servers) == 1  # applied once
    from bot.reports.tables import Report

    async with servers.sessions[0]() as session:
        assert (await session.exec(select(Report.state).where(Report.ref == ref))).one()[0] == "received"


async def test_two_different_agreements_are_named_while_they_differ_and_a_report_stuck_meanwhile_is_applied_once_after(
        servers):
    def reworded(data):
        data["flows"][0]["what"]["en"]["adult"] += " (reworded)"

    servers.agency_under(_variant(servers.folder / "agreement.yaml", servers.folder / "other", reworded))
    async with servers.running():
        status = await _provider_status(servers)
        ref = await _send_a_report(servers)
        await servers.step(6)  # the agency tries to apply it, and gives up after its tries: a dead letter
        at_the_agency = await link_status(servers.engines[1], servers.agency, "agency")

    assert not status.healthy
    assert status.peer.answers
    assert any("agreement version" in problem and "both need the same agreement file" in problem
               for problem in status.peer.problems)
    assert not at_the_agency.healthy
    assert "the agreement in force here is version" in at_the_agency.sides["agency"].dead_letters[0].reason
    assert await _reports_at_the_agency(servers) == 0

    servers.agency_under(servers.agreement)  # the agency's operator puts the agreed file back
    async with servers.running():
        assert await servers.agency.end.apply_failed_again() == 1
        await servers.step()
        mended = await link_status(servers.engines[1], servers.agency, "agency")
        provider_view = await _provider_status(servers)

    assert mended.healthy and provider_view.healthy
    assert await _reports_at_the_agency(servers) == 1
    from bot.reports.tables import Report

    async with servers.sessions[0]() as session:
        assert (await session.exec(select(Report.state).where(Report.ref == ref))).one()[0] == "received"


async def test_the_other_server_down_is_not_healthy_and_messages_wait_until_it_is_back(servers):
    servers.agency_under(servers.agreement)
    async with servers.running(agency_up=False):
        await _send_a_report(servers)
        await servers.provider.step()
        down = await _provider_status(servers)

    assert not down.healthy
    assert down.peer.answers is False and "It does not answer" in down.peer.problems[0]
    assert down.sides["provider"].waiting == 1 and down.sides["provider"].oldest_waiting is not None
    assert len(down.sides["provider"].failing) == 1

    async with servers.running():
        for _ in range(40):  # the first retry comes a second after the failure
            await servers.step(1)
            if await _reports_at_the_agency(servers):
                break
            await asyncio.sleep(0.1)
        up = await _provider_status(servers)

    assert await _reports_at_the_agency(servers) == 1
    assert up.sides["provider"].waiting == 0 and up.peer.healthy
