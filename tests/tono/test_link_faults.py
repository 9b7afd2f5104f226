"""The link's fault table, each fault met by a family's request on two servers over HTTP: the provider's and the
agency's whole Tono (chat, desks and inbox), each with its own database and key, the links stepped by the test.

| fault                                  | what says so while it lasts                  | mended by          |
|----------------------------------------|----------------------------------------------|--------------------|
| the agency holds a stale copy of a key | link status; request page (refused)          | right key, resend  |
| the two hold different agreements      | link status, both link pages; dead letters   | agreed file, again |
| the agency down for a long time        | link status; request page (not reached yet)  | the agency back up |
| the agency restored from a backup      | link status (streams); task page (reused no.) | `link repair`      |
| the provider restored from a backup    | link status, link page (streams)             | `link repair`      |
| every message delivered twice          | nothing is wrong: copies answered duplicate  | -                  |
| the agency's key changed mid-journey   | nothing is wrong: both keys verify meanwhile | -                  |

In every case the request finishes, no message is applied twice, and each side's history chains verify."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections import Counter
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func
from sqlmodel import select

from protocol.agreement import load_agreement
from protocol.clock import nz_today
from protocol.receiving import REUSED
from tests.bot.desk.provider_desk_support import HTML, post_form
from tests.bot.desk.provider_desk_support import sign_in as staff_signs_in
from tests.deskkit.desk_app import csrf_in
from tests.linkqueue.servers import free_port, serving_all
from tests.tono.test_startup import _agreement_with_keys
from tests.tono.test_two_servers import (
    SECRET,
    Organisation,
    _clean_environment,
    _family_asks,
    _officer_tokens,
    _provider_credentials,
    _requests_in,
    _rows,
    _scalar,
    _staff_step,
    _units_answer,
)

pytestmark = pytest.mark.slow
ASKING = "P-0001"  # Aroha asks what is held about her: her request goes to both units, a study part to one
WITHIN = 60.0  # seconds a stage may take on a busy two-core machine
PARTY = {"provider": "ccss", "agency": "agency"}


class Pair:
    """The two organisations' servers, in this process: each side's app is made (and made again, as a restart
    would) by `start`, and served on its own fixed port while `running`; the links move when `settle` steps them."""

    def __init__(self, folder: Path):
        from tono import migrate
        from tono.demo import seed_demo
        from tono.keys import generate_key_files
        from tono.settings import load_settings

        self.folder = folder
        self.publics = {PARTY[role]: generate_key_files(folder / role / "keys", PARTY[role])[1]
                        for role in ("provider", "agency")}
        self.agreement_path = _agreement_with_keys(folder, self.publics)
        ports = {role: free_port() for role in ("provider", "agency")}
        self.orgs: dict[str, Organisation] = {}
        for role, other in (("provider", "agency"), ("agency", "provider")):
            env = {**_clean_environment(), "TONO_ROLE": role, "TONO_PEER_URL": f"http://127.0.0.1:{ports[other]}",
                   "TONO_DATABASE_URL": f"sqlite:///{folder / role / 'tono.db'}",
                   "TONO_KEYS_DIR": str(folder / role / "keys"), "TONO_AGREEMENT": str(self.agreement_path),
                   "TONO_SECRET_KEY": SECRET, "TONO_LINK_MAX_BACKOFF_SECONDS": "1"}
            settings = load_settings(**{k: v for k, v in env.items() if k.startswith("TONO_")})
            migrate.upgrade(settings.database_url)
            asyncio.run(seed_demo(settings, load_agreement(self.agreement_path)))
            self.orgs[role] = Organisation(role, folder / role, ports[role], env)
        provider, agency = self.orgs["provider"], self.orgs["agency"]
        provider.tokens["staff"], provider.codes = asyncio.run(_provider_credentials(provider.database_url))
        agency.tokens = asyncio.run(_officer_tokens(agency.database_url))
        self.apps: dict[str, object] = {}

    @property
    def provider(self) -> Organisation:
        return self.orgs["provider"]

    @property
    def agency(self) -> Organisation:
        return self.orgs["agency"]

    def database(self, role: str) -> Path:
        return self.folder / role / "tono.db"

    async def start(self, role: str, agreement_path: Path | None = None) -> None:
        """(Re)start one side's Tono, under the agreement file given (the agreed one by default)."""
        from tono.app import create_app
        from tono.settings import load_settings

        await self.stop(role)
        org = self.orgs[role]
        path = agreement_path or self.agreement_path
        settings = load_settings(**{k: v for k, v in org.env.items() if k.startswith("TONO_")}
                                 | {"TONO_AGREEMENT": str(path)})
        self.apps[role] = create_app(settings, load_agreement(path), start_telegram=False, run_loops=False)

    async def stop(self, role: str) -> None:
        app = self.apps.pop(role, None)
        if app is not None:
            await app.state.link.aclose()
            await app.state.engine.dispose()

    @asynccontextmanager
    async def running(self, *roles: str):
        """Serve these sides (both by default) on their ports; the others do not answer."""
        from tono.first_hour import bind_port

        roles = roles or ("provider", "agency")
        async with serving_all([self.apps[r] for r in roles],
                               [bind_port("127.0.0.1", self.orgs[r].port) for r in roles]):
            yield

    async def step(self, *roles: str) -> None:
        for role in roles or tuple(self.apps):
            await self.apps[role].state.link.step()

    async def settle(self, what: str, check, *roles: str) -> None:
        """Step the links until `check` holds (each side retries within a second: TONO_LINK_MAX_BACKOFF_SECONDS)."""
        deadline = time.monotonic() + WITHIN
        while time.monotonic() < deadline:
            await self.step(*roles)
            if await check():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{what} never happened")

    async def status(self, role: str):
        from tono.link_status import link_status, status_lines

        app = self.apps[role]
        found = await link_status(app.state.engine, app.state.link, role)
        return found, "\n".join(status_lines(found, app.state.agreement))

    @asynccontextmanager
    async def desk(self, role: str):
        """A signed-in browser on one side's desk (staff at the provider; the evaluation unit's officer)."""
        from tests.agency.desk.agency_world import sign_in as officer_signs_in

        async with httpx.AsyncClient(base_url=self.orgs[role].url, headers=HTML) as browser:
            if role == "provider":
                await staff_signs_in(browser)
            else:
                await officer_signs_in(browser, "officer-evaluation", "demo-evaluation-2026")
            yield browser

    async def close(self) -> None:
        for role in list(self.apps):
            await self.stop(role)


