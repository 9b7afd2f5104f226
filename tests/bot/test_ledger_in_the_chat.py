""""Where has my information gone?" answered from the provider's ledger in the database: each person's own
sendings and their children's, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot.models import Person
from bot.people.enrolment import issue_code
from bot.reports.tables import LedgerEntry, Report
from protocol.agreement import load_agreement

AGREEMENT = load_agreement()


async def _sent(sessions, person_ref: str, flow_id: str, when: datetime, period: str) -> None:
    flow = AGREEMENT.flow(flow_id)
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        report = (await session.exec(select(Report).where(Report.ref == f"RPT-{flow_id}-{period}"))).first()
        if report is None:
            report = Report(ref=f"RPT-{flow_id}-{period}", flow=flow_id, unit=flow.to_unit, period=period,
                            due_on=date(2026, 12, 14), named=flow.identifiable, state="sent",
                            agreement_version=AGREEMENT.version, sent_at=when)
            session.add(report)
            await session.flush()
        session.add(LedgerEntry(person_id=person.id, report_id=report.id, flow=flow_id, unit=flow.to_unit,
                                fields=flow.fields, rows=1, named=flow.identifiable,
                                agreement_version=AGREEMENT.version, approved_role="staff", sent_at=when))


async def _ask(new_chat, sessions, person_ref: str):
    async with sessions.begin() as session:
        person = (await session.exec(select(Person).where(Person.ref == person_ref))).one()
        code = await issue_code(session, person)
    chat = new_chat()
    await chat.command("start", code)
    await chat.press("Not now")
    await chat.press("My information")
    await chat.press("Where has my information gone?")
    return chat.all_text


async def test_a_parent_reads_their_own_and_their_child_s_sendings_from_the_ledger(new_chat, sessions):
    await _sent(sessions, "P-0001", "attendance", datetime(2026, 12, 3, 22, tzinfo=UTC), "2026-11")
    await _sent(sessions, "P-0003", "enrolment", datetime(2026, 11, 2, 1, tzinfo=UTC), "2026-10")
    await _sent(sessions, "P-0004", "enrolment", datetime(2026, 11, 2, 1, tzinfo=UTC), "2026-10")

    text = await _ask(new_chat, sessions, "P-0001")

    assert "Where your information has gone" in text
    assert "4 December 2026" in text  # sent at 22:00 UTC on the 3rd: the 4th in New Zealand
    assert AGREEMENT.text(AGREEMENT.flow("attendance").what, "en", "adult") in text
    assert "Where Mere's information has gone" in text  # Aroha may act for Mere (P-0003)
    assert "Grace" not in text  # P-0004 is another family's


async def test_a_person_with_nothing_sent_is_told_so(new_chat, sessions):
    async with sessions.begin() as session:  # someone who joined after the demo's reports went
        family = (await session.exec(select(Person.family_id).where(Person.ref == "P-0006"))).one()
        session.add(Person(ref="P-9001", participant_id="BFF-P-9001", family_id=family, given_name="Losa",
                           family_name="Tanielu"))

    text = await _ask(new_chat, sessions, "P-9001")

    assert "CCSS has not sent any information about you to the Ministry yet." in text
