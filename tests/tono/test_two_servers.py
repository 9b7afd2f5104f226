"""Two organisations, two servers (DESIGN.md §3.4): `tono run` as the provider only and as the agency only,
each with its own SQLite database and its own private key, on loopback, with a meddling network between
them (a test proxy that delays, duplicates, holds back to deliver later and out of order, and loses
answers). The agency's server is killed with answers still in its outbox and stays down for a while, while
CCSS relays another request and keeps trying to deliver it; then it starts again. The journey completes, and
every step happens exactly once on each side."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.linkqueue.servers import free_port, serving_all
from tests.tono.test_startup import _agreement_with_keys

SECRET = "two-servers-test-secret-0123456789-abcdefghij"
CHAT = {"X-Tono-Chat": "1"}
ASKING = ("P-0001", "P-0004")  # Aroha and Grace each ask what the agency holds about them
WITHIN = 45.0  # seconds any one stage may take on a busy two-core machine


# --- the network between the two organisations ------------------------------------------------------------


@dataclass
class MeddlingNetwork:
    """Carries one organisation's POSTs to the other's /protocol/inbox, meddling as `plan` says, one action per
    message that reaches a running receiver (like a load balancer, it first checks the receiver is up):

    pass: forward it; delay: forward it late; duplicate: forward it twice; lose_answer: forward it but tell
    the sender it failed; hold: tell the sender it failed, and forward it later, after a newer message."""

    receiver: str
    plan: list[str]
    done: Counter = field(default_factory=Counter)
    answers: Counter = field(default_factory=Counter)  # the receipts the receiver gave to what reached it
    refused_while_down: int = 0
    held: list[bytes] = field(default_factory=list)

    def app(self) -> Starlette:
        self.client = httpx.AsyncClient(timeout=10)
        return Starlette(routes=[Route("/protocol/inbox", self.carry, methods=["POST"])])

    async def carry(self, request: HttpRequest) -> Response:
        body = await request.body()
        if not await self._receiver_is_up():
            self.refused_while_down += 1
            return PlainTextResponse("502 Bad Gateway: no server behind this address", status_code=502)
        action = self.plan.pop(0) if self.plan else "pass"
        self.done[action] += 1
        if action == "hold":
            self.held.append(body)
            return PlainTextResponse("502 Bad Gateway", status_code=502)
        if action == "delay":
            await asyncio.sleep(0.5)
        answer = await self._forward(body)
        if action == "duplicate":
            await self._forward(body)
        await self.deliver_held()  # what was held back arrives now, after this newer message
        if answer is None or action == "lose_answer":
            return PlainTextResponse("502 Bad Gateway", status_code=502)
        return Response(answer.content, answer.status_code, media_type="application/json")

    async def deliver_held(self) -> None:
        held, self.held = self.held[::-1], []
        for body in held:
            await self._forward(body)

    async def _receiver_is_up(self) -> bool:
        try:
            return (await self.client.get(self.receiver + "/healthz", timeout=2)).status_code == 200
        except httpx.HTTPError:
            return False

    async def _forward(self, body: bytes) -> httpx.Response | None:
        try:
            answer = await self.client.post(self.receiver + "/protocol/inbox", content=body,
                                            headers={"Content-Type": "application/json"})
        except httpx.HTTPError:
            return None
        self.answers[answer.json().get("status")] += 1
        return answer


# --- the two organisations ----------------------------------------------------------------------------------


@dataclass
class Organisation:
    """One organisation's `tono run`, in its own folder, with its own database, keys and environment."""

    role: str
    folder: Path
    port: int
    env: dict
    tokens: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        from tono.settings import normalise_database_url

        return normalise_database_url(self.env["TONO_DATABASE_URL"])

    def start(self) -> None:
        with (self.folder / "tono.log").open("a") as log:  # the server writes to its own copy of the file
            self.process = subprocess.Popen([sys.executable, "-m", "tono.cli", "run", "--port", str(self.port)],
                                            env=self.env, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """Stop it as an operator would (SIGTERM: uvicorn finishes what it is doing)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.crash()

    def crash(self) -> None:
        """Stop it as a power cut would (SIGKILL: nothing is finished or tidied up)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def log_tail(self) -> str:
        return (self.folder / "tono.log").read_text()[-3000:]

    async def wait_until_up(self) -> None:
        deadline = time.monotonic() + WITHIN
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, f"the {self.role} stopped:\n{self.log_tail()}"
                try:
                    if (await client.get(self.url + "/healthz", timeout=1)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"the {self.role} never answered on /healthz:\n{self.log_tail()}")




async def _provider_credentials(database_url: str) -> tuple[str, dict[str, str]]:
    from bot.desk.auth import create_token
    from bot.models import Person, StaffAccount
    from bot.people.enrolment import issue_code
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            staff = (await session.exec(select(StaffAccount).where(StaffAccount.login == "kaimahi"))).one()
            token, _row = await create_token(session, staff, "two servers test")
            codes = {}
            for ref in ASKING:
                person = (await session.exec(select(Person).where(Person.ref == ref))).one()
                codes[ref] = await issue_code(session, person)
    finally:
        await engine.dispose()
    return token, codes


async def _officer_tokens(database_url: str) -> dict[str, str]:
    from agency.desk.store import create_token
    from agency.models import Officer
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine).begin() as session:
            # The demo's evaluation officer is its lead, who sees the named part of a request; the part about the
            # survey answers, held under a study number, goes on its own to the demo's evaluator.
            return {officer.login: await create_token(session, officer, "two servers test")
                    for officer in (await session.exec(select(Officer))).all()}
    finally:
        await engine.dispose()