@pytest.fixture
async def pair(tmp_path):
    both = await asyncio.to_thread(Pair, tmp_path)  # migrations and the demo run their own event loops
    await both.start("provider")
    await both.start("agency")
    yield both
    await both.close()


# --- the family's request, step by step --------------------------------------------------------------------------


async def _asked_and_relayed(pair: Pair) -> str:
    """Aroha asks in the web chat; staff check who she is, approve and relay the request."""
    await _family_asks(pair.provider, ASKING)
    (ref,) = await _requests_in(pair.provider, "submitted")
    await _staff_step(pair.provider, ref, "approve", identity_checked="id_seen")
    await _staff_step(pair.provider, ref, "relay")
    return ref


async def _in(pair: Pair, state: str, ref: str) -> bool:
    """The request's state at the provider, read from its database (polling the desk's API would meet its
    rate limit)."""
    from bot.models import Request

    return await _rows(pair.provider, select(Request.state).where(Request.ref == ref)) == [state]


async def _received(pair: Pair, ref: str) -> None:
    await pair.settle("the request received", lambda: _in(pair, "received", ref))


async def _answered(pair: Pair, ref: str) -> int:
    """Every unit answers each task as it reaches its queue (its case system, through the API; a study part may
    arrive after the named request); the request comes back answered."""
    tasks = 0

    async def answered() -> bool:
        nonlocal tasks
        tasks += await _units_answer(pair.agency)
        return await _in(pair, "answered", ref)

    await pair.settle("the request answered", answered)
    return tasks


