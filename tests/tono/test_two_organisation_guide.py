"""docs/two-organisations.md followed in order, as two IT teams would: each server makes its key, the agreement
gets both public keys as the guide says to put them there, it is checked, each database is made and the demo
loaded for a trial, both servers start, `tono link status` says the link is healthy on each, and one family's
request goes from the web chat to both units and back. Then `tono verify-events` checks both histories."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from protocol.agreement import DEFAULT_AGREEMENT_PATH
from tests.linkqueue.servers import free_port
from tests.tono.test_two_servers import (
    SECRET,
    Organisation,
    _clean_environment,
    _family_asks,
    _officer_tokens,
    _provider_credentials,
    _requests_in,
    _staff_step,
    _units_answer,
    _until,
)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "two-organisations.md"
# The guide's `tono` commands for setting up, in the order it gives them (changing and losing keys come later).
SET_UP = ["keys generate ccss", "agreement check /etc/tono/agreement.yaml", "db upgrade", "seed-demo",
          "link status", "link resend", "verify-events"]


def _guide_commands() -> list[str]:
    return re.findall(r"bin/tono ([a-z][^'`\n]*)", GUIDE.read_text(encoding="utf-8"))


def _tono(org: Organisation, command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tono.cli", *command.split()], env=org.env, cwd=org.folder,
                          capture_output=True, text=True, timeout=120)


def _put_keys_in(agreement: str, keys: dict[str, str]) -> str:
    """Step 2: 'replace demo with the real public key in the two public_key: lines under parties:'."""
    head, parties = agreement.split("\nparties:\n", 1)
    for party, key in keys.items():
        parties = re.sub(rf"(\n  {party}:\n(?:    .*\n)*?    public_key: )demo\n", rf"\g<1>{key}\n", "\n" + parties,
                         count=1)[1:]
    return head + "\nparties:\n" + parties


def test_the_guide_gives_its_set_up_commands_in_this_order():
    assert _guide_commands()[:len(SET_UP)] == SET_UP


async def test_two_it_teams_follow_the_guide_and_a_request_goes_from_the_chat_to_both_units_and_back(tmp_path):
    ports = {role: free_port() for role in ("provider", "agency")}
    orgs = {}
    for role, other in (("provider", "agency"), ("agency", "provider")):
        folder = tmp_path / role
        folder.mkdir()
        env = {**_clean_environment(), "TONO_ROLE": role, "TONO_PEER_URL": f"http://127.0.0.1:{ports[other]}",
               "TONO_DATABASE_URL": f"sqlite:///{folder / 'tono.db'}", "TONO_KEYS_DIR": str(folder / "keys"),
               "TONO_AGREEMENT": str(tmp_path / "agreement.yaml"), "TONO_SECRET_KEY": SECRET,
               "TONO_LINK_MAX_BACKOFF_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
        orgs[role] = Organisation(role, folder, ports[role], env)
    provider, agency = orgs["provider"], orgs["agency"]

    # 1. Each organisation makes its signing key (the agency "the same with `tono keys generate agency`").
    keys = {}
    for org, party in ((provider, "ccss"), (agency, "agency")):
        made = _tono(org, f"keys generate {party}")
        assert made.returncode == 0, made.stderr
        keys[party] = re.search(r"public_key: (\S+=)", made.stdout).group(1)
    # 2. One agreement file, both public keys in it, checked.
    (tmp_path / "agreement.yaml").write_text(_put_keys_in(DEFAULT_AGREEMENT_PATH.read_text(encoding="utf-8"),
                                                          keys), encoding="utf-8")
    checked = _tono(provider, f"agreement check {tmp_path / 'agreement.yaml'}")
    assert checked.returncode == 0 and "the agreement is valid" in checked.stdout, checked.stderr
    # 4. Each database, and the demo for a trial; then each server starts.
    for org in (provider, agency):
        for command in ("db upgrade", "seed-demo"):
            done = _tono(org, command)
            assert done.returncode == 0, (command, done.stderr)
    try:
        for org in (provider, agency):
            org.start()
        await asyncio.gather(provider.wait_until_up(), agency.wait_until_up())
        # 5. Each server's link status: healthy.
        for org in (provider, agency):
            status = await asyncio.to_thread(_tono, org, "link status")
            assert status.returncode == 0, status.stdout + status.stderr
            assert "answers and agrees on the agreement and both keys" in status.stdout
        # One family's request, from the web chat to both units and back.
        provider.tokens["staff"], provider.codes = await _provider_credentials(provider.database_url)
        agency.tokens = await _officer_tokens(agency.database_url)
        await _family_asks(provider, "P-0001")
        (ref,) = await _requests_in(provider, "submitted")
        await _staff_step(provider, ref, "approve", identity_checked="known_in_person")
        await _staff_step(provider, ref, "relay")

        async def answered_by_all() -> bool:
            await _units_answer(agency)
            return ref in await _requests_in(provider, "answered")

        await _until("the answer coming back from every unit", answered_by_all, [provider, agency])
        # 8. Both histories check out.
        for org in (provider, agency):
            verified = await asyncio.to_thread(_tono, org, "verify-events")
            assert verified.returncode == 0 and "check out" in verified.stdout, verified.stderr
    finally:
        for org in (provider, agency):
            org.stop()
