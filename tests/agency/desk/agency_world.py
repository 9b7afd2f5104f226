"""The situation the agency desk tests start from: a family's request made in the chat, approved and
relayed by CCSS staff, received by the agency and fanned out to its two units; and officers' browsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select

from agency.desk import install_agency_desk
from agency.models import AgencyRecord, AgencyReport, AgencyRequest, Officer, Task
from agency.own_records import OwnRecord, add_own_records
from bot.chat.conversation import Conversations
from bot.models import Request
from bot.reports import study_numbers
from bot.reports.approving import approve
from bot.reports.preparing import DECIDED, prepare, report_ref
from bot.reports.tables import Report
from bot.requests import staff
from protocol.agreement import Agreement, load_agreement
from tests.bot.chat_driver import TODAY, FamilyChat
from tests.bot.family_asks import family_asks as asks_in_chat
from tests.deskkit.desk_app import csrf_in
from tono import demo_programme
from tono.database import make_engine, make_sessionmaker
from tono.keys import study_number_key
from tono.link import Link
from tono.settings import load_settings

SECRET = "x" * 48
HTML = {"Accept": "text/html,application/xhtml+xml"}
EVALUATION = ("officer-evaluation", "demo-evaluation-2026")
REPORTING = ("officer-service-reporting", "demo-service-reporting-2026")


@dataclass
class World:
    """An app with the agency desk, and the services around it (app.state of tono.app, or made here)."""

    app: FastAPI
    sessions: async_sessionmaker
    link: Link
    conversations: Conversations
    agreement: Agreement
    engine: AsyncEngine

    @classmethod
    def of(cls, app: FastAPI) -> World:
        state = app.state
        return cls(app, state.sessions, state.link, state.conversations, state.agreement, state.engine)


def tono_app(seeded_url: str, tmp_path: Path) -> World:
    """The whole of Tono, as `tono run` serves it (without its background loops)."""
    from tono.app import create_app

    settings = load_settings(TONO_DATABASE_URL=seeded_url, TONO_KEYS_DIR=str(tmp_path / "keys"), TONO_SECRET_KEY=SECRET)
    return World.of(create_app(settings, load_agreement(), run_loops=False))


def agency_app(seeded_url: str, tmp_path: Path, received: date = TODAY, desk_today: date | None = None) -> World:
    """Only the agency desk, on its own app, with the agency receiving requests on `received` and the desk's
    today fixed (e.g. long after the due date)."""
    engine = make_engine(seeded_url)
    sessions = make_sessionmaker(engine)
    agreement = load_agreement()
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: received)
    conversations = Conversations(sessions, agreement, today=lambda: received, outbox=link.provider)
    app = FastAPI()
    install_agency_desk(app, sessions=sessions, agreement=agreement, outbox=link.agency, secret=SECRET,
                        secure_cookies=False, today=lambda: desk_today or received)
    return World(app, sessions, link, conversations, agreement, engine)


async def family_asks(world: World, kind: str = "access", person: str = "P-0001", key: str = "aroha") -> FamilyChat:
    """A parent asks in the chat what the agency holds about them (or asks for a correction)."""
    return await asks_in_chat(world.conversations, world.sessions, kind=kind, person=person, key=key)


async def staff_relay(world: World, today: date = TODAY, *, study_parts: bool = False) -> None:
    """Staff approve and relay every submitted request; the link carries them to the agency and back. With
    `study_parts`, as the desk relays: the named request and a study part to each unit holding the person's data
    under a study number (bot.reports.study_numbers); without, the named request alone, for the tests of the named
    part (tests/tono/test_study_parts.py tests the parts)."""
    async with world.sessions.begin() as session:
        for request in await session.exec(select(Request).where(Request.state == "submitted")):
            await staff.approve(session, request, "kaimahi", "known_in_person")
            if study_parts:
                await study_numbers.relay(session, request, world.link.provider, world.agreement, "kaimahi", today)
            else:
                await staff.relay(session, request, world.link.provider, world.agreement, "kaimahi", today)
    await world.link.settle()


# A record of the evaluation unit's own about Aroha (from its own systems, not from a report), so that the unit
# holds two named records about her: the demo's reports bring it only her consent form (her survey answers are
# held under a study number, never shown for a named request).
EVALUATORS_NOTE = OwnRecord("BFF-P-1001", "Evaluator interview notes",
                            "Aroha spoke with the evaluator about bedtime at home; notes kept in confidence.",
                            date(2026, 10, 21))


async def unit_adds_own_record(world: World, unit: str, record: OwnRecord = EVALUATORS_NOTE) -> None:
    """The unit adds a record from its own systems, as its desk upload or API would (agency/own_records.py)."""
    async with world.sessions.begin() as session:
        await add_own_records(session, unit, [record])


async def outcomes_are_sent(sessions: async_sessionmaker, link: Link, agreement: Agreement, keys_dir: Path,
                            today: date = TODAY) -> None:
    """The provider's staff send the outcomes report of the month the demo's families finished (prepared,
    approved, signed onto the queue, carried to the agency), so the service reporting unit holds their family
    plans. Aroha's plan says her sister shared details of her own situation: a real record to withhold on the
    ground of another person's affairs. `tono seed-demo` sends it only once it is due; if it has, nothing more
    is sent."""
    period = demo_programme.FINISHED_ON.strftime("%Y-%m")
    async with sessions.begin() as session:
        sent = (await session.exec(select(Report).where(Report.ref == report_ref("outcomes", period)))).first()
        if sent is None or sent.state not in DECIDED:
            key = study_number_key(agreement, keys_dir)
            report = await prepare(session, agreement, "outcomes", period, key, prepared_by="kaimahi")
            await approve(session, agreement, report.ref, login="kaimahi", outbox=link.provider, today=today)
    await link.settle()


def family_plan(records: list[AgencyRecord]) -> AgencyRecord:
    """Aroha's family plan among a unit's records about her: the one that tells of her sister's own situation."""
    [plan] = [r for r in records if r.title.startswith("Family plan:") and "her sister" in r.body]
    return plan