async def _finished_once(pair: Pair, ref: str, *, opened_again: bool = False) -> None:
    """The request is answered at both ends, every step applied once, nothing left waiting or unapplied, and
    both histories' chains verify. (`opened_again`: the agency's officers opened the records twice, once before
    the agency was restored from its backup and once after, and each opening is told.)"""
    from agency.models import AgencyEvent, AgencyRequest, Task
    from bot.models import Notification, Request, RequestEvent, StudyPart, UnitAnswer

    await pair.settle("every message delivered and applied", lambda: _nothing_left(pair))
    provider, agency = pair.provider, pair.agency
    (request,) = await _rows(provider, select(Request).where(Request.ref == ref))
    answers = await _rows(provider, select(UnitAnswer.unit).where(UnitAnswer.request_id == request.id))
    parts = await _rows(provider, select(StudyPart.state).where(StudyPart.request_id == request.id))
    events = Counter(await _rows(provider, select(RequestEvent.trigger).where(RequestEvent.request_id == request.id)))
    told = await _rows(provider, select(Notification.text).where(Notification.request_id == request.id))
    assert request.state == "answered"
    assert sorted(answers) == sorted(request.units) and parts == ["answered"] * len(parts)
    assert {k: v for k, v in events.items() if k != "opened"} == {"submit": 1, "approve": 1, "relay": 1,
                                                                   "acknowledge": 1, "complete": 1}
    assert (events["opened"] >= len(answers) + len(parts)) if opened_again else (
        events["opened"] == len(answers) + len(parts))
    assert len(told) == len({repr(t) for t in told}), f"the family was told something twice: {told}"
    at_agency = await _rows(agency, select(AgencyRequest))
    assert [r.state for r in at_agency] == ["answered"] * (1 + len(parts))
    assert await _scalar(agency, select(func.count()).select_from(Task)) == len(answers) + len(parts)
    for each in at_agency:
        acks = await _rows(agency, select(AgencyEvent.trigger).where(AgencyEvent.request_id == each.id,
                                                                     AgencyEvent.trigger == "acknowledge"))
        assert len(acks) == 1
    for role in ("provider", "agency"):
        status, said = await pair.status(role)
        assert status.healthy, said
        await _chains_verify(pair.orgs[role])


async def _nothing_left(pair: Pair) -> bool:
    from linkqueue.tables import QUEUE_TABLES

    for role, org in pair.orgs.items():
        t = QUEUE_TABLES[role]
        if await _scalar(org, select(func.count()).select_from(t.outbox).where(t.outbox.c.delivered_at.is_(None))):
            return False
        if await _scalar(org, select(func.count()).select_from(t.inbox).where(t.inbox.c.applied_at.is_(None))):
            return False
    return True


async def _chains_verify(org: Organisation) -> None:
    from tono.settings import load_settings
    from tono.verify import broken_chains

    settings = load_settings(**{k: v for k, v in org.env.items() if k.startswith("TONO_")})
    _checked, problems = await broken_chains(settings)
    assert problems == []


def _variant(pair: Pair, name: str, change) -> Path:
    """A copy of the agreement file with one change, as one organisation might hold it."""
    data = yaml.safe_load(pair.agreement_path.read_text(encoding="utf-8"))
    change(data)
    path = pair.folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy, as a nightly backup would take."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


async def _restore(pair: Pair, role: str, backup: Path) -> None:
    """The side's disk fails: its server stops, last night's backup goes back, and it starts again."""
    await pair.stop(role)
    await asyncio.to_thread(_copy, backup, pair.database(role))
    await pair.start(role)


async def _answered_after_a_backup(pair: Pair, role: str) -> str:
    """The request received, a backup of `role`'s database taken, the request answered; then `role`'s disk fails
    and the backup goes back. Returns the request's reference."""
    async with pair.running():
        ref = await _asked_and_relayed(pair)
        await _received(pair, ref)
        await pair.settle("nothing in flight", lambda: _nothing_left(pair))
        backup = await _backup(pair, role)
        await _answered(pair, ref)
    await _restore(pair, role, backup)
    return ref


async def _backup(pair: Pair, role: str) -> Path:
    path = pair.folder / f"{role}-backup.db"
    await asyncio.to_thread(_copy, pair.database(role), path)
    return path


# --- the faults ------------------------------------------------------------------------------------------------


async def test_a_stale_copy_of_the_providers_key_at_the_agency_is_shown_until_mended_and_the_request_finishes(pair):
    from protocol.signing import generate_keypair

    stale = generate_keypair()[1]
    await pair.start("agency", _variant(pair, "stale", lambda d: d["parties"]["ccss"].update(public_key=stale)))
    async with pair.running():
        ref = await _asked_and_relayed(pair)
        refused = _any(pair, "provider", "outbox", lambda c: c.rejected_at.is_not(None))
        await pair.settle("the relay refused", refused)
        status, said = await pair.status("provider")
        async with pair.desk("provider") as desk:
            page = (await desk.get(f"/provider/requests/{ref}")).text

    assert not status.healthy and "The signature does not match" in said
    assert "fix the cause, then `tono link resend`" in said
    assert "refused this request’s “request.relayed” message" in page.replace("'", "’")
    assert "The signature does not match" in page

    await pair.start("agency")  # the agency's operator puts the agreed file back
    async with pair.running():
        async with pair.desk("provider") as desk:
            link = await desk.get("/provider/link")
            resent = await post_form(desk, "/provider/link/resend", csrf_in(link))
        assert resent.status_code == 303
        await _received(pair, ref)
        await _answered(pair, ref)
        await _finished_once(pair, ref)


