"""Recording one row for a person (bot/records/recording.py), on SQLite and PostgreSQL: a new row is added, the
same row again changes nothing, other values are a correction kept with the old values, who, when and why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.records.recording import RecordsProblem, correct_row, record_row
from bot.records.tables import ProgrammeCorrection, ProgrammeRecord
from tests.bot.records.conftest import AGREEMENT

VISIT = {"session_date": "2026-03-02", "session": "home visit", "attended": "yes"}


async def record(db, values, ref="P-0001", holding="attendance", **kwargs):
    person = await db.person(ref)
    async with db.sessions.begin() as session:
        done = await record_row(session, AGREEMENT, person, holding, values, by="kaimahi", **kwargs)
        return done.outcome, done.record.id


async def rows_and_corrections(db):
    async with db.sessions() as session:
        return (list(await session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id))),
                list(await session.exec(select(ProgrammeCorrection).order_by(ProgrammeCorrection.id))))


async def test_a_new_row_is_added_with_its_key_and_who_recorded_it(db):
    outcome, _ = await record(db, {**VISIT, "session": "Home Visit"})

    [row], corrections = await rows_and_corrections(db)
    assert outcome == "added" and corrections == []
    assert (row.holding, row.person_id, row.row_key, row.values, row.revision, row.recorded_by) == (
        "attendance", db.ids["P-0001"], '["2026-03-02","home visit"]', VISIT, 1, "kaimahi")


async def test_the_same_row_again_is_unchanged_and_writes_nothing(db):
    await record(db, VISIT)
    [before], _ = await rows_and_corrections(db)

    outcome, _ = await record(db, {**VISIT, "attended": " YES "})

    [after], corrections = await rows_and_corrections(db)
    assert outcome == "unchanged" and corrections == []
    assert (after.revision, after.updated_at) == (before.revision, before.updated_at)


async def test_a_changed_value_is_a_correction_with_the_old_and_new_values_who_when_and_why(db):
    await record(db, VISIT)
    when = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)

    outcome, _ = await record(db, {**VISIT, "attended": "no"}, reason="Marked by mistake", now=when)
    again, _ = await record(db, {**VISIT, "attended": "yes"})

    [row], corrections = await rows_and_corrections(db)
    assert (outcome, again) == ("corrected", "corrected")
    assert row.revision == 3 and row.values == VISIT and row.updated_at > when
    first = corrections[0]
    assert (first.record_id, first.revision, first.old_values, first.new_values, first.reason, first.changed_by,
            first.changed_at) == (row.id, 2, VISIT, {**VISIT, "attended": "no"}, "Marked by mistake", "kaimahi", when)
    assert corrections[1].revision == 3


async def test_another_key_is_another_row_and_another_person_has_their_own(db):
    await record(db, VISIT)

    assert (await record(db, {**VISIT, "session": "group session"}))[0] == "added"
    assert (await record(db, VISIT, ref="P-0002"))[0] == "added"
    assert len((await rows_and_corrections(db))[0]) == 3


async def test_a_holding_without_a_key_has_one_row_per_person_and_a_change_corrects_it(db):
    enrolment = {"given_name": "Aroha", "family_name": "Parata", "date_of_birth": "1988-03-14",
                 "start_date": "2026-02-02"}
    await record(db, enrolment, holding="enrolment")

    outcome, _ = await record(db, {**enrolment, "finish_date": "2026-06-30"}, holding="enrolment")

    [row], [correction] = await rows_and_corrections(db)
    assert outcome == "corrected" and row.row_key == "" and row.values["finish_date"] == "2026-06-30"
    assert "finish_date" not in correction.old_values


async def test_correcting_a_known_row_may_change_its_key_but_not_onto_another_row(db):
    _, first = await record(db, VISIT)
    await record(db, {**VISIT, "session_date": "2026-03-09"})
    person = await db.person("P-0001")

    async with db.sessions.begin() as session:
        moved = await correct_row(session, AGREEMENT, person, "attendance", first,
                                  {**VISIT, "session_date": "2026-03-03"}, by="kaimahi", reason="Wrong day")
    with pytest.raises(RecordsProblem) as taken:
        async with db.sessions.begin() as session:
            await correct_row(session, AGREEMENT, person, "attendance", first,
                              {**VISIT, "session_date": "2026-03-09"}, by="kaimahi")

    assert moved.outcome == "corrected" and moved.record.row_key == '["2026-03-03","home visit"]'
    assert taken.value.status == 409
    assert taken.value.problems == ["P-0001 already has a row in attendance for Date 2026-03-09, Session home visit: "
                                    "correct that row instead."]


async def test_bad_values_are_refused_with_every_problem_and_nothing_written(db):
    with pytest.raises(RecordsProblem) as wrong:
        await record(db, {"session_date": "2026-13-01", "session": "zoom"})

    assert wrong.value.status == 422
    assert wrong.value.problems == ["Date: '2026-13-01' is not a date; write dates as YYYY-MM-DD.",
                                    "Session: 'zoom' is not one of the choices (group session, home visit).",
                                    "Came: left empty, but it must be filled in."]
    assert (await rows_and_corrections(db))[0] == []


@pytest.mark.parametrize(("holding", "status", "sentence"), [
    ("homework", 404, "No holding has the id 'homework'; the provider's holdings are enrolment, evaluation-consent, "
                      "questionnaire, referral, case-notes, attendance, family-plan, study-numbers."),
    ("case-notes", 422, "The holding 'case-notes' lists no fields in the agreement, so no rows can be recorded in it "
                        "(rows go in enrolment, evaluation-consent, questionnaire, attendance, family-plan)."),
])
async def test_an_unknown_holding_or_one_without_fields_is_refused(db, holding, status, sentence):
    with pytest.raises(RecordsProblem) as wrong:
        await record(db, VISIT, holding=holding)

    assert (wrong.value.status, wrong.value.problems) == (status, [sentence])


async def test_a_person_without_a_programme_id_is_refused(db):
    with pytest.raises(RecordsProblem) as wrong:
        await record(db, VISIT, ref="P-0004")

    assert wrong.value.problems == ["P-0004 has no programme id, so no programme data can be recorded for them: "
                                    "give them one first."]