@dataclass
class Found:
    tasks: dict[str, Task]  # by unit
    request: AgencyRequest
    records: dict[str, list[AgencyRecord]]  # by unit: that unit's records about the request's person
    officers: dict[str, Officer]
    reports: dict[str, list[str]] = field(default_factory=dict)  # by unit: the refs of the reports it received


async def what_the_agency_has(world: World, provider_ref: str | None = None) -> Found:
    async with world.sessions() as session:
        # The named request (a study part, relayed beside it, is a request of its own with only a study number).
        query = select(AgencyRequest).where(AgencyRequest.study_numbered.is_(False)).order_by(AgencyRequest.id.desc())
        if provider_ref:
            query = query.where(AgencyRequest.provider_ref == provider_ref)
        request = (await session.exec(query)).first()
        tasks = {t.unit_id: t for t in await session.exec(select(Task).where(Task.request_id == request.id))}
        records = {unit: list(await session.exec(select(AgencyRecord).where(
            AgencyRecord.unit_id == unit, AgencyRecord.participant_id == request.participant_id)
            .order_by(AgencyRecord.record_date, AgencyRecord.id))) for unit in tasks}
        # Each unit's demo officer (the evaluation unit's is its lead; the demo's evaluator answers study parts).
        demo_officers = select(Officer).where(Officer.login.startswith("officer-"))
        officers = {o.unit_id: o for o in await session.exec(demo_officers)}
        reports: dict[str, list[str]] = {}
        for report in await session.exec(select(AgencyReport).order_by(AgencyReport.ref)):
            reports.setdefault(report.unit_id, []).append(report.ref)
    return Found(tasks, request, records, officers, reports)


def browser(app: FastAPI) -> httpx.AsyncClient:
    """A browser: keeps cookies (by path), does not follow redirects."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.20", 50000)),
                             base_url="http://tono.test")


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> str:
    """Sign in through the login form, as a person would; returns the session's CSRF token."""
    page = await client.get("/agency/login", headers=HTML)
    signed_in = await client.post("/agency/login", headers=HTML,
                                  data={"login": login, "password": password, "csrf": csrf_in(page)})
    assert signed_in.status_code == 303, signed_in.text
    return csrf_in(await client.get("/agency/", headers=HTML))


async def officer_browser(app: FastAPI, who: tuple[str, str]) -> tuple[httpx.AsyncClient, str]:
    client = browser(app)
    return client, await sign_in(client, *who)


async def post_form(client: httpx.AsyncClient, path: str, csrf: str, **data) -> httpx.Response:
    return await client.post(path, headers=HTML, data={"csrf": csrf, **data})


async def more_tasks(world: World, unit: str, dues: list[date], state: str = "open") -> list[int]:
    """Requests received earlier by the agency, one task each in `state` (arranged directly: only the queue
    is under test where this is used); the tasks' ids, in the order of `dues`."""
    made = []
    async with world.sessions.begin() as session:
        for n, due in enumerate(dues):
            request = AgencyRequest(provider="ccss", provider_ref=f"OLD-{unit[:4]}-{state[:4]}-{n}", kind="access",
                                    participant_id="BFF-P-1004", state="received", received_on=due - timedelta(28),
                                    due_on=due, relayed={"subject": {"given_name": "Grace", "family_name": "Smith"}})
            session.add(request)
            await session.flush()
            task = Task(request_id=request.id, unit_id=unit, due_on=due, state=state)
            session.add(task)
            await session.flush()
            made.append(task.id)
    return made
