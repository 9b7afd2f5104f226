"""[reporting] end to end, on SQLite and PostgreSQL: a month's attendance imported from a CSV falls due, staff
preview and approve it on the desk, its signed parts reach the one unit the flow names, the unit's records
hold it, a family's access request is answered from those records, and the family reads the sending under
"Where has my information gone?". Then the same report between two organisations over HTTP."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select

from agency import answering
from agency.models import AgencyRecord, AgencyReport, AgencyRequest, Officer, Task
from bot.models import UnitAnswer
from bot.records.importing import import_rows
from bot.reports.approving import approve
from bot.reports.overview import due_reports
from bot.reports.preparing import prepare
from bot.reports.tables import LedgerEntry, Report
from protocol.agreement import Agreement, load_agreement
from tests.agency.desk.agency_world import family_asks, staff_relay, tono_app
from tests.bot.desk.provider_desk_support import HTML, client_for, csrf_in, sign_in
from tests.conftest import _postgres_url, _throwaway_postgres
from tests.linkqueue.servers import _loopback_socket, inbox_app, serving_all
from tests.tono.test_startup import _agreement_with_keys
from tono import migrate
from tono.agreement_setup import set_up_units
from tono.database import make_engine, make_sessionmaker
from tono.keys import generate_key_files
from tono.link import PeerLink

REPORTING_DAY = date(2027, 2, 22)  # a Monday; January's attendance was due by 15 February (Waitangi Day moved)
REF = "RPT-attendance-2027-01"
CSV = ("\ufeffperson,session_date,session,attended\n"  # a spreadsheet's byte-order mark, as Excel writes it
       "P-0001,2027-01-19,group session,yes\nP-0001,2027-01-26,home visit,yes\n"
       "P-0004,2027-01-19,group session,no\nP-0004,2027-01-26,home visit,yes\n"
       "P-0006,2027-01-19,group session,yes\nP-0006,2027-01-26,home visit,yes\n")


@pytest.fixture
async def world(seeded_url, tmp_path):
    made = tono_app(seeded_url, tmp_path)
    yield made
    await made.engine.dispose()


async def test_a_months_attendance_goes_from_a_csv_to_its_unit_and_the_family_is_answered_from_it(world):
    async with world.sessions.begin() as session:
        imported = await import_rows(session, world.agreement, "attendance", CSV.encode())
    assert (imported.problems, imported.added) == ([], 6)

    async with world.sessions() as session:
        due = [d for d in await due_reports(session, world.agreement, REPORTING_DAY)
               if (d.flow.id, d.due.period) == ("attendance", "2027-01")]
    assert [(d.due.due_on, d.due.standing) for d in due] == [(date(2027, 2, 15), "overdue")]

    desk = client_for(world.app)
    csrf = await sign_in(desk)
    prepared = await desk.post("/provider/reports/prepare", headers=HTML,
                               data={"csrf": csrf, "flow": "attendance", "period": "2027-01"})
    assert prepared.status_code == 303
    preview = await desk.get(f"/provider/reports/{REF}", headers=HTML)
    assert "Service delivery reporting team" in preview.text and "BFF-P-1001" in preview.text
    assert all(label in preview.text for label in ("Date", "Session", "Came"))
    assert world.agreement.version[:12] in preview.text
    async with world.sessions() as session:
        report = (await session.exec(select(Report).where(Report.ref == REF))).one()
    assert (report.state, report.people, report.rows) == ("prepared", 3, 6)  # nothing leaves before approval

    approved = await desk.post(f"/provider/reports/{REF}/approve", headers=HTML,
                               data={"csrf": csrf_in(await desk.get(f"/provider/reports/{REF}", headers=HTML))})
    assert approved.status_code == 303
    await world.link.settle()

    async with world.sessions() as session:
        report = (await session.exec(select(Report).where(Report.ref == REF))).one()
        received = (await session.exec(select(AgencyReport).where(AgencyReport.ref == REF))).one()
        records = list(await session.exec(select(AgencyRecord).where(AgencyRecord.report_id == received.id)))
        ledger = list(await session.exec(select(LedgerEntry).where(LedgerEntry.report_id == report.id)))
    assert report.state == "received"
    assert (received.unit_id, received.rows, received.agreement_version) == ("service-reporting", 6,
                                                                             world.agreement.version)
    assert sorted({r.participant_id for r in records}) == ["BFF-P-1001", "BFF-P-1004", "BFF-P-1006"]
    assert {r.unit_id for r in records} == {"service-reporting"} and len(ledger) == 3

    chat = await family_asks(world, person="P-0001", key="aroha-2027")
    await staff_relay(world)
    async with world.sessions.begin() as session:
        agency_request = (await session.exec(select(AgencyRequest))).one()
        task = (await session.exec(select(Task).where(Task.request_id == agency_request.id,
                                                      Task.unit_id == "service-reporting"))).one()
        officer = (await session.exec(select(Officer).where(Officer.unit_id == "service-reporting"))).one()
        await answering.claim(session, task, officer)
        from_the_report = [r for r in await answering.unit_records(session, task, agency_request)
                           if r.report_id == received.id]
        await answering.answer(session, task, officer, answering.Answer(release=[r.id for r in from_the_report]),
                               world.link.agency, REPORTING_DAY)
    await world.link.settle()

    async with world.sessions() as session:
        answer = (await session.exec(select(UnitAnswer).where(UnitAnswer.unit == "service-reporting"))).one()
    released = answer.body["released"]
    assert len(released) == 2 and all("2027-01" in item["record_date"] for item in released)
    assert any("home visit" in item["title"] or "home visit" in item["text"] for item in released)

    await chat.press("My information")
    await chat.press("Where has my information gone?")
    assert world.agreement.text(world.agreement.flow("attendance").what, "en", "adult") in chat.all_text
    assert "Service delivery reporting team" in chat.all_text


async def test_a_report_between_two_organisations_over_http_arrives_once_and_comes_back_received(two_organisations):
    provider, agency = two_organisations
    async with provider.sessions.begin() as session:
        imported = await import_rows(session, provider.agreement, "attendance", CSV.encode())
        assert imported.problems == []
        await prepare(session, provider.agreement, "attendance", "2027-01", provider.key, prepared_by="kaimahi")
        await approve(session, provider.agreement, REF, login="kaimahi", outbox=provider.link.end,
                      today=REPORTING_DAY)

    await settle_both(provider, agency)

    async with agency.sessions() as session:
        received = (await session.exec(select(AgencyReport).where(AgencyReport.ref == REF))).one()
        records = list(await session.exec(select(AgencyRecord).where(AgencyRecord.report_id == received.id)))
    async with provider.sessions() as session:
        report = (await session.exec(select(Report).where(Report.ref == REF))).one()
    assert (received.rows, len(records), report.state) == (6, 6, "received")


# --- two organisations, each with its own database and key, linked over HTTP on loopback ---------------------


@dataclass
class Organisation:
    sessions: async_sessionmaker
    link: PeerLink
    agreement: Agreement
    key: bytes = bytes(32)  # the provider's study-number key (any 32 bytes will do here)


async def settle_both(*organisations: Organisation) -> None:
    """Step both ends until two rounds in a row move nothing."""
    quiet = 0
    for _ in range(60):
        moved = 0
        for organisation in organisations:
            moved += await organisation.link.step()
        quiet = quiet + 1 if moved == 0 else 0
        if quiet == 2:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the two organisations never went quiet")


@pytest.fixture
def agency_database(backend, tmp_path):
    """The agency's own database, apart from the provider's, migrated."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'agency.db'}"
        migrate.upgrade(url)
        yield url
        return
    with _throwaway_postgres() as name:
        migrate.upgrade(_postgres_url(name))
        yield _postgres_url(name)


@pytest.fixture
async def two_organisations(seeded_url, agency_database, tmp_path):
    keys = {party: generate_key_files(tmp_path / party, party)[1] for party in ("ccss", "agency")}
    agreement = load_agreement(_agreement_with_keys(tmp_path, keys))
    engines = [make_engine(seeded_url), make_engine(agency_database)]
    provider_sessions, agency_sessions = (make_sessionmaker(engine) for engine in engines)
    async with agency_sessions.begin() as session:
        await set_up_units(session, agreement)
    sockets = [_loopback_socket(), _loopback_socket()]
    urls = [f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in sockets]
    provider = Organisation(provider_sessions, PeerLink("provider", provider_sessions, agreement, tmp_path / "ccss",
                                                        urls[1], today=lambda: REPORTING_DAY), agreement)
    agency = Organisation(agency_sessions, PeerLink("agency", agency_sessions, agreement, tmp_path / "agency",
                                                    urls[0], today=lambda: REPORTING_DAY), agreement)
    async with serving_all([inbox_app(provider.link.end), inbox_app(agency.link.end)], sockets):
        yield provider, agency
    for organisation in (provider, agency):
        await organisation.link.aclose()
    for engine in engines:
        await engine.dispose()