def _any(pair: Pair, role: str, table: str, where=None):
    """A check for `settle`: whether `role`'s queue table (outbox, dead_letter …) has a row matching `where` (a
    function of the table's columns)."""
    from linkqueue.tables import QUEUE_TABLES

    rows = getattr(QUEUE_TABLES[role], table)

    async def check() -> bool:
        query = select(func.count()).select_from(rows)
        return bool(await _scalar(pair.orgs[role], query.where(where(rows.c)) if where else query))

    return check


async def test_two_different_agreements_are_shown_on_both_sides_while_they_differ_and_the_request_finishes(pair):
    def reworded(data):
        data["flows"][0]["what"]["en"]["adult"] += " (reworded by one side only)"

    await pair.start("agency", _variant(pair, "reworded", reworded))
    async with pair.running():
        ref = await _asked_and_relayed(pair)
        await _received(pair, ref)  # a request names no agreement version (yet), so it goes through
        await pair.settle("the demo's report refused on arrival", _any(pair, "agency", "dead_letter"), "agency")
        seen = {role: await pair.status(role) for role in ("provider", "agency")}
        async with pair.desk("provider") as desk:
            provider_page = (await desk.get("/provider/link")).text
        async with pair.desk("agency") as desk:
            agency_page = (await desk.get("/agency/link")).text

    for status, said in seen.values():
        assert not status.healthy and "agreement version" in said, said
    assert "the agreement in force here is version" in seen["agency"][1]  # the report, made under the other
    assert "agreement version" in provider_page and "agreement version" in agency_page

    await pair.start("agency")  # the agency's operator puts the agreed file back, and applies the report again
    async with pair.running():
        async with pair.desk("agency") as desk:
            link = await desk.get("/agency/link")
            again = await post_form(desk, "/agency/link/resend", csrf_in(link))
        assert again.status_code == 303
        await _answered(pair, ref)
        await _finished_once(pair, ref)


async def test_the_agency_down_for_a_long_time_is_shown_while_it_lasts_and_the_request_finishes_once_back(pair):
    tried_five_times = _any(pair, "provider", "outbox", lambda c: c.attempts >= 5)

    async with pair.running("provider"):
        ref = await _asked_and_relayed(pair)
        await pair.settle("five tries at the stopped agency", tried_five_times, "provider")
        status, said = await pair.status("provider")
        async with pair.desk("provider") as desk:
            page = (await desk.get(f"/provider/requests/{ref}")).text

    assert not status.healthy and "does not answer" in said
    assert status.sides["provider"].waiting >= 1 and "failing to go" in said
    assert "“request.relayed” message has not reached" in page

    async with pair.running():
        await _received(pair, ref)
        await _answered(pair, ref)
        await _finished_once(pair, ref)


async def test_the_agency_restored_from_before_it_answered_is_shown_until_repaired_and_the_answers_count_once(pair):
    from linkqueue.http import compare_streams

    ref = await _answered_after_a_backup(pair, "agency")  # the units' answers are lost at the agency only

    async with pair.running():
        status, said = await pair.status("agency")
        await _units_answer(pair.agency)  # the officers find their tasks open again, and answer again
        await pair.settle("the answer refused for its reused number", _any(
            pair, "agency", "outbox", lambda c: c.delivered_at.is_(None) & c.last_error.contains(REUSED)), "agency")
        failing, failing_said = await pair.status("agency")
        async with pair.desk("agency") as desk:
            task = await _a_task_id(pair)
            page = (await desk.get(f"/agency/tasks/{task}")).text

        link = pair.apps["agency"].state.link
        await compare_streams(link.peer_url, link.view, link.peer, link.end, repair=True)  # `tono link repair`
        await _finished_once(pair, ref, opened_again=True)

    assert not status.healthy and "The streams disagree (run `tono link repair`)" in said, said
    assert not failing.healthy and "was already used by another message" in failing_said
    assert "has not reached" in page and "restored from an older backup" in page


async def _a_task_id(pair: Pair) -> int:
    from agency.models import Task

    return (await _rows(pair.agency, select(Task.id).where(Task.unit_id == "evaluation")))[0]


