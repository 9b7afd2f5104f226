"""Approving sends a report as signed parts to the one unit its flow names, and writes the ledger; holding back
sends nothing; nothing is ever sent without approval; the unit's receipt marks the report received."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from bot.reports.approving import approve, hold_back
from bot.reports.preparing import ReportProblem, prepare
from bot.reports.receipts import apply_report_message
from bot.reports.tables import LedgerEntry, Report
from protocol.agreement import Agreement
from protocol.messages import REPORT_ROWS, new_message
from tests.bot.reports.reports_support import KEY, TODAY, add_people, add_records, attendance, outbox_messages


async def _november_attendance(sessions, agreement, people: int, sessions_each: int) -> list[int]:
    async with sessions.begin() as session:
        ids = await add_people(session, people)
        await add_records(session, "attendance", [attendance(p, f"2026-11-{day:02d}")
                                                  for p in ids for day in range(1, sessions_each + 1)])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
    return ids


async def test_an_approved_report_goes_in_signed_parts_in_order_to_its_one_unit(sessions, agreement, outbox, keys):
    people = await _november_attendance(sessions, agreement, people=100, sessions_each=25)  # 2,500 rows

    async with sessions.begin() as session:
        sent = await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox,
                             today=TODAY)
    messages = await outbox_messages(sessions, keys[0])  # each signature checked

    assert (sent.parts, sent.rows, sent.people) == (3, 2500, 100)
    assert [m.body["part"] for m in messages] == [1, 2, 3] and [m.sequence for m in messages] == [1, 2, 3]
    assert [len(m.body["rows"]) for m in messages] == [REPORT_ROWS, REPORT_ROWS, 500]
    assert {(m.type, m.recipient, m.request, m.body["unit"], m.body["parts"]) for m in messages} == {
        ("report.part", agreement.agency.id, "RPT-attendance-2026-11", "service-reporting", 3)}
    assert messages[0].body["fields"] == ["session_date", "session", "attended"]
    assert messages[0].body["rows"][0][0] == "BFF-P-1001" and messages[0].body["rows"][0][2:] == [
        "2026-11-01", "group session", "yes"]
    assert messages[0].body["agreement"] == agreement.version
    async with sessions() as session:
        report = (await session.exec(select(Report))).one()
        ledger = list((await session.exec(select(LedgerEntry).order_by(LedgerEntry.person_id))).all())
    assert (report.state, report.decided_by, report.decided_role, report.parts) == ("sent", "kaimahi", "staff", 3)
    assert [entry.person_id for entry in ledger] == people
    assert {(e.flow, e.unit, tuple(e.fields), e.rows, e.named, e.agreement_version, e.approved_role, e.correction)
            for e in ledger} == {("attendance", "service-reporting", ("session_date", "session", "attended"), 25,
                                  True, agreement.version, "staff", False)}


async def test_nothing_is_sent_before_approval_and_a_held_back_report_sends_nothing(sessions, agreement, outbox):
    await _november_attendance(sessions, agreement, people=2, sessions_each=2)
    before = await outbox_messages(sessions)

    async with sessions.begin() as session:
        held = await hold_back(session, "RPT-attendance-2026-11", login="kaimahi",
                               reason="Two sessions are missing from the register.")
    with pytest.raises(ReportProblem, match="is held back, not waiting for a decision"):
        async with sessions.begin() as session:
            await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)

    assert before == [] and await outbox_messages(sessions) == []
    assert (held.state, held.held_back_reason) == ("held_back", "Two sessions are missing from the register.")
    async with sessions() as session:
        assert (await session.exec(select(LedgerEntry))).all() == []


async def test_holding_back_needs_a_reason(sessions, agreement):
    await _november_attendance(sessions, agreement, people=1, sessions_each=1)

    with pytest.raises(ReportProblem, match="Say why the report is held back"):
        async with sessions.begin() as session:
            await hold_back(session, "RPT-attendance-2026-11", login="kaimahi", reason="  ")


async def test_a_report_prepared_under_another_agreement_is_refused(sessions, agreement, outbox):
    await _november_attendance(sessions, agreement, people=1, sessions_each=1)
    data = agreement.model_dump(mode="json", by_alias=True)
    data["service_levels"]["reminder_before_due_working_days"] += 1
    changed = Agreement.model_validate(data)

    with pytest.raises(ReportProblem, match="The agreement has changed since RPT-attendance-2026-11 was prepared"):
        async with sessions.begin() as session:
            await approve(session, changed, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)

    assert await outbox_messages(sessions) == []


async def test_approving_twice_sends_once(sessions, agreement, outbox):
    await _november_attendance(sessions, agreement, people=1, sessions_each=1)
    async with sessions.begin() as session:
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)

    with pytest.raises(ReportProblem, match="is sent, not waiting for a decision"):
        async with sessions.begin() as session:
            await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
    with pytest.raises(ReportProblem, match="already approved and sent"):
        async with sessions.begin() as session:
            await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")

    assert len(await outbox_messages(sessions)) == 1


async def test_the_units_receipt_marks_the_report_received(sessions, agreement, outbox):
    await _november_attendance(sessions, agreement, people=1, sessions_each=1)
    async with sessions.begin() as session:
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
    receipt = new_message("report.received", agreement.agency.id, agreement.provider.id, "RPT-attendance-2026-11", 1,
                          {"unit": "service-reporting", "rows": 1, "received_on": "2026-12-08"})

    async with sessions.begin() as session:
        await apply_report_message(session, receipt)
    async with sessions() as session:
        report = (await session.exec(select(Report))).one()

    assert (report.state, report.received_on) == ("received", date(2026, 12, 8))


async def test_a_consent_withdrawn_after_preparing_stops_the_approval(sessions, agreement, outbox):
    from tests.bot.reports.reports_support import consent

    async with sessions.begin() as session:
        people = await add_people(session, 5)
        await consent(session, agreement, people)
        await add_records(session, "questionnaire", [
            (p, {"stage": "start", "taken_on": "2026-11-05", "routines": 3, "behaviour": 4, "support": 2,
                 "suburb": "Newtown", "age_group": "25 to 34", "ethnicity": "Māori"}, "start") for p in people])
        await prepare(session, agreement, "survey-answers", "2026-11", KEY, prepared_by="kaimahi")
        await consent(session, agreement, people[:1], given=False, on=date(2026, 12, 1))

    with pytest.raises(ReportProblem, match="every person included meets the flow's condition failed. 1 of the 5 "
                                            "people in it have not consented"):
        async with sessions.begin() as session:
            await approve(session, agreement, "RPT-survey-answers-2026-11", login="kaimahi", outbox=outbox,
                          today=TODAY)

    assert await outbox_messages(sessions) == []