def _clean_environment() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("TONO_", "TELEGRAM_"))}


@pytest.fixture
def organisations(tmp_path):
    """Provider (CCSS) and agency: each migrated and seeded with only its own demo data, each holding only its
    own private key, both with the agreement that carries both public keys; and a network between them."""
    from protocol.agreement import load_agreement
    from tono import migrate
    from tono.demo import seed_demo
    from tono.keys import generate_key_files
    from tono.settings import load_settings

    folders = {role: tmp_path / role for role in ("provider", "agency")}
    publics = {party: generate_key_files(folders[role] / "keys", party)[1]
               for role, party in (("provider", "ccss"), ("agency", "agency"))}
    agreement_path = _agreement_with_keys(tmp_path, publics)
    ports = {name: free_port() for name in ("provider", "agency", "to_provider", "to_agency")}
    peers = {"provider": ports["to_agency"], "agency": ports["to_provider"]}
    made = {}
    for role, folder in folders.items():
        env = {**_clean_environment(), "TONO_ROLE": role, "TONO_PEER_URL": f"http://127.0.0.1:{peers[role]}",
               "TONO_DATABASE_URL": f"sqlite:///{folder / 'tono.db'}", "TONO_KEYS_DIR": str(folder / "keys"),
               "TONO_AGREEMENT": str(agreement_path), "TONO_SECRET_KEY": SECRET,
               "TONO_LINK_MAX_BACKOFF_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
        settings = load_settings(**{k: v for k, v in env.items() if k.startswith("TONO_")})
        migrate.upgrade(settings.database_url)
        asyncio.run(seed_demo(settings, load_agreement(agreement_path)))
        made[role] = Organisation(role, folder, ports[role], env)
    provider, agency = made["provider"], made["agency"]
    provider.tokens["staff"], provider.codes = asyncio.run(_provider_credentials(provider.database_url))
    agency.tokens = asyncio.run(_officer_tokens(agency.database_url))
    yield provider, agency, ports
    for organisation in made.values():
        organisation.stop()


# --- what people do, over HTTP --------------------------------------------------------------------------------


async def _family_asks(provider: Organisation, ref: str) -> None:
    """A parent opens their enrolment link in the web chat and asks what the agency holds about them."""
    async with httpx.AsyncClient(base_url=provider.url, headers=CHAT) as chat:
        code = provider.codes[ref]
        await chat.get(f"/chat/?start={code}")
        said = await _turn(chat, kind="command", command="start", text=code)
        for label in ("Not now", "What do you hold about me?", "Mine", "The agency", "Skip", "A copy here", "No",
                      "Send my request"):
            said = await _press(chat, said, label)
        assert "Your request is sent" in said["messages"][0]["html"], said


async def _turn(chat: httpx.AsyncClient, **body) -> dict:
    response = await chat.post("/chat/turn", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def _press(chat: httpx.AsyncClient, said: dict, label: str) -> dict:
    for message in said["messages"]:
        for row in message["buttons"]:
            for button in row:
                if label in button["label"]:
                    screen, action = button["token"].split(":", 1)
                    return await _turn(chat, kind="button", screen=int(screen), action=action)
    raise AssertionError(f"no button {label!r} in {said}")


async def _requests_in(provider: Organisation, state: str) -> list[str]:
    async with httpx.AsyncClient(base_url=provider.url) as staff:
        listed = await staff.get("/provider/api/requests", params={"state": state},
                                 headers={"Authorization": f"Bearer {provider.tokens['staff']}"})
    assert listed.status_code == 200, listed.text
    return sorted(item["ref"] for item in listed.json()["items"])


async def _staff_step(provider: Organisation, ref: str, step: str, **body) -> None:
    async with httpx.AsyncClient(base_url=provider.url) as staff:
        done = await staff.post(f"/provider/api/requests/{ref}/{step}", json=body or None,
                                headers={"Authorization": f"Bearer {provider.tokens['staff']}"})
    assert done.status_code == 200, done.text


async def _until(what: str, check, organisations: list[Organisation]) -> None:
    deadline = time.monotonic() + WITHIN
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    logs = "\n\n".join(f"--- {o.role} ---\n{o.log_tail()}" for o in organisations)
    raise AssertionError(f"{what} never happened\n{logs}")


async def _units_answer(agency: Organisation) -> int:
    """Each unit's case system, with each of its officers' tokens, answers every task the officer sees: releases
    what it holds."""
    answered = 0
    async with httpx.AsyncClient(base_url=agency.url) as system:
        for _login, token in sorted(agency.tokens.items()):
            officer = {"Authorization": f"Bearer {token}"}
            queue = (await system.get("/agency/api/tasks", headers=officer)).json()
            for task in queue["tasks"]:
                records = (await system.get(f"/agency/api/tasks/{task['id']}/records", headers=officer)).json()
                claimed = await system.post(f"/agency/api/tasks/{task['id']}/claim", headers=officer)
                assert claimed.status_code == 200, claimed.text
                ids = [record["id"] for record in records["records"]]
                given = {"release": ids} if ids else {"not_held": ["Nothing about this person."]}
                done = await system.post(f"/agency/api/tasks/{task['id']}/answer", headers=officer, json=given)
                assert done.status_code == 200, done.text
                answered += 1
    return answered


# --- what each organisation's server serves ---------------------------------------------------------------------


def _tono_app(seeded_url: str, keys_dir: Path, agreement, **environment):
    from tono.app import create_app
    from tono.settings import load_settings

    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(keys_dir), TONO_SECRET_KEY=SECRET,
                             **environment)
    return create_app(settings, agreement, start_telegram=False, run_loops=False)


async def _status_codes(app, paths: list[str]) -> dict[str, int]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as client:
        return {path: (await client.get(path)).status_code for path in paths}


PATHS = ["/chat/", "/provider/login", "/agency/login", "/protocol/inbox"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("role", "not_found"), [("provider", ["/agency/login"]),
                                                 ("agency", ["/chat/", "/provider/login"])])
async def test_as_one_organisation_tono_serves_only_its_own_pages_and_an_inbox(seeded_url, tmp_path, role,
                                                                              not_found):
    from protocol.agreement import load_agreement
    from tono.keys import generate_key_files

    publics = {party: generate_key_files(tmp_path / party, party)[1] for party in ("ccss", "agency")}
    agreement = load_agreement(_agreement_with_keys(tmp_path, publics))
    app = _tono_app(seeded_url, tmp_path / ("ccss" if role == "provider" else "agency"), agreement, TONO_ROLE=role,
                    TONO_PEER_URL="https://peer.example.org")

    codes = await _status_codes(app, PATHS)
    await app.state.engine.dispose()

    assert {path for path, code in codes.items() if code == 404} == set(not_found)
    assert codes["/protocol/inbox"] == 405  # there, for POST only
    assert app.state.link.deliver.url == "https://peer.example.org/protocol/inbox"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("role", "path"), [("agency", "/provider/requests"), ("agency", "/chat/"),
                                            ("provider", "/agency/tasks")])