async def test_the_provider_restored_from_before_the_answers_is_shown_until_repaired_and_the_request_finishes(pair):
    from linkqueue.http import compare_streams

    ref = await _answered_after_a_backup(pair, "provider")  # the answers are lost at the provider only

    async with pair.running():
        status, said = await pair.status("provider")
        async with pair.desk("provider") as desk:
            page = (await desk.get("/provider/link")).text
        assert await _in(pair, "received", ref)  # waiting for answers the agency thinks delivered

        link = pair.apps["provider"].state.link
        await compare_streams(link.peer_url, link.view, link.peer, link.end, repair=True)  # `tono link repair`
        await pair.settle("the request answered", lambda: _in(pair, "answered", ref))
        await _finished_once(pair, ref)

    assert not status.healthy and "agency sends messages 2 to" in said, said
    assert "The streams disagree" in page


async def test_every_message_delivered_twice_is_applied_once(pair):
    async with pair.running():
        ref = await _asked_and_relayed(pair)
        await _received(pair, ref)
        first = await _deliver_everything_again(pair)
        await _answered(pair, ref)
        await pair.settle("nothing in flight", lambda: _nothing_left(pair))
        second = await _deliver_everything_again(pair)
        await _finished_once(pair, ref)

    assert set(first) == set(second) == {"duplicate"}
    assert sum(second.values()) > sum(first.values())


async def _deliver_everything_again(pair: Pair) -> Counter:
    """A network that delivers each message a second time: every message either side has delivered, again."""
    from linkqueue.tables import QUEUE_TABLES

    answers = Counter()
    async with httpx.AsyncClient() as network:
        for role, other in (("provider", "agency"), ("agency", "provider")):
            box = QUEUE_TABLES[role].outbox
            for raw in await _rows(pair.orgs[role], select(box.c.envelope).where(box.c.delivered_at.is_not(None))):
                answer = await network.post(pair.orgs[other].url + "/protocol/inbox", content=raw,
                                            headers={"Content-Type": "application/json"})
                answers[answer.json()["status"]] += 1
    return answers


async def test_the_agencys_key_changed_mid_journey_verifies_throughout_and_the_request_finishes(pair):
    from tono.keys import generate_key_files

    keys = pair.folder / "agency" / "keys"
    async with pair.running():
        ref = await _asked_and_relayed(pair)
        await _received(pair, ref)
        tasks = await _units_answer(pair.agency)  # answered, and signed with the old key, not yet sent
    assert tasks

    # The next key, announced in both agreements and taking over today: both sides restart under the new file.
    new = generate_key_files(keys, "agency", following=True)[1]
    announced = _variant(pair, "announced", lambda d: d["parties"]["agency"].update(
        next_key={"public_key": new, "takes_over": nz_today()}))
    for role in ("provider", "agency"):
        await pair.start(role, announced)
    async with pair.running():
        overlap, said = await pair.status("provider")
        await pair.settle("the answers signed with the old key applied", lambda: _in(pair, "answered", ref))
        await _deliver_everything_again(pair)  # and copies of them, to be safe, answered as duplicates
        signing_with = _public(pair.apps["agency"].state.link.end.private_key)
        await _officer_looks_again(pair)  # a records.opened message, signed with the next key

    # The old key retires: the next key becomes the key, and the old one is no longer in either agreement.
    (keys / "agency.pem").rename(keys / "agency.retired.pem")
    shutil.move(keys / "agency.next.pem", keys / "agency.pem")
    retired = _variant(pair, "retired", lambda d: d["parties"]["agency"].update(public_key=new))
    pair.agreement_path = retired
    for role in ("provider", "agency"):
        await pair.start(role, retired)
    async with pair.running():
        await _finished_once(pair, ref, opened_again=True)

    assert overlap.healthy, said
    assert signing_with == new


def _public(private_key) -> str:
    from protocol.signing import public_key_to_b64

    return public_key_to_b64(private_key.public_key())


async def _officer_looks_again(pair: Pair) -> None:
    """The evaluation unit's officer opens the answered task's records again (each opening is told)."""
    token = pair.agency.tokens["officer-evaluation"]
    async with httpx.AsyncClient(base_url=pair.agency.url) as system:
        looked = await system.get(f"/agency/api/tasks/{await _a_task_id(pair)}/records",
                                  headers={"Authorization": f"Bearer {token}"})
    assert looked.status_code == 200, looked.text
