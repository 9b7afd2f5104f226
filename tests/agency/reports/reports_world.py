"""The agency on its own for the reports tests: a migrated database with the agreement's units, an officer in
each unit (with a role from its seen_by), the agency's intake and its end of the linked queue, and the desk.
Nothing of the demo: every record here came from a report or a unit's own import made in the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select

from agency.desk import install_agency_desk
from agency.intake import Intake
from agency.models import AgencyRecord, AgencyReport, AgencyReportPart, Officer
from deskkit.passwords import hash_password
from linkqueue.tables import QUEUE_TABLES
from protocol.agreement import Agreement, load_agreement
from protocol.messages import Envelope, new_message
from tests.deskkit.desk_app import csrf_in
from tono.agreement_setup import set_up_units
from tono.database import make_engine, make_sessionmaker
from tono.link import Link

TODAY = date(2026, 12, 7)
SECRET = "r" * 48
HTML = {"Accept": "text/html,application/xhtml+xml"}
PASSWORD = "a long officer passphrase"
ATTENDANCE = ["session_date", "session", "attended"]
SURVEY = ["stage", "routines", "behaviour", "support", "suburb", "age_group", "ethnicity"]


@dataclass
class ReportWorld:
    app: FastAPI
    sessions: async_sessionmaker
    engine: AsyncEngine
    agreement: Agreement
    link: Link
    intake: Intake

    async def apply(self, envelope: Envelope) -> None:
        """Apply one message as the agency's queue does: in one transaction, all of it or nothing."""
        async with self.sessions.begin() as session:
            await self.intake(session, envelope)

    async def count(self, model, **where) -> int:
        async with self.sessions() as session:
            query = select(func.count()).select_from(model)
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return (await session.exec(query)).one()

    async def records(self, **where) -> list[AgencyRecord]:
        async with self.sessions() as session:
            query = select(AgencyRecord).order_by(AgencyRecord.row_id, AgencyRecord.id)
            for name, value in where.items():
                query = query.where(getattr(AgencyRecord, name) == value)
            return list(await session.exec(query))

    async def sent(self, type: str) -> list[Envelope]:
        """The agency's messages of this type, as signed and queued for the provider."""
        box = QUEUE_TABLES["agency"].outbox
        async with self.sessions() as session:
            rows = (await session.exec(select(box.c.envelope).where(box.c.type == type)
                                       .order_by(box.c.created_at))).all()
            return [Envelope.from_json(raw) for raw in rows]

    async def nothing_kept(self) -> bool:
        return (await self.count(AgencyRecord), await self.count(AgencyReport),
                await self.count(AgencyReportPart)) == (0, 0, 0)


def officer_login(unit: str, role: str) -> str:
    return f"{role}.{unit}"


async def agency_world(url: str, tmp_path: Path) -> ReportWorld:
    """The agency desk and intake on a migrated database, with one officer per role of each unit."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    agreement = load_agreement()
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: TODAY)
    password_hash = hash_password(PASSWORD)
    async with sessions.begin() as session:
        await set_up_units(session, agreement)
        for unit in agreement.units:
            for role in unit.seen_by:
                session.add(Officer(login=officer_login(unit.id, role.id), display_name=f"{role.id} of {unit.id}",
                                    unit_id=unit.id, role=role.id, password_hash=password_hash))
    app = FastAPI()
    install_agency_desk(app, sessions=sessions, agreement=agreement, outbox=link.agency, secret=SECRET,
                        secure_cookies=False, today=lambda: TODAY)
    return ReportWorld(app, sessions, engine, agreement, link, link.intake)


def report_part(terms: Agreement, ref: str, rows: list[list], *, flow: str = "attendance", part: int = 1,
                parts: int = 1, sequence: int | None = None, period: str = "2026-11", **changed) -> Envelope:
    """A report.part as the provider sends it (unsigned: the intake is called directly), with `changed` keys of
    the body put in place of what the flow says (unit, fields, named, agreement, corrects, corrected_on)."""
    the_flow = next((each for each in terms.flows if each.id == flow), terms.flow("attendance"))  # or one made up
    body = {"flow": flow, "unit": the_flow.to_unit, "period": period, "agreement": terms.version,
            "named": the_flow.identifiable, "part": part, "parts": parts, "fields": list(the_flow.fields),
            "rows": rows, **changed}
    return new_message("report.part", terms.provider.id, terms.agency.id, ref, sequence or part, body)


def attendance_rows(count: int, *, first: int = 0, came: str = "yes", person: str = "BFF-P-{n:04d}") -> list[list]:
    """`count` attendance rows, one person each: [participant id, row id, date, session, came]."""
    return [[person.format(n=n), f"att-{n}", f"2026-11-{1 + n % 28:02d}", "group session", came]
            for n in range(first, first + count)]


def relayed_request(agreement: Agreement, ref: str, participant_id: str, given_name: str = "Aroha",
                    family_name: str = "Ngata") -> Envelope:
    """A family's access request as the provider relays it, naming the person."""
    return new_message("request.relayed", agreement.provider.id, agreement.agency.id, ref, 1, {
        "kind": "access", "subject": {"participant_id": participant_id, "given_name": given_name,
                                      "family_name": family_name, "date_of_birth": "1990-04-02"},
        "requester": {"participant_id": participant_id, "relationship": "self"}, "scope": "all_in_scope",
        "form": "copy", "urgent": False, "identity_checked": "known_in_person", "relayed_on": TODAY.isoformat()})


def browser(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("192.0.2.30", 50000)),
                             base_url="http://tono.test")


async def signed_in(app: FastAPI, login: str) -> tuple[httpx.AsyncClient, str]:
    """An officer's browser, signed in through the login form; and the session's CSRF token."""
    client = browser(app)
    page = await client.get("/agency/login", headers=HTML)
    done = await client.post("/agency/login", headers=HTML,
                             data={"login": login, "password": PASSWORD, "csrf": csrf_in(page)})
    assert done.status_code == 303, done.text
    return client, csrf_in(await client.get("/agency/", headers=HTML))
