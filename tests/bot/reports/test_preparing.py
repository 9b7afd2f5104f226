"""Preparing a flow's report for a period: only the flow's rows, people and fields, exactly as they would go,
with the checks staff read before approving; nothing is sent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from bot.reports.preparing import ReportProblem, prepare
from bot.reports.tables import Report, ReportRow
from tests.bot.reports.reports_support import KEY, add_people, add_records, attendance, consent, outbox_messages


async def test_a_months_attendance_is_prepared_with_only_its_rows_and_the_flows_fields(sessions, agreement):
    async with sessions.begin() as session:
        people = await add_people(session, 3)
        await add_records(session, "attendance", [attendance(p, "2026-11-03") for p in people]
                          + [attendance(people[0], "2026-11-17", "home visit"), attendance(people[1], "2026-12-01")])

    async with sessions.begin() as session:
        report = await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
    async with sessions() as session:
        rows = list((await session.exec(select(ReportRow).order_by(ReportRow.id))).all())

    assert (report.ref, report.state, report.unit, report.named) == ("RPT-attendance-2026-11", "prepared",
                                                                    "service-reporting", True)
    assert (report.people, report.rows, report.due_on) == (3, 4, date(2026, 12, 14))
    assert report.fields == ["session_date", "session", "attended"]
    assert [row.subject for row in rows] == ["BFF-P-1001", "BFF-P-1001", "BFF-P-1002", "BFF-P-1003"]  # by person
    assert rows[1].values == ["2026-11-17", "home visit", "yes"]
    assert all(check["passed"] for check in report.checks), report.checks
    assert [c["check"] for c in report.checks] == [
        "Every field is one the flow allows", "The unit and purpose match the flow",
        "The agreement version is the one in force", "Every person included meets the flow's condition"]


async def test_preparing_again_before_approval_rebuilds_the_same_report(sessions, agreement, outbox):
    async with sessions.begin() as session:
        people = await add_people(session, 2)
        await add_records(session, "attendance", [attendance(people[0], "2026-11-03")])
    async with sessions.begin() as session:
        first = await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
    async with sessions.begin() as session:
        await add_records(session, "attendance", [attendance(people[1], "2026-11-04")])

    async with sessions.begin() as session:
        again = await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
    async with sessions() as session:
        reports = (await session.exec(select(func.count()).select_from(Report))).one()
        rows = (await session.exec(select(func.count()).select_from(ReportRow))).one()

    assert (again.id, again.ref, again.rows) == (first.id, "RPT-attendance-2026-11", 2)
    assert (reports, rows) == (1, 2)
    assert await outbox_messages(sessions) == []  # preparing never sends


async def test_a_flow_with_no_rows_in_the_period_says_so_and_prepares_nothing(sessions, agreement):
    async with sessions.begin() as session:
        people = await add_people(session, 1)
        await add_records(session, "attendance", [attendance(people[0], "2026-10-03")])

    with pytest.raises(ReportProblem, match="no rows dated in 2026-11") as refused:
        async with sessions.begin() as session:
            await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
    async with sessions() as session:
        reports = (await session.exec(select(func.count()).select_from(Report))).one()

    assert reports == 0 and str(refused.value).endswith("nothing to prepare.")


@pytest.mark.parametrize(("flow", "period", "sentence"), [
    ("atendance", "2026-11", "There is no flow 'atendance'; the flows are enrolment, attendance"),
    ("attendance", "2026-13", "'2026-13' is not a period: write a calendar month as YYYY-MM"),
])
async def test_an_unknown_flow_or_a_bad_period_is_one_sentence(sessions, agreement, flow, period, sentence):
    with pytest.raises(ReportProblem) as refused:
        async with sessions.begin() as session:
            await prepare(session, agreement, flow, period, KEY, prepared_by="kaimahi")

    assert str(refused.value).startswith(sentence)


async def test_survey_answers_carry_study_numbers_only_of_people_who_consented(sessions, agreement):
    async with sessions.begin() as session:
        people = await add_people(session, 9)
        await consent(session, agreement, people[:7])
        await consent(session, agreement, [people[6]], given=False, on=date(2026, 11, 20))  # withdrawn since
        await add_records(session, "questionnaire", [
            (p, {"stage": "start", "taken_on": "2026-11-05", "routines": 3, "behaviour": 4, "support": 2,
                 "suburb": "Newtown" if i < 5 else "Cannons Creek", "age_group": "25 to 34",
                 "ethnicity": "Māori"}, "start") for i, p in enumerate(people)])

    async with sessions.begin() as session:
        report = await prepare(session, agreement, "survey-answers", "2026-11", KEY, prepared_by="kaimahi")
    async with sessions() as session:
        rows = list((await session.exec(select(ReportRow).order_by(ReportRow.id))).all())

    assert report.named is False and report.due_on == date(2026, 11, 19)
    assert [row.person_id for row in rows] == people[:6]  # the seventh withdrew, the last two never consented
    assert all(row.subject.startswith("S-") and len(row.subject) == 18 for row in rows)
    assert [row.held_back for row in rows] == [False] * 5 + [True]
    assert rows[0].values == ["start", 3, 4, 2, "Newtown", "25 to 34", "Māori"]
    assert report.small_groups["said"] == [
        "1 row held back: their group (Cannons Creek, 25 to 34, Māori) had 1 person, fewer than 5."]
    assert (report.rows, report.people) == (5, 5)
    assert report.checks[-1]["check"] == "No group smaller than 5 people can be singled out"
    assert all(check["passed"] for check in report.checks), report.checks
