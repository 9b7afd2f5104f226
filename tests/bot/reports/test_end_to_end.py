"""A report's whole journey in one process, on the real queue: prepared and approved at the provider, its signed
parts applied by the unit the flow names, and the unit's receipt marking it received at the provider."""

from __future__ import annotations

from sqlmodel import select

from agency.models import AgencyRecord, AgencyReport
from bot.reports.approving import approve
from bot.reports.preparing import prepare
from bot.reports.tables import Report
from tests.bot.reports.reports_support import KEY, TODAY, add_people, add_records, attendance, consent
from tono.agreement_setup import set_up_units
from tono.link import Link


async def test_an_approved_report_reaches_its_unit_and_comes_back_received(sessions, agreement, tmp_path):
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: TODAY)
    async with sessions.begin() as session:
        await set_up_units(session, agreement)
        people = await add_people(session, 30)
        await add_records(session, "attendance", [attendance(p, f"2026-11-{d:02d}") for p in people for d in (2, 9)])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=link.provider, today=TODAY)

    await link.settle()

    async with sessions() as session:
        report = (await session.exec(select(Report))).one()
        received = (await session.exec(select(AgencyReport))).one()
        records = list((await session.exec(select(AgencyRecord))).all())
    assert (report.state, report.received_on) == ("received", TODAY)
    assert (received.ref, received.unit_id, received.rows) == ("RPT-attendance-2026-11", "service-reporting", 60)
    assert len(records) == 60 and {r.unit_id for r in records} == {"service-reporting"}


async def test_an_unnamed_report_reaches_the_evaluators_under_study_numbers_only(sessions, agreement, tmp_path):
    link = Link(sessions, agreement, tmp_path / "keys", today=lambda: TODAY)
    async with sessions.begin() as session:
        await set_up_units(session, agreement)
        people = await add_people(session, 6)
        await consent(session, agreement, people)
        await add_records(session, "questionnaire", [
            (p, {"stage": "start", "taken_on": "2026-11-05", "routines": 3, "behaviour": 4, "support": 2,
                 "suburb": "Newtown", "age_group": "25 to 34", "ethnicity": "Māori"}, "start") for p in people])
        await prepare(session, agreement, "survey-answers", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-survey-answers-2026-11", login="kaimahi", outbox=link.provider,
                      today=TODAY)

    await link.settle()

    async with sessions() as session:
        report = (await session.exec(select(Report))).one()
        records = list((await session.exec(select(AgencyRecord))).all())
    assert report.state == "received"
    assert len(records) == 6 and {r.unit_id for r in records} == {"evaluation"}
    assert all(r.participant_id.startswith("S-") and r.study_numbered for r in records)