async def test_the_other_organisations_pages_asked_of_this_server_say_where_they_are(seeded_url, tmp_path, role,
                                                                                     path):
    from protocol.agreement import load_agreement
    from tono.keys import generate_key_files

    publics = {party: generate_key_files(tmp_path / party, party)[1] for party in ("ccss", "agency")}
    agreement = load_agreement(_agreement_with_keys(tmp_path, publics))
    app = _tono_app(seeded_url, tmp_path / ("ccss" if role == "provider" else "agency"), agreement, TONO_ROLE=role,
                    TONO_PEER_URL="https://peer.example.org")
    other = agreement.agency if role == "provider" else agreement.provider

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tono.test") as client:
        answer = await client.get(path)
    await app.state.engine.dispose()

    assert answer.status_code == 404
    assert f"This server runs as the {role} only (TONO_ROLE={role})" in answer.text
    assert f"these pages are on {other.names.en.short}" in answer.text.replace("&#x27;", "'")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_both_organisations_in_one_process_take_no_messages_from_outside(seeded_url, tmp_path):
    from protocol.agreement import load_agreement

    app = _tono_app(seeded_url, tmp_path / "keys", load_agreement())

    codes = await _status_codes(app, PATHS)
    await app.state.engine.dispose()

    assert {path for path, code in codes.items() if code == 404} == {"/protocol/inbox"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("role", "theirs", "not_theirs"), [("provider", "Family", "Officer"),
                                                            ("agency", "Officer", "Family")])
