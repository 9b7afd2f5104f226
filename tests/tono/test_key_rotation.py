"""A party changes its signing key mid-journey, on two servers over HTTP, as the guide's procedure goes: the
next key is added to both agreements with the day it takes over; from that day the party signs with it while
both keys verify; then the old key is retired. Every report sent along the way arrives and is applied once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from protocol.agreement import load_agreement
from protocol.clock import nz_today
from tests.bot.reports.reports_support import add_records, attendance
from tests.tono.test_link_restores import AGENCY, PROVIDER, _dead_letters, _settle, prepare_and_approve
from tests.tono.test_link_status import TODAY, TwoServers
from tono.keys import generate_key_files
from tono.link import PeerLink


def _stage(servers: TwoServers, name: str, change) -> object:
    data = yaml.safe_load((servers.folder / "agreement.yaml").read_text(encoding="utf-8"))
    change(data)
    path = servers.folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_agreement(path)


async def _restart(servers: TwoServers, agreement) -> None:
    """Both organisations restart under the new agreement file, as they agreed."""
    await servers.provider.aclose()
    servers.agreement = agreement
    servers.provider = PeerLink("provider", servers.sessions[PROVIDER], agreement, servers.folder / "ccss",
                                servers.addresses[1], lambda: TODAY)
    if servers.agency is not None:
        await servers.agency.aclose()
    servers.agency_under(agreement)


async def _received(servers: TwoServers, ref: str) -> bool:
    from bot.reports.tables import Report

    async with servers.sessions[PROVIDER]() as session:
        return (await session.exec(select(Report.state).where(Report.ref == ref))).one()[0] == "received"


async def _signed_with(servers: TwoServers) -> str:
    from protocol.signing import public_key_to_b64

    return public_key_to_b64(servers.provider.end.private_key.public_key())


async def test_the_provider_changes_its_key_mid_journey_and_every_report_arrives_once(tmp_path):
    from agency.models import AgencyReport
    from benchmarks.reports import load
    from tono.agreement_setup import set_up_units

    servers = await asyncio.to_thread(TwoServers, tmp_path)
    try:
        old = servers.agreement.provider.public_key
        new = generate_key_files(tmp_path / "ccss", "ccss", following=True)[1]
        await load(servers.sessions[PROVIDER], servers.agreement, 6)
        async with servers.sessions[PROVIDER].begin() as session:
            people = list(range(1, 7))
            await add_records(session, "attendance", [attendance(p, d) for p in people
                                                      for d in ("2026-10-06", "2026-11-03")])
        servers.agency_under(servers.agreement)
        async with servers.sessions[AGENCY].begin() as session:
            await set_up_units(session, servers.agreement)
        later = nz_today() + timedelta(days=30)

        # 1. Both agreements name the next key, taking over in a month: still signed with the old one.
        await _restart(servers, _stage(servers, "announced", lambda d: d["parties"]["ccss"].update(
            next_key={"public_key": new, "takes_over": later})))
        async with servers.running():
            first = await prepare_and_approve(servers, "2026-10")
            await _settle(servers, lambda: _received(servers, first))
            signed_first = await _signed_with(servers)
        # 2. The day comes (here: the agreements say it is today): signed with the next key, both verify.
        await _restart(servers, _stage(servers, "taken-over", lambda d: d["parties"]["ccss"].update(
            next_key={"public_key": new, "takes_over": nz_today()})))
        async with servers.running():
            second = await prepare_and_approve(servers, "2026-11")
            await _settle(servers, lambda: _received(servers, second))
            signed_second = await _signed_with(servers)
        # 3. The old key retires: the next key is the key, and its file takes the usual name.
        (tmp_path / "ccss" / "ccss.pem").rename(tmp_path / "ccss" / "ccss.retired.pem")
        (tmp_path / "ccss" / "ccss.next.pem").rename(tmp_path / "ccss" / "ccss.pem")
        await _restart(servers, _stage(servers, "retired", lambda d: d["parties"]["ccss"].update(public_key=new)))
        async with servers.running():
            third = await prepare_and_approve(servers, "2027-01")
            await _settle(servers, lambda: _received(servers, third))
            status = await servers.provider.end.peer_check()

        async with servers.sessions[AGENCY]() as session:
            applied = (await session.exec(select(func.count()).select_from(AgencyReport))).one()[0]
        assert (signed_first, signed_second) == (old, new)
        assert applied == 3
        assert status.healthy, status.problems
        assert (await _dead_letters(servers, PROVIDER), await _dead_letters(servers, AGENCY)) == (0, 0)
    finally:
        await servers.close()


def test_a_next_key_that_took_over_without_its_private_key_here_is_one_sentence(tmp_path):
    from benchmarks.reports import agreement_with_keys
    from tests.tono.test_link_status import _variant
    from tono.keys import SigningKeyError, load_keys

    servers_agreement = agreement_with_keys(tmp_path)
    new = generate_key_files(tmp_path / "elsewhere", "ccss")[1]
    agreement = _variant(tmp_path / "agreement.yaml", tmp_path / "taken", lambda d: d["parties"]["ccss"].update(
        next_key={"public_key": new, "takes_over": date(2026, 1, 1)}))

    with pytest.raises(SigningKeyError, match="took over on 2026-01-01, but .* holds no ccss.next.pem"):
        load_keys(agreement, tmp_path / "ccss", today=lambda: date(2026, 12, 7))
    assert servers_agreement.provider.next_key is None
