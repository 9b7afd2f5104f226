"""A correction at the provider to data a unit already received goes on to that unit as a correction report:
the same row ids, the new values, naming the report it corrects; approved like any report."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from bot.language.i18n import from_json, say
from bot.models import Authority, ChatLink, Notification
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from bot.reports.approving import approve
from bot.reports.core import run
from bot.reports.corrections import people_in_correction, prepare_corrections
from bot.reports.preparing import prepare
from bot.reports.tables import LedgerEntry
from tests.bot.reports.reports_support import KEY, TODAY, add_people, add_records, attendance, outbox_messages


async def _correct(session, record: ProgrammeRecord, **changes) -> None:
    """As the records room does: new values, a higher revision, and the correction kept."""
    new = record.values | changes
    await run(session, update(ProgrammeRecord.__table__).where(ProgrammeRecord.__table__.c.id == record.id)
              .values(values=new, revision=record.revision + 1))
    session.add(ProgrammeCorrection(record_id=record.id, revision=record.revision + 1, old_values=record.values,
                                    new_values=new, reason="The register was misread.", changed_by="kaimahi"))


async def test_a_corrected_row_goes_to_the_unit_that_had_the_old_value(sessions, agreement, outbox):
    async with sessions.begin() as session:
        people = await add_people(session, 2)
        await add_records(session, "attendance", [attendance(p, "2026-11-03") for p in people])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
    async with sessions.begin() as session:
        record = (await session.exec(select(ProgrammeRecord).where(ProgrammeRecord.person_id == people[1]))).one()
        await _correct(session, record, attended="no")

    async with sessions.begin() as session:
        prepared = await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")
        assert [r.ref for r in prepared] == ["RPT-attendance-2026-11-C1"]
        assert all(check["passed"] for check in prepared[0].checks), prepared[0].checks
        sent = await approve(session, agreement, "RPT-attendance-2026-11-C1", login="kaimahi", outbox=outbox,
                             today=TODAY)
        told = await people_in_correction(session, sent.report)
    original, correction = await outbox_messages(sessions)

    assert correction.request == "RPT-attendance-2026-11-C1"
    assert (correction.body["corrects"], correction.body["corrected_on"]) == ("RPT-attendance-2026-11", "2026-12-07")
    assert correction.body["rows"] == [["BFF-P-1002", original.body["rows"][1][1], "2026-11-03", "group session", "no"]]
    assert sent.corrected_people == told == [people[1]]


async def test_once_a_correction_is_sent_nothing_more_is_prepared(sessions, agreement, outbox):
    async with sessions.begin() as session:
        people = await add_people(session, 1)
        await add_records(session, "attendance", [attendance(people[0], "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
        record = (await session.exec(select(ProgrammeRecord))).one()
        await _correct(session, record, attended="no")
        await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11-C1", login="kaimahi", outbox=outbox, today=TODAY)

    async with sessions.begin() as session:
        again = await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")

    assert again == []
    assert [m.request for m in await outbox_messages(sessions)] == ["RPT-attendance-2026-11",
                                                                    "RPT-attendance-2026-11-C1"]


async def test_a_record_never_sent_needs_no_correction(sessions, agreement):
    async with sessions.begin() as session:
        people = await add_people(session, 1)
        await add_records(session, "attendance", [attendance(people[0], "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")  # not approved
        record = (await session.exec(select(ProgrammeRecord))).one()
        await _correct(session, record, attended="no")

    async with sessions.begin() as session:
        assert await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi") == []


async def test_the_person_and_whoever_may_act_for_them_are_told_in_their_chats_of_a_correction_sent(
        sessions, agreement, outbox):
    async with sessions.begin() as session:
        parent, child, stranger = await add_people(session, 3)
        session.add(Authority(actor_id=parent, subject_id=child, relationship="parent", evidence="seen"))
        chats = ((parent, "mi", "adult"), (child, "en", "child"), (stranger, "en", "adult"))
        session.add_all([ChatLink(channel="web", chat_key=f"chat-{p}", person_id=p, language=lang, audience=reg)
                         for p, lang, reg in chats])
        await add_records(session, "attendance", [attendance(child, "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
        record = (await session.exec(select(ProgrammeRecord))).one()
        await _correct(session, record, attended="no")
        await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11-C1", login="kaimahi", outbox=outbox, today=TODAY)

    async with sessions() as session:
        told = {link.person_id: say(from_json(n.text), link.language, link.audience) for n, link in await session.exec(
            select(Notification, ChatLink).join(ChatLink, ChatLink.id == Notification.chat_link_id))}
    assert set(told) == {parent, child}  # never someone the correction is not about
    assert told[child] == ("CCSS fixed something about you that it sent to The team that counts who comes. It sent "
                           "them the right one. Look under “Where has my information gone?”.")
    assert told[parent].startswith("I whakatikaina e CCSS ngā mōhiohio mō Hine2 i tukuna e ia ki Te rōpū pūrongo "
                                   "whakarato ratonga")


async def test_a_row_recorded_after_its_period_was_reported_goes_as_an_addition_and_nobody_is_told_of_a_correction(
        sessions, agreement, outbox):
    async with sessions.begin() as session:
        early, late = await add_people(session, 2)
        session.add_all([ChatLink(channel="web", chat_key=f"chat-{p}", person_id=p, language="en", audience="adult")
                         for p in (early, late)])
        await add_records(session, "attendance", [attendance(early, "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
    async with sessions.begin() as session:  # the register of 10 November was typed up after the report went
        await add_records(session, "attendance", [attendance(late, "2026-11-10")])

    async with sessions.begin() as session:
        prepared = await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")
        assert [r.ref for r in prepared] == ["RPT-attendance-2026-11-C1"]
        sent = await approve(session, agreement, "RPT-attendance-2026-11-C1", login="kaimahi", outbox=outbox,
                             today=TODAY)
        ledger = {entry.person_id: entry.correction for entry in await session.exec(
            select(LedgerEntry).where(LedgerEntry.report_id == sent.report.id))}
        told = await session.exec(select(Notification))
        assert list(told) == []
    _original, addition = await outbox_messages(sessions)

    assert [row[0] for row in addition.body["rows"]] == ["BFF-P-1002"]
    assert addition.body["rows"][0][2:] == ["2026-11-10", "group session", "yes"]
    assert sent.corrected_people == []
    assert ledger == {late: False}  # the family's ledger shows a sending, not a correction


async def test_a_late_row_and_a_corrected_row_go_together_and_only_the_corrected_person_is_told(
        sessions, agreement, outbox):
    async with sessions.begin() as session:
        corrected, late = await add_people(session, 2)
        await add_records(session, "attendance", [attendance(corrected, "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
    async with sessions.begin() as session:
        record = (await session.exec(select(ProgrammeRecord))).one()
        await _correct(session, record, attended="no")
        await add_records(session, "attendance", [attendance(late, "2026-11-17")])

    async with sessions.begin() as session:
        await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")
        sent = await approve(session, agreement, "RPT-attendance-2026-11-C1", login="kaimahi", outbox=outbox,
                             today=TODAY)
    async with sessions.begin() as session:
        again = await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi")

    assert (sent.rows, sent.corrected_people) == (2, [corrected])
    assert again == []  # the added row is carried now, so it is not late any more


async def test_a_row_of_a_month_not_yet_reported_is_not_late(sessions, agreement, outbox):
    async with sessions.begin() as session:
        people = await add_people(session, 1)
        await add_records(session, "attendance", [attendance(people[0], "2026-11-03")])
        await prepare(session, agreement, "attendance", "2026-11", KEY, prepared_by="kaimahi")
        await approve(session, agreement, "RPT-attendance-2026-11", login="kaimahi", outbox=outbox, today=TODAY)
        await add_records(session, "attendance", [attendance(people[0], "2026-12-01")])

    async with sessions.begin() as session:
        assert await prepare_corrections(session, agreement, KEY, prepared_by="kaimahi") == []