def test_each_organisations_demo_holds_only_its_own_people(database_url, role, theirs, not_theirs):
    import agency.models
    import bot.models
    from protocol.agreement import load_agreement
    from tono import migrate
    from tono.demo import seed_demo
    from tono.settings import load_settings

    migrate.upgrade(database_url)
    settings = load_settings(TONO_DATABASE_URL=database_url, TONO_ROLE=role, TONO_PEER_URL="https://peer.example.org")
    logins = asyncio.run(seed_demo(settings, load_agreement()))
    models = {"Family": bot.models.Family, "Officer": agency.models.Officer}
    organisation = Organisation(role, Path("."), 0, {"TONO_DATABASE_URL": database_url})

    async def count(model):
        return await _scalar(organisation, select(func.count()).select_from(model))

    assert asyncio.run(count(models[theirs])) > 0
    assert asyncio.run(count(models[not_theirs])) == 0
    assert {desk for desk, *_ in logins} == {f"{role} desk"}


# --- the journey ----------------------------------------------------------------------------------------------


@pytest.mark.slow
async def test_the_journey_completes_exactly_once_across_two_servers_and_a_bad_network(organisations):
    provider, agency, ports = organisations
    to_agency = MeddlingNetwork(agency.url, plan=["hold", "duplicate", "lose_answer", "delay"])
    to_provider = MeddlingNetwork(provider.url, plan=["delay", "hold", "duplicate", "lose_answer", "hold",
                                                      "duplicate", "delay"])
    everyone = [provider, agency]
    networks = [to_agency.app(), to_provider.app()]
    async with serving_all(networks, [_bound(ports["to_agency"]), _bound(ports["to_provider"])]):
        provider.start()
        agency.start()
        await asyncio.gather(provider.wait_until_up(), agency.wait_until_up())
        for ref in ASKING:
            await _family_asks(provider, ref)
        first, second = refs = await _requests_in(provider, "submitted")
        for ref in refs:
            await _staff_step(provider, ref, "approve", identity_checked="id_seen")
        await _staff_step(provider, first, "relay")
        await _until("the first request received", lambda: _all_in(provider, "received", [first]), everyone)
        tasks = await _units_answer(agency)

        # The agency's server dies at once, with answers still in its outbox, and stays down while CCSS relays
        # the second request and keeps trying to deliver it.
        agency.crash()
        await _staff_step(provider, second, "relay")
        await _until("three tries at the stopped agency", lambda: _at_least(to_agency, 3), everyone)
        assert await _requests_in(provider, "relayed") == [second]

        # The agency starts again: its answers leave, the second request arrives, and its units answer it.
        agency.start()
        await _until("the second request received", lambda: _holds(provider, "received", second), everyone)
        tasks += await _units_answer(agency)
        await _until("both requests answered", lambda: _all_in(provider, "answered", refs), everyone)
        await _until("every message delivered", lambda: _nothing_waiting(provider, agency), everyone)
        await to_agency.deliver_held()
        await to_provider.deliver_held()
        await asyncio.sleep(1)  # a late copy would be applied now, if it were ever going to be
        provider.stop()
        agency.stop()
        await to_agency.client.aclose()
        await to_provider.client.aclose()

    assert to_agency.done.keys() >= {"hold", "duplicate", "lose_answer", "delay"}
    assert to_provider.done.keys() >= {"hold", "duplicate", "lose_answer", "delay"}
    assert to_agency.answers["duplicate"] >= 2 and to_provider.answers["duplicate"] >= 3  # copies did arrive
    await _each_step_happened_once_at_the_provider(provider, refs, tasks)
    await _each_step_happened_once_at_the_agency(agency, refs, tasks)
    for organisation in everyone:
        await _queue_is_clean(organisation)


def _bound(port: int):
    from tono.first_hour import bind_port

    return bind_port("127.0.0.1", port)  # as `tono run` binds it


async def _at_least(network: MeddlingNetwork, tries: int) -> bool:
    return network.refused_while_down >= tries


async def _holds(provider: Organisation, state: str, ref: str) -> bool:
    return ref in await _requests_in(provider, state)


async def _all_in(provider: Organisation, state: str, refs: list[str]) -> bool:
    return await _requests_in(provider, state) == refs


async def _nothing_waiting(*organisations: Organisation) -> bool:
    from linkqueue.tables import QUEUE_TABLES

    for organisation in organisations:
        box = QUEUE_TABLES[organisation.role].outbox
        waiting = await _scalar(organisation, select(func.count()).select_from(box).where(box.c.delivered_at.is_(None)))
        if waiting:
            return False
    return True


async def _scalar(organisation: Organisation, query):
    from tono.database import make_engine

    engine = make_engine(organisation.database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()
    finally:
        await engine.dispose()


async def _rows(organisation: Organisation, query) -> list:
    from tono.database import make_engine, make_sessionmaker

    engine = make_engine(organisation.database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return list((await session.exec(query)).all())
    finally:
        await engine.dispose()


async def _each_step_happened_once_at_the_provider(provider: Organisation, refs: list[str], tasks: int) -> None:
    from bot.models import Notification, Request, RequestEvent, StudyPart, UnitAnswer

    requests = await _rows(provider, select(Request).order_by(Request.ref))
    assert [(r.ref, r.state) for r in requests] == [(ref, "answered") for ref in refs]
    answers = await _rows(provider, select(UnitAnswer.request_id, UnitAnswer.unit))
    parts = await _rows(provider, select(StudyPart.request_id, StudyPart.unit, StudyPart.state))
    assert all(state == "answered" for *_, state in parts)  # each study part answered, once (one row per unit)
    assert len(answers) == len(set(answers)) and len(answers) + len(parts) == tasks
    for request in requests:
        events = await _rows(provider, select(RequestEvent.trigger).where(RequestEvent.request_id == request.id))
        units = len(request.units) + sum(1 for request_id, *_ in parts if request_id == request.id)
        assert Counter(events) == {"submit": 1, "approve": 1, "relay": 1, "acknowledge": 1, "opened": units,
                                   "complete": 1}, request.ref
        told = await _rows(provider, select(Notification.text).where(Notification.request_id == request.id))
        assert len(told) == len({repr(t) for t in told}), f"the family was told something twice: {told}"


async def _each_step_happened_once_at_the_agency(agency: Organisation, refs: list[str], tasks: int) -> None:
    from agency.models import AgencyEvent, AgencyRequest, Task

    requests = await _rows(agency, select(AgencyRequest).order_by(AgencyRequest.provider_ref))
    named = [r for r in requests if not r.study_numbered]
    assert [(r.provider_ref, r.state) for r in named] == [(ref, "answered") for ref in refs]
    assert all(r.state == "answered" for r in requests)  # the study parts too, each a request of its own
    assert await _scalar(agency, select(func.count()).select_from(Task).where(Task.state == "answered")) == tasks
    for request in requests:
        events = await _rows(agency, select(AgencyEvent.trigger).where(AgencyEvent.request_id == request.id))
        assert Counter(events)["acknowledge"] == 1, request.provider_ref


async def _queue_is_clean(organisation: Organisation) -> None:
    from linkqueue.tables import QUEUE_TABLES
    from tono.settings import load_settings
    from tono.verify import broken_chains

    tables = QUEUE_TABLES[organisation.role]
    assert await _scalar(organisation, select(func.count()).select_from(tables.dead_letter)) == 0
    assert await _scalar(organisation, select(func.count()).select_from(tables.outbox).where(
        tables.outbox.c.delivered_at.is_(None))) == 0
    assert await _scalar(organisation, select(func.count()).select_from(tables.inbox).where(
        tables.inbox.c.applied_at.is_(None))) == 0
    settings = load_settings(**{k: v for k, v in organisation.env.items() if k.startswith("TONO_")})
    _checked, problems = await broken_chains(settings)
    assert problems == []
